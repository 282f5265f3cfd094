"""What the admin API does for intake: store and read an endpoint's field mapping, and dry-run deliveries.

Every function acts within one tenant: another tenant's endpoint is reported exactly
like a missing one (``NotFound``). A preview reads and maps a stored delivery and
writes nothing; binding records, from a stored delivery, the key of each question the
mapping selects by title.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from chalicelib.domain.forms.mapping import bind_mapping
from chalicelib.domain.forms.submission import NotASubmission, SubmissionParseError
from chalicelib.domain.webhook import Purpose
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.intake.processor import Preview, ReadSubmission, preview
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.endpoints import get_endpoint
from chalicelib.services.inbox.service import with_body

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.domain.forms.mapping import FieldMapping
    from chalicelib.domain.webhook import Delivery, WebhookEndpoint
    from chalicelib.storage.repositories import Storage


def form_endpoint(storage: Storage, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
    """The tenant's endpoint, which must receive form submissions.

    Raises
    ------
    NotFound
        No such endpoint in this tenant.
    ValidationFailed
        The endpoint receives something other than signups (a survey, a calendar, an HR system).
    """
    endpoint = get_endpoint(storage, tenant_id, endpoint_id)
    if endpoint.purpose is not Purpose.SIGNUP:
        raise ValidationFailed(
            f"{endpoint.source} {endpoint.purpose.value} endpoints receive no signups, so they take no field mapping"
        )
    return endpoint


def set_mapping(
    storage: Storage, *, tenant_id: str, endpoint_id: str, mapping: FieldMapping, clock: Clock
) -> WebhookEndpoint:
    """Replace the endpoint's field mapping; a concurrent change to the endpoint (a rotation) is kept."""
    return _change_mapping(storage, tenant_id, endpoint_id, clock, lambda _current: mapping)


def _change_mapping(
    storage: Storage,
    tenant_id: str,
    endpoint_id: str,
    clock: Clock,
    new_mapping: Callable[[FieldMapping | None], FieldMapping],
) -> WebhookEndpoint:
    def change(endpoint: WebhookEndpoint) -> WebhookEndpoint:
        endpoint.field_mapping = new_mapping(endpoint.field_mapping)
        endpoint.updated_at = clock.now()
        return endpoint

    return update_with_retry(
        lambda: form_endpoint(storage, tenant_id, endpoint_id),
        change,
        storage.endpoints.save,
        message="the endpoint kept changing; try again",
    )


def get_mapping(storage: Storage, *, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
    return form_endpoint(storage, tenant_id, endpoint_id)


def preview_delivery(
    storage: Storage,
    *,
    tenant_id: str,
    endpoint_id: str,
    delivery_id: str,
    readers: Mapping[str, ReadSubmission],
    mapping: FieldMapping | None = None,
) -> Preview:
    """What ``mapping`` (default: the endpoint's current one) makes of a stored delivery; nothing is written.

    Raises
    ------
    NotFound
        No such endpoint in this tenant, or no such delivery of it.
    ValidationFailed
        The endpoint's source has no signup reader (``readers``: by source name).
    """
    endpoint, delivery, read = _stored_delivery(storage, tenant_id, endpoint_id, delivery_id, readers)
    return preview(delivery, read, mapping if mapping is not None else endpoint.field_mapping)


def bind_to_delivery(
    storage: Storage,
    *,
    tenant_id: str,
    endpoint_id: str,
    delivery_id: str,
    readers: Mapping[str, ReadSubmission],
    clock: Clock,
) -> WebhookEndpoint:
    """Record in the endpoint's mapping the key of each question its titles find in a stored delivery.

    From then on the mapping reads those questions by key first, so renaming one in the
    form tool does not break signups; the titles remain the fallback.

    Raises
    ------
    NotFound
        No such endpoint in this tenant, or no such delivery of it.
    ValidationFailed
        The endpoint has no mapping yet, or the delivery is no readable submission.
    """
    _, delivery, read = _stored_delivery(storage, tenant_id, endpoint_id, delivery_id, readers)
    try:
        submission = read(delivery)
    except (NotASubmission, SubmissionParseError) as exc:
        raise ValidationFailed(f"this delivery is no submission to bind to: {exc}") from exc

    def bound(current: FieldMapping | None) -> FieldMapping:
        if current is None:
            raise ValidationFailed("set a field mapping before binding it to the form")
        return bind_mapping(current, submission)

    return _change_mapping(storage, tenant_id, endpoint_id, clock, bound)


def _stored_delivery(
    storage: Storage, tenant_id: str, endpoint_id: str, delivery_id: str, readers: Mapping[str, ReadSubmission]
) -> tuple[WebhookEndpoint, Delivery, ReadSubmission]:
    endpoint = form_endpoint(storage, tenant_id, endpoint_id)
    delivery = storage.deliveries.get(endpoint.endpoint_id, delivery_id)
    if delivery is None:
        raise NotFound("no such delivery")
    read = readers.get(endpoint.source)
    if read is None:
        raise ValidationFailed(f"{endpoint.source} endpoints receive no form submissions")
    # A body too large for the delivery's item was kept in parts beside it.
    return endpoint, with_body(delivery, storage), read

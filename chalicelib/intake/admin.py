"""What the admin API does for intake: store and read an endpoint's field mapping, and dry-run deliveries.

Every function acts within one tenant: another tenant's endpoint is reported exactly
like a missing one (``NotFound``). A preview reads and maps a stored delivery and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chalicelib.domain.webhook import Purpose
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.intake.processor import Preview, ReadSubmission, preview
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.endpoints import get_endpoint
from chalicelib.services.inbox.service import with_body

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.domain.forms.mapping import FieldMapping
    from chalicelib.domain.webhook import WebhookEndpoint
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

    def change(endpoint: WebhookEndpoint) -> WebhookEndpoint:
        endpoint.field_mapping = mapping
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
    endpoint = form_endpoint(storage, tenant_id, endpoint_id)
    delivery = storage.deliveries.get(endpoint.endpoint_id, delivery_id)
    if delivery is None:
        raise NotFound("no such delivery")
    read = readers.get(endpoint.source)
    if read is None:
        raise ValidationFailed(f"{endpoint.source} endpoints receive no form submissions")
    # A body too large for the delivery's item was kept in parts beside it.
    return preview(with_body(delivery, storage), read, mapping if mapping is not None else endpoint.field_mapping)

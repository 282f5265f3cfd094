"""The ``people`` purpose's handler: a vendor's webhook syncs that tenant's connector at once.

Idempotent as the inbox requires: a sync applies only what changed, so handling the same
delivery twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain.sync import PeopleChange
from chalicelib.domain.webhook import WebhookEndpoint
from chalicelib.services.inbox.ports import Handler, ProcessingContext, ProcessOutcome
from chalicelib.sync.connectors import CONTACTS
from chalicelib.sync.service import SyncTools, sync_from_webhook

_CRMS = frozenset(vendor.value for vendor in CONTACTS)


def people_handler(tools: Callable[[], SyncTools]) -> Handler:
    """The handler of people deliveries, syncing with the ``tools`` the deployment wires in."""

    def handle(item: Any, endpoint: WebhookEndpoint, ctx: ProcessingContext, /) -> ProcessOutcome:
        return handle_people_change(item, endpoint, ctx, tools())

    return handle


def handle_people_change(
    item: Any, endpoint: WebhookEndpoint, ctx: ProcessingContext, tools: SyncTools | None = None
) -> ProcessOutcome:
    """Raises ``VendorError`` when the vendor fails, so the inbox retries the delivery later."""
    assert isinstance(item, PeopleChange)
    figures = sync_from_webhook(
        ctx.storage,
        ctx.notifier,
        ctx.clock,
        tenant_id=endpoint.tenant_id,
        vendor=item.source,
        external_ids=item.external_ids,
        tools=tools,
    )
    if figures is None:
        return ProcessOutcome.ignored(f"no {item.source} connector is connected for this tenant")
    if item.source in _CRMS and figures.read == figures.out_of_scope:
        # A CRM tells of every contact; only those who are participants concern a programme.
        return ProcessOutcome.ignored(f"the {item.source} records named are no participant of a synced programme")
    return ProcessOutcome.done(
        event=item.event,
        read=figures.read,
        enrolled=figures.enrolled,
        updated=figures.updated,
        withdrawn=figures.withdrawn,
    )

"""The ``people`` purpose's handler: a vendor's webhook syncs that tenant's connector at once.

Idempotent as the inbox requires: a sync applies only what changed, so handling the same
delivery twice writes nothing the second time.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.sync import PeopleChange
from chalicelib.domain.webhook import WebhookEndpoint
from chalicelib.services.inbox.ports import ProcessingContext, ProcessOutcome
from chalicelib.sync.service import sync_from_webhook


def handle_people_change(item: Any, endpoint: WebhookEndpoint, ctx: ProcessingContext, /) -> ProcessOutcome:
    """Raises ``VendorError`` when the vendor fails, so the inbox retries the delivery later."""
    assert isinstance(item, PeopleChange)
    figures = sync_from_webhook(ctx.storage, ctx.notifier, ctx.clock, tenant_id=endpoint.tenant_id, vendor=item.source)
    if figures is None:
        return ProcessOutcome.ignored(f"no {item.source} connector pulls people for this tenant")
    return ProcessOutcome.done(
        event=item.event,
        read=figures.read,
        enrolled=figures.enrolled,
        updated=figures.updated,
        withdrawn=figures.withdrawn,
    )

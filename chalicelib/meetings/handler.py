"""The ``meetings`` purpose handler: a parsed ``MeetingEvent`` → the pair's meeting log and health.

The inbox parses a delivery with its source's meetings parser (Calendly, Cal.com, a
calendar) and hands the event here; this module knows no vendor. An event of people who
are no pair of the endpoint's programme is done with nothing stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.meetings import MeetingEvent
from chalicelib.domain.webhook import WebhookEndpoint
from chalicelib.errors import NotFound
from chalicelib.services.inbox.ports import ProcessOutcome
from chalicelib.services.meetings import apply_meeting_event

if TYPE_CHECKING:
    from chalicelib.services.inbox.ports import ProcessingContext

NO_PROGRAMME = "the endpoint's programme does not exist any more"
NO_PAIR = "no pair of the programme is on this event"


def handle_meeting(event: MeetingEvent, endpoint: WebhookEndpoint, ctx: ProcessingContext) -> ProcessOutcome:
    """Fold one meeting event into the log of the pair(s) it belongs to."""
    try:
        outcome = apply_meeting_event(
            storage=ctx.storage,
            notifier=ctx.notifier,
            clock=ctx.clock,
            tenant_id=endpoint.tenant_id,
            programme_id=endpoint.programme_id,
            event=event,
        )
    except NotFound:
        return ProcessOutcome.needs_attention(NO_PROGRAMME)
    if not outcome.matched:
        # Strangers' events are expected (a shared booking page); they are done, not a problem.
        return ProcessOutcome.ignored(NO_PAIR)
    return ProcessOutcome.done(
        pair_ids=list(outcome.pair_ids), meeting_ids=list(outcome.changed_meetings), health=outcome.health
    )

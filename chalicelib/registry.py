"""Which webhook sources this deployment accepts, and which feature acts on each purpose.

The one place that knows both the vendors (``chalicelib.webhooks.sources``) and the
features: the inbox dispatches through what ``source_registry()`` returns and imports
neither. A new vendor is one module in ``chalicelib/webhooks/sources`` and one line in
``SOURCES``; a new feature is one line in ``HANDLERS``, and a new kind of one-click link
one line in ``LINK_ACTIONS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib.calendars.invites import handle_invitation
from chalicelib.calendars.sync import handle_calendar_push, record_meeting
from chalicelib.domain.calendars import CalendarPush, Invitation
from chalicelib.domain.meetings import MeetingEvent
from chalicelib.domain.webhook import Purpose, WebhookEndpoint
from chalicelib.errors import ConfigurationError
from chalicelib.events.attendance_page import EVENT_ATTENDANCE
from chalicelib.events.rsvp_page import EVENT_RSVP
from chalicelib.feedback.form_handler import handle_survey
from chalicelib.feedback.survey_page import SURVEY_ANSWER
from chalicelib.intake.processor import handle_signup
from chalicelib.meetings.handler import handle_meeting
from chalicelib.meetings.links import CONFIRM as MEETING_CONFIRM
from chalicelib.services import mentor_links, review_links
from chalicelib.services.inbox.ports import Handler, ProcessingContext, ProcessOutcome, SourceRegistry, SourceSpec
from chalicelib.services.links import LinkAction
from chalicelib.sync.handler import people_handler
from chalicelib.sync.invitations import JOIN_PROGRAMME, Inviter
from chalicelib.sync.service import SyncTools, salesforce_organisations
from chalicelib.webhooks.sources import (
    bamboohr,
    calcom,
    calendly,
    google_calendar,
    google_forms,
    hibob,
    hubspot,
    invite,
    jotform,
    merge,
    msgraph,
    salesforce,
    standard,
    tally,
    typeform,
)

if TYPE_CHECKING:
    from chalicelib.container import Container

SOURCES: tuple[SourceSpec, ...] = (
    typeform.SPEC,
    tally.SPEC,
    jotform.SPEC,
    google_forms.SPEC,
    standard.SPEC,
    calendly.SPEC,
    calcom.SPEC,
    google_calendar.SPEC,
    msgraph.SPEC,
    invite.SPEC,
    bamboohr.SPEC,
    hibob.SPEC,
    merge.SPEC,
    hubspot.SPEC,
    replace(
        salesforce.SPEC, admit=salesforce.admission(lambda ctx, tenant: salesforce_organisations(ctx.storage, tenant))
    ),
)


def _calendar_push(item: CalendarPush, endpoint: WebhookEndpoint, ctx: ProcessingContext) -> ProcessOutcome:
    from chalicelib.container import get_container

    return handle_calendar_push(item, endpoint, ctx, apis=get_container().calendar_apis, sink=record_meeting)


class ByItemType:
    """One purpose fed by several kinds of parsed item (a vendor's meeting event, a calendar push): one handler each."""

    def __init__(self, handlers: Mapping[type, Handler]) -> None:
        self._handlers = dict(handlers)

    def __call__(self, item: Any, endpoint: WebhookEndpoint, ctx: ProcessingContext, /) -> ProcessOutcome:
        for kind, handler in self._handlers.items():
            if isinstance(item, kind):
                return handler(item, endpoint, ctx)
        return ProcessOutcome.needs_attention(f"nothing handles a {type(item).__name__} for this purpose")


MEETING_HANDLERS: dict[type, Handler] = {
    MeetingEvent: handle_meeting,
    CalendarPush: _calendar_push,
    Invitation: handle_invitation,
}

HANDLERS: dict[Purpose, Handler] = {
    Purpose.SIGNUP: handle_signup,
    Purpose.SURVEY: handle_survey,
    Purpose.MEETINGS: ByItemType(MEETING_HANDLERS),
    Purpose.PEOPLE: people_handler(lambda: sync_tools()),
}

# One-click link actions features offer (``chalicelib.services.links``); one line each.
LINK_ACTIONS: tuple[LinkAction, ...] = (
    MEETING_CONFIRM,
    JOIN_PROGRAMME,
    SURVEY_ANSWER,
    EVENT_RSVP,
    EVENT_ATTENDANCE,
    review_links.APPROVE_PAIR,
    review_links.REJECT_PAIR,
    mentor_links.ACCEPT_PAIR,
    mentor_links.DECLINE_PAIR,
)


def source_registry(*extra: SourceSpec, handlers: Mapping[Purpose, Handler] | None = None) -> SourceRegistry:
    """The deployment's sources and handlers, plus ``extra`` sources and ``handlers`` (tests, local tools)."""
    return SourceRegistry(
        specs={spec.name: spec for spec in (*SOURCES, *extra)},
        handlers={**HANDLERS, **(handlers or {})},
    )


def sync_tools(container: Container | None = None) -> SyncTools:
    """What an HR sync needs from the deployment: link keys and the public URL, for invitations, read when used."""
    from chalicelib.container import get_container

    container = container or get_container()

    def base_url() -> str:
        if not container.settings.public_base_url:
            raise ConfigurationError("invitation links need MENTORFLOW_PUBLIC_BASE_URL")
        return container.settings.public_base_url

    return SyncTools(inviter=Inviter(keys=lambda: container.link_keys, base_url=base_url))

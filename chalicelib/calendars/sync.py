"""Acting on a calendar push: find the watched connection, pull what changed, hand each meeting to the log.

Google pings say only that a calendar changed: its changes are listed with the stored
sync token (a 410 starts a full sync). Graph notices name the changed event, which is
fetched; a series is expanded into its occurrences; a deleted event is cancelled with the
times the log already holds. A Graph meeting is known by its iCalendar UID, shared by every
mailbox holding it, so a pair's two connected mailboxes log it once; each mailbox's own id
of a pair's event is remembered, since a deletion names only that. Lifecycle notices renew, reauthorise or recreate the
subscription, or catch up on what was missed. An unknown or revoked watch is ignored.
Events that belong to no pair are dropped by the meeting log without being stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from chalicelib.calendars import google, graph
from chalicelib.calendars.apis import CalendarApis, GrantRevoked, NotFoundAtVendor, SyncTokenGone
from chalicelib.calendars.tokens import bearer
from chalicelib.domain.calendars import (
    GRANT_WITHDRAWN,
    MAILBOX_EVENT_KEPT_FOR,
    CalendarConnection,
    CalendarNotice,
    CalendarPush,
    MailboxEvent,
    NoticeKind,
    Provider,
)
from chalicelib.domain.meetings import MeetingEvent, MeetingEventStatus
from chalicelib.domain.webhook import WebhookEndpoint
from chalicelib.services.inbox.ports import ProcessingContext, ProcessOutcome
from chalicelib.services.meetings import MeetingOutcome, apply_meeting_event

# The webhook source each provider's watches notify.
SOURCES = {Provider.GOOGLE: google.SOURCE, Provider.MICROSOFT: graph.SOURCE}

# A meeting event, with the mailbox's own id of it when that differs from the meeting's (Graph).
Sighting = tuple[MeetingEvent, str | None]
# Hands one event to the meeting log of the connection's programme.
MeetingSink = Callable[[MeetingEvent, CalendarConnection, ProcessingContext], object]


def log_meeting(event: MeetingEvent, tenant_id: str, programme_id: str, ctx: ProcessingContext) -> object:
    """Into the programme's meeting log (events of nobody's pair are dropped there, unstored)."""
    return apply_meeting_event(
        storage=ctx.storage,
        notifier=ctx.notifier,
        clock=ctx.clock,
        tenant_id=tenant_id,
        programme_id=programme_id,
        event=event,
    )


def record_meeting(event: MeetingEvent, connection: CalendarConnection, ctx: ProcessingContext) -> object:
    """The meeting log of the connection's programme."""
    return log_meeting(event, connection.tenant_id, connection.programme_id, ctx)


def handle_calendar_push(
    push: CalendarPush, endpoint: WebhookEndpoint, ctx: ProcessingContext, *, apis: CalendarApis, sink: MeetingSink
) -> ProcessOutcome:
    """Act on every notice of a push for the connections it names; counts of what was read come back."""
    counts = {"events": 0, "unknown_watches": 0}
    for notice in push.notices:
        connection = ctx.storage.calendars.by_watch(push.provider.value, notice.watch_id)
        if connection is None or connection.endpoint_id != endpoint.endpoint_id or not connection.readable:
            counts["unknown_watches"] += 1
            continue
        counts["events"] += _act(notice, connection, ctx, apis, sink)
    if counts["unknown_watches"] == len(push.notices):
        return ProcessOutcome.ignored("no notice names a watch of a connected calendar")
    return ProcessOutcome.done(**counts)


def _act(
    notice: CalendarNotice,
    connection: CalendarConnection,
    ctx: ProcessingContext,
    apis: CalendarApis,
    sink: MeetingSink,
) -> int:
    now = ctx.clock.now()
    try:
        token = bearer(connection, apis, ctx.clock)
        sync_token: str | None
        events: list[Sighting]
        if connection.provider is Provider.GOOGLE:
            found, sync_token = _google_changes(connection, ctx, apis, token)
            events = [(event, None) for event in found]
        else:
            events, sync_token = _graph_changes(notice, connection, ctx, apis, token), connection.sync_token
    except GrantRevoked:
        connection.revoke(GRANT_WITHDRAWN, at=now)
        ctx.storage.calendars.save(connection)
        return 0
    except Exception as exc:
        # Recorded on the connection for the admin API (by type, never a message quoting a person), then retried.
        connection.failed(f"sync failed: {type(exc).__name__}", at=now)
        ctx.storage.calendars.save(connection)
        raise
    for event, mailbox_event_id in events:
        outcome = sink(event, connection, ctx)
        if mailbox_event_id is not None and isinstance(outcome, MeetingOutcome) and outcome.matched:
            pointer = MailboxEvent(
                tenant_id=connection.tenant_id,
                event_id=mailbox_event_id,
                ical_uid=event.external_id,
                expires_at=now + MAILBOX_EVENT_KEPT_FOR,
            )
            ctx.storage.mailbox_events.remember(pointer)
    connection.synced(sync_token, at=now)
    ctx.storage.calendars.save(connection)
    return len(events)


def _google_changes(
    connection: CalendarConnection, ctx: ProcessingContext, apis: CalendarApis, token: str
) -> tuple[list[MeetingEvent], str]:
    try:
        items, sync_token = google.list_changes(apis, token, connection.calendar_id, connection.sync_token)
    except SyncTokenGone:
        items, sync_token = google.list_changes(apis, token, connection.calendar_id, None)
    events = []
    for item in items:
        event_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        known = _known_times(ctx, connection, google.SOURCE, event_id)
        event = google.meeting_event(item, known=known)
        if event is not None:
            events.append(_with_pair_people(event, ctx, connection) if not event.attendee_emails else event)
    return events, sync_token


def _graph_changes(
    notice: CalendarNotice, connection: CalendarConnection, ctx: ProcessingContext, apis: CalendarApis, token: str
) -> list[Sighting]:
    now = ctx.clock.now()
    if notice.kind is NoticeKind.REAUTHORIZATION_REQUIRED:
        graph.reauthorize(apis, token, notice.watch_id)
        return []
    if notice.kind is NoticeKind.SUBSCRIPTION_REMOVED:
        # Due at once: the renewal job makes a new subscription on its next run.
        connection.renew_at = now
        return []
    if notice.kind is NoticeKind.MISSED:
        return _graph_events(graph.calendar_view(apis, token, connection.calendar_id, now))
    assert notice.event_id is not None
    if notice.kind is NoticeKind.DELETED:
        return _graph_deleted(notice.event_id, ctx, connection)
    try:
        item = graph.get_event(apis, token, connection.calendar_id, notice.event_id)
    except NotFoundAtVendor:
        return _graph_deleted(notice.event_id, ctx, connection)
    if graph.is_series(item):
        return _graph_events(graph.occurrences(apis, token, connection.calendar_id, notice.event_id, now))
    return _graph_events([item])


def _graph_events(items: Iterable[object]) -> list[Sighting]:
    sightings: list[Sighting] = []
    for item in items:
        event = graph.meeting_event(item)
        if event is not None:
            assert isinstance(item, dict)  # meeting_event reads only dicts
            mailbox_event_id = str(item["id"])
            sightings.append((event, mailbox_event_id if mailbox_event_id != event.external_id else None))
    return sightings


def _graph_deleted(event_id: str, ctx: ProcessingContext, connection: CalendarConnection) -> list[Sighting]:
    pointer = ctx.storage.mailbox_events.get(connection.tenant_id, event_id)
    meeting_uid = pointer.ical_uid if pointer is not None else event_id
    known = _known_times(ctx, connection, graph.SOURCE, meeting_uid)
    if known is None:
        return []
    event = graph.cancellation(meeting_uid, known[0], known[1], ctx.clock.now())
    return [(_with_pair_people(event, ctx, connection), None)]


def _known_times(
    ctx: ProcessingContext, connection: CalendarConnection, source: str, external_id: str
) -> tuple[datetime, datetime] | None:
    meeting = ctx.storage.meetings.by_external_id(connection.tenant_id, source, external_id) if external_id else None
    if meeting is None:
        return None
    return meeting.starts_at, meeting.ends_at or meeting.starts_at


def _with_pair_people(event: MeetingEvent, ctx: ProcessingContext, connection: CalendarConnection) -> MeetingEvent:
    """A bare cancellation names nobody: it is told with the addresses of the pair whose meeting it cancels."""
    if event.status is not MeetingEventStatus.CANCELLED:
        return event
    meeting = ctx.storage.meetings.by_external_id(connection.tenant_id, event.source, event.external_id)
    pair = ctx.storage.pairs.get(connection.tenant_id, connection.programme_id, meeting.pair_id) if meeting else None
    if pair is None:
        return event
    people = [
        ctx.storage.participants.get(connection.tenant_id, connection.programme_id, person)
        for person in (pair.mentor_id, pair.mentee_id)
    ]
    emails = [person.email for person in people if person is not None]
    # The vendor's word carries no version; it is the latest about this event, so it takes the stored one's.
    assert meeting is not None
    return event.model_copy(
        update={"attendee_emails": emails, "sequence": meeting.sequence, "updated_at": ctx.clock.now()}
    )

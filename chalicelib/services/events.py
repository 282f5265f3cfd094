"""Programme events: create one and invite its audience, take yes/no answers, remind, record attendance.

Invitations are keyed by event and person (a create-only write) and every message by the
invitation and its step, so creating, re-inviting or a sweep run twice sends each
message once. Each invitation carries an iCalendar file in the reader's time zone (the
person's, else the programme's) and a signed link to answer yes or no. Those who said
yes are reminded ``reminder_days`` before; the reminder sweep reads only invitations
whose reminder has come (a sparse index). The same sweep asks those who said yes, once the
event has ended, whether they came (a signed "I attended" / "I did not" link); a
coordinator's record of attendance wins over the person's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from chalicelib.domain.events import (
    ATTENDANCE_STEP,
    EVENT_RETENTION,
    AttendanceSource,
    Audience,
    EventKind,
    Invitation,
    ProgrammeEvent,
    Rsvp,
    answer,
    attendance_figures,
    invitation_key,
    next_step,
)
from chalicelib.domain.events import record_attendance as take_attendance
from chalicelib.domain.participant import Participant, ParticipantStatus
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.logging import log_event
from chalicelib.notify.ics import invitation_ics, reader_zone
from chalicelib.notify.outbox import quiet_hours_of
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.link_issuer import LinkIssuer
from chalicelib.services.links import person_link
from chalicelib.services.programmes import get_programme

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.domain.message import Attachment
    from chalicelib.domain.programme import Programme
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.repositories import Storage

RSVP_ACTION = "event-rsvp"
ATTENDANCE_ACTION = "event-attendance"
# People may confirm their attendance for a month after the event.
ATTENDANCE_LINK_TTL = timedelta(days=30)
# People who take part (or wait for a place) are invited; applicants and those who left are not.
INVITED_STATUSES = (
    ParticipantStatus.ACCEPTED,
    ParticipantStatus.WAITLISTED,
    ParticipantStatus.MATCHED,
    ParticipantStatus.ACTIVE,
)
SWEEP_PAGE = 100


def create_event(
    *,
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    links: LinkIssuer,
    tenant_id: str,
    programme_id: str,
    fields: dict[str, Any],
) -> tuple[ProgrammeEvent, int]:
    """Store an event and invite its audience; the event and how many were invited.

    Raises
    ------
    NotFound
        No such programme for this tenant.
    ValidationFailed
        The fields do not make an event.
    """
    programme = get_programme(storage, tenant_id, programme_id)
    now = clock.now()
    try:
        event = ProgrammeEvent.model_validate(
            {
                **fields,
                "tenant_id": tenant_id,
                "programme_id": programme_id,
                "created_at": now,
                "expires_at": now + EVENT_RETENTION,
            }
        )
    except ValidationError as exc:
        raise ValidationFailed.from_pydantic(exc, where="body") from exc
    event.expires_at = event.ends_at + EVENT_RETENTION
    event = storage.events.save(event)
    invited = invite_audience(
        storage=storage, notifier=notifier, clock=clock, links=links, programme=programme, event=event
    )
    log_event("event created", tenant_id=tenant_id, event_id=event.event_id, invited=invited)
    return event, invited


def _audience(storage: Storage, programme: Programme, audience: Audience) -> list[Participant]:
    people: list[Participant] = []
    for status in INVITED_STATUSES:
        cursor: str | None = None
        while True:
            page = storage.participants.list(
                programme.tenant_id, programme.programme_id, status=status, limit=1000, cursor=cursor
            )
            people.extend(p for p in page.items if audience.includes(p.role))
            cursor = page.next_cursor
            if cursor is None:
                break
    return people


def invite_audience(
    *,
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    links: LinkIssuer,
    programme: Programme,
    event: ProgrammeEvent,
) -> int:
    """Invite everyone in the event's audience who is not invited yet (people who joined since are added)."""
    if event.audience is Audience.COORDINATORS:
        return _invite_coordinators(notifier, clock, programme, event)
    invited = 0
    now = clock.now()
    for person in _audience(storage, programme, event.audience):
        invitation = Invitation(
            tenant_id=event.tenant_id,
            programme_id=event.programme_id,
            event_id=event.event_id,
            participant_id=person.participant_id,
            invited_at=now,
            expires_at=event.expires_at,
        )
        storage.events.add_invitation(invitation)
        if _send(notifier, clock, links, programme, event, person, "event_invitation", "invite"):
            invited += 1
    return invited


def _invite_coordinators(notifier: Notifier, clock: Clock, programme: Programme, event: ProgrammeEvent) -> int:
    zone = reader_zone(programme.timezone)
    invited = 0
    for email, language in programme.coordinator_addresses():
        queued = notifier.queue_to_address(
            tenant_id=event.tenant_id,
            email=email,
            language=language,
            programme=programme,
            template="event_invitation",
            context=_context(event, None),
            idempotency_key=f"event:{event.event_id}:coordinator:{email.lower()}:invite",
            attachments=[_ics(event, "coordinator", zone, clock)],
        )
        invited += queued is not None
    return invited


def _context(event: ProgrammeEvent, link: str | None) -> dict[str, object]:
    return {
        "event_title": event.title,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "place": event.place,
        "url": event.url,
        "link": link,
        "training": event.kind is EventKind.MENTOR_TRAINING,
    }


def _ics(event: ProgrammeEvent, reader: str, zone: ZoneInfo, clock: Clock) -> Attachment:
    return invitation_ics(
        uid=f"{invitation_key(event.event_id, reader)}@mentorflow",
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        zone=zone,
        stamp=clock.now(),
        location=event.place,
        url=event.url,
        cancelled=event.cancelled,
    )


def _link(
    clock: Clock,
    links: LinkIssuer,
    programme: Programme,
    event: ProgrammeEvent,
    person: Participant,
    action: str,
    ttl: timedelta,
) -> str:
    """The URL of a signed link about ``event`` for ``person``, in their language."""
    return person_link(
        links, clock, programme=programme, person=person, action=action, subject_id=event.event_id, ttl=ttl
    )


def _send(
    notifier: Notifier,
    clock: Clock,
    links: LinkIssuer,
    programme: Programme,
    event: ProgrammeEvent,
    person: Participant,
    template: str,
    step: str,
) -> bool:
    # Answers are taken until the event starts.
    ttl = max(event.starts_at - clock.now(), timedelta(hours=1))
    zone = reader_zone(person.profile.timezone, programme.timezone)
    message = notifier.queue(
        tenant_id=event.tenant_id,
        recipient=person,
        programme=programme,
        template=template,
        context=_context(event, _link(clock, links, programme, event, person, RSVP_ACTION, ttl)),
        idempotency_key=f"event:{invitation_key(event.event_id, person.participant_id)}:{step}",
        quiet_hours=quiet_hours_of(programme),
        attachments=[_ics(event, person.participant_id, zone, clock)],
    )
    return message is not None


def rsvp(
    *,
    storage: Storage,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    event_id: str,
    participant_id: str,
    reply: Rsvp,
) -> Invitation:
    """Record a yes or a no (the latest answer counts) and schedule the reminders of a yes.

    Raises
    ------
    NotFound
        No such event, or the person is not invited to it.
    """
    event = get_event(storage, tenant_id, programme_id, event_id)

    def load() -> Invitation:
        found = storage.events.get_invitation(tenant_id, programme_id, event_id, participant_id)
        if found is None:
            raise NotFound("not invited to this event")
        return found

    def change(invitation: Invitation) -> Invitation:
        answer(invitation, reply, event, clock.now())
        return invitation

    saved = update_with_retry(load, change, storage.events.save_invitation)
    log_event("event answered", tenant_id=tenant_id, event_id=event_id, rsvp=reply.value)
    return saved


def record_attendance(
    *, storage: Storage, tenant_id: str, programme_id: str, event_id: str, attended: dict[str, bool]
) -> list[Invitation]:
    """A coordinator's record of who came; people not invited are refused.

    Raises
    ------
    NotFound
        No such event, or one of the people is not invited to it.
    """
    get_event(storage, tenant_id, programme_id, event_id)
    saved = []
    for participant_id, came in attended.items():

        def load(pid: str = participant_id) -> Invitation:
            found = storage.events.get_invitation(tenant_id, programme_id, event_id, pid)
            if found is None:
                raise NotFound("not invited to this event", details={"participant_id": pid})
            return found

        def change(invitation: Invitation, came: bool = came) -> Invitation:
            take_attendance(invitation, came, AttendanceSource.COORDINATOR)
            return invitation

        saved.append(update_with_retry(load, change, storage.events.save_invitation))
    return saved


def get_event(storage: Storage, tenant_id: str, programme_id: str, event_id: str) -> ProgrammeEvent:
    event = storage.events.get(tenant_id, programme_id, event_id)
    if event is None:
        raise NotFound("no such event")
    return event


def remind_attendees(
    *, storage: Storage, notifier: Notifier, clock: Clock, links: LinkIssuer, limit: int = SWEEP_PAGE
) -> dict[str, int]:
    """Remind those who said yes ``reminder_days`` before each event, and ask them after it whether they came.

    One page of due invitations.
    """
    now = clock.now()
    sent = asked = 0
    due = storage.events.reminders_due(now, limit=limit)
    for invitation in due:
        t, p = invitation.tenant_id, invitation.programme_id
        event = storage.events.get(t, p, invitation.event_id)
        programme = storage.programmes.get(t, p)
        person = storage.participants.get(t, p, invitation.participant_id)
        step = next_step(event, invitation, now) if event is not None else None
        if step is not None and step[0] > now:
            # Not due yet (a reminder the index held was overtaken by a change): only the index moves.
            step = None
        if event is not None and programme is not None and person is not None and step is not None:
            if step[1] == ATTENDANCE_STEP:
                asked += _ask_attendance(notifier, clock, links, programme, event, person)
            else:
                sent += _send(notifier, clock, links, programme, event, person, "event_reminder", f"remind{step[1]}")
        _advance(storage, invitation, event, step[1] if step is not None else None, now)
    return {"due": len(due), "reminders_sent": sent, "attendance_asked": asked}


def _ask_attendance(
    notifier: Notifier,
    clock: Clock,
    links: LinkIssuer,
    programme: Programme,
    event: ProgrammeEvent,
    person: Participant,
) -> int:
    link = _link(clock, links, programme, event, person, ATTENDANCE_ACTION, ATTENDANCE_LINK_TTL)
    message = notifier.queue(
        tenant_id=event.tenant_id,
        recipient=person,
        programme=programme,
        template="event_attendance",
        context={"event_title": event.title, "starts_at": event.starts_at, "link": link},
        idempotency_key=f"event:{invitation_key(event.event_id, person.participant_id)}:attendance",
        quiet_hours=quiet_hours_of(programme),
    )
    return 1 if message is not None else 0


def confirm_attendance(
    *, storage: Storage, tenant_id: str, programme_id: str, event_id: str, participant_id: str, attended: bool
) -> bool:
    """A person's own word on whether they came; False when a coordinator's record stands instead.

    Raises
    ------
    NotFound
        No such event, or the person is not invited to it.
    """
    get_event(storage, tenant_id, programme_id, event_id)
    taken = False

    def load() -> Invitation:
        found = storage.events.get_invitation(tenant_id, programme_id, event_id, participant_id)
        if found is None:
            raise NotFound("not invited to this event")
        return found

    def change(invitation: Invitation) -> Invitation | None:
        nonlocal taken
        taken = take_attendance(invitation, attended, AttendanceSource.SELF)
        return invitation if taken else None

    update_with_retry(load, change, storage.events.save_invitation)
    log_event("attendance confirmed", tenant_id=tenant_id, event_id=event_id, taken=taken)
    return taken


def _advance(
    storage: Storage, invitation: Invitation, event: ProgrammeEvent | None, days: int | None, now: datetime
) -> None:
    """Mark step ``days`` as done (and every earlier reminder missed), and set the next step or none."""

    def load() -> Invitation:
        i = invitation
        return storage.events.get_invitation(i.tenant_id, i.programme_id, i.event_id, i.participant_id) or i

    def change(current: Invitation) -> Invitation:
        if event is None:
            current.remind_at = None
            return current
        if days is not None:
            done = {days, *(d for d in event.reminder_days if d >= days)}
            current.reminded_for = sorted({*current.reminded_for, *done})
        upcoming = next_step(event, current, now)
        current.remind_at = upcoming[0] if upcoming is not None else None
        return current

    update_with_retry(load, change, storage.events.save_invitation)


def matching_clearance(storage: Storage, programme: Programme) -> Callable[[Participant], bool] | None:
    """Who may be matched, where the programme requires attending events first; None when it requires none.

    A person must have attended every required event whose audience includes them.
    """
    required = [e for e in storage.events.list(programme.tenant_id, programme.programme_id) if e.required_for_matching]
    if not required:
        return None
    attended = {
        event.event_id: {
            i.participant_id
            for i in storage.events.invitations(programme.tenant_id, programme.programme_id, event.event_id)
            if i.attended
        }
        for event in required
    }

    def cleared(person: Participant) -> bool:
        return all(
            person.participant_id in attended[event.event_id]
            for event in required
            if event.audience.includes(person.role)
        )

    return cleared


def event_figures(storage: Storage, tenant_id: str, programme_id: str) -> dict[str, dict[str, int]]:
    """Invited, yes, no and attended per event of the programme."""
    return {
        event.event_id: {
            name: count
            for name, count in attendance_figures(
                storage.events.invitations(tenant_id, programme_id, event.event_id)
            ).items()
        }
        for event in storage.events.list(tenant_id, programme_id)
    }

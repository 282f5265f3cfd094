"""Meetings: fold what calendars, booking tools, coordinators and people say into each pair's log and health.

Every source hands a ``MeetingEvent`` to ``apply_meeting_event``. It finds the open
pair(s) both of whose people are on the event, keeps one ``Meeting`` per pair and
vendor event (times, status, source, vendor id: no titles, descriptions or other
guests) and stores the pair's health. An event of strangers stores nothing. Every
write is a read-change-save that finds "nothing new" on a repeat, so duplicated and
shuffled notifications end in the same log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

from chalicelib.domain.common import require
from chalicelib.domain.meetings import (
    HealthPolicy,
    HealthState,
    Meeting,
    MeetingEvent,
    MeetingEventStatus,
    PairHealth,
    PairPeople,
    apply_event,
    awaiting_confirmation,
    confirm,
    confirmation_subject,
    mark_moved,
    meeting_id_for,
    pair_health,
    pairs_for_event,
)
from chalicelib.domain.pair import Pair
from chalicelib.domain.participant import participant_id_for
from chalicelib.domain.programme import Programme
from chalicelib.errors import NotFound, VersionConflict
from chalicelib.notify.outbox import quiet_hours_of
from chalicelib.services.aliases import alias_owners
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.links import issue_link, link_url
from chalicelib.services.nudges import nudge_check_at, nudge_pair

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.repositories import Storage


# The source of meetings a coordinator records by hand.
BY_HAND = "by-hand"


@dataclass(frozen=True)
class MeetingOutcome:
    """Which pairs an event belonged to and which of their meetings it changed (empty for strangers)."""

    pair_ids: tuple[str, ...] = ()
    changed_meetings: tuple[str, ...] = ()
    health: dict[str, str] = field(default_factory=dict)

    @property
    def matched(self) -> bool:
        return bool(self.pair_ids)


def health_policy(programme: Programme) -> HealthPolicy:
    return HealthPolicy.of(
        cadence_days=programme.meeting_cadence_days, escalate_after_days=programme.reminders.escalate_after_days
    )


def find_programme(storage: Storage, tenant_id: str, programme_id: str, *, recent: bool = False) -> Programme:
    """The programme; ``recent``: as read moments ago by this process, if it was (``CachedProgrammes``)."""
    repository = storage.programmes
    programme = repository.recent(tenant_id, programme_id) if recent else repository.get(tenant_id, programme_id)
    if programme is None:
        raise NotFound("no such programme")
    return programme


def pairs_of_event(storage: Storage, tenant_id: str, programme_id: str, event: MeetingEvent) -> list[Pair]:
    """The running pairs of the programme whose two people are both on the event."""
    # A participant's id follows from the programme and the address they enrolled with, so the
    # event's addresses name the candidates without reading anyone's record.
    people: dict[str, set[str]] = {}
    for address in event.addresses:
        people.setdefault(participant_id_for(tenant_id, programme_id, address), set()).add(address)
    running = [p for p in storage.pairs.list(tenant_id, programme_id) if p.running]
    # Only an address that is nobody's enrolment address in a running pair can be an alias that counts.
    paired = {person for p in running for person in (p.mentor_id, p.mentee_id)}
    unknown = [address for person, found in people.items() if person not in paired for address in found]
    if running and unknown and len(event.addresses) > 1:
        for address, owner in alias_owners(storage, tenant_id, programme_id, unknown).items():
            people.setdefault(owner, set()).add(address)
    candidates = [
        PairPeople(p.pair_id, frozenset(people.get(p.mentor_id, ())), frozenset(people.get(p.mentee_id, ())))
        for p in running
    ]
    chosen = set(pairs_for_event(event, candidates))
    return [p for p in running if p.pair_id in chosen]


def apply_meeting_event(
    *,
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    event: MeetingEvent,
) -> MeetingOutcome:
    """Record one meeting event for the pair(s) it belongs to and refresh their health.

    Raises
    ------
    NotFound
        The programme does not exist.
    VersionConflict
        Others kept writing the same meeting or pair (the inbox retries the delivery).
    """
    pairs = pairs_of_event(storage, tenant_id, programme_id, event)
    # Strangers' events, the most common kind on a shared booking page, stop here. The health
    # rules may be a few seconds old in a warm process (``CachedProgrammes``); the health job reads afresh.
    programme = find_programme(storage, tenant_id, programme_id, recent=True) if pairs else None
    changed: list[str] = []
    health: dict[str, str] = {}
    for pair in pairs:
        assert programme is not None  # found above whenever there are pairs
        now = clock.now()
        log = PairMeetings(storage, pair)
        ids = [_apply(log, event, now)]
        if event.rescheduled_from and event.rescheduled_from != event.external_id:
            ids.append(_move(log, event, now))
        changed.extend(meeting_id for meeting_id in ids if meeting_id is not None)
        state = refresh_health(storage=storage, clock=clock, programme=programme, pair_id=pair.pair_id, log=log)
        if state is not None:
            health[pair.pair_id] = state.state.value
    return MeetingOutcome(pair_ids=tuple(p.pair_id for p in pairs), changed_meetings=tuple(changed), health=health)


class PairMeetings:
    """One pair (as read) and its meetings, read once and kept current as they are written.

    A handler reads a pair's meetings once, changes one or two and takes the pair's health
    from the same list; only a lost race (another writer got in first) reads them again.
    """

    def __init__(self, storage: Storage, pair: Pair) -> None:
        self.storage = storage
        self.pair = pair
        self._known: dict[str, Meeting] | None = None

    def _meetings(self) -> dict[str, Meeting]:
        if self._known is None:
            found = self.storage.meetings.for_pair(self.pair.tenant_id, self.pair.programme_id, self.pair.pair_id)
            self._known = {m.meeting_id: m for m in found}
        return self._known

    def get(self, meeting_id: str) -> Meeting | None:
        found = self._meetings().get(meeting_id)
        return None if found is None else found.model_copy(deep=True)

    def all(self) -> list[Meeting]:
        return list(self._meetings().values())

    def save(self, meeting: Meeting) -> Meeting:
        try:
            saved = self.storage.meetings.save(meeting)
        except VersionConflict:
            self._known = None
            raise
        self._meetings()[saved.meeting_id] = saved
        return saved

    def update(self, meeting_id: str, change: Callable[[Meeting | None], Meeting | None]) -> str | None:
        """Apply ``change`` to one meeting, again on a fresh read after a lost race; the id if it was written."""
        written: list[str] = []

        def save(meeting: Meeting) -> Meeting:
            saved = self.save(meeting)
            written.append(saved.meeting_id)
            return saved

        update_with_retry(lambda: self.get(meeting_id), change, save, message="the meeting kept changing")
        return written[-1] if written else None

    def meeting_id(self, source: str, external_id: str) -> str:
        return meeting_id_for(self.pair.tenant_id, self.pair.programme_id, self.pair.pair_id, source, external_id)


def _apply(log: PairMeetings, event: MeetingEvent, now: datetime) -> str | None:
    pair = log.pair
    return log.update(
        log.meeting_id(event.source, event.external_id),
        lambda meeting: apply_event(
            meeting, event, tenant_id=pair.tenant_id, programme_id=pair.programme_id, pair_id=pair.pair_id, now=now
        ),
    )


def _move(log: PairMeetings, event: MeetingEvent, now: datetime) -> str | None:
    pair = log.pair
    old = event.rescheduled_from or ""
    return log.update(
        log.meeting_id(event.source, old),
        lambda meeting: mark_moved(
            meeting,
            tenant_id=pair.tenant_id,
            programme_id=pair.programme_id,
            pair_id=pair.pair_id,
            source=event.source,
            external_id=old,
            moved_to=event.external_id,
            at=event,
            now=now,
        ),
    )


def refresh_health(
    *, storage: Storage, clock: Clock, programme: Programme, pair_id: str, log: PairMeetings | None = None
) -> PairHealth | None:
    """Compute a running pair's health from its meetings and store it on the pair; None for a pair not running.

    With ``log`` (the pair and its meetings in hand) nothing is read again unless another writer got in first.
    """
    now = clock.now()
    computed: list[PairHealth] = []
    in_hand = [log.pair.model_copy(deep=True)] if log is not None else []

    def load() -> Pair | None:
        if in_hand:
            return in_hand.pop()
        return storage.pairs.get(programme.tenant_id, programme.programme_id, pair_id)

    def change(pair: Pair | None) -> Pair | None:
        if pair is None:
            return None
        if not pair.running:
            # Waiting for the mentor, or closed: nothing to watch until it starts (move_to looks again then).
            return _off_the_due_index(pair)
        meetings = (log or PairMeetings(storage, pair)).all()
        health = pair_health(meetings, started_at=pair.started_at, policy=health_policy(programme), now=now)
        health = nudge_check_at(programme, pair, health, now)
        computed.append(health)
        return pair if pair.take_health(health, at=now) else None

    update_with_retry(load, change, storage.pairs.save, message="the pair kept changing")
    return computed[-1] if computed else None


class MeetingLog(BaseModel):
    """A pair's meetings (newest first) and the health kept on the pair."""

    pair_id: str
    health: HealthState | None
    last_met_at: datetime | None
    next_booked_at: datetime | None
    meetings_held: int
    meetings_expected: int
    next_check_at: datetime | None
    meetings: list[Meeting]


def _pair(storage: Storage, tenant_id: str, programme_id: str, pair_id: str) -> Pair:
    pair = storage.pairs.get(tenant_id, programme_id, pair_id)
    if pair is None:
        raise NotFound("no such pair")
    return pair


def meeting_log(storage: Storage, tenant_id: str, programme_id: str, pair_id: str) -> MeetingLog:
    """Raises ``NotFound`` for a pair not of this tenant's programme."""
    pair = _pair(storage, tenant_id, programme_id, pair_id)
    meetings = storage.meetings.for_pair(tenant_id, programme_id, pair_id)
    return MeetingLog(
        pair_id=pair.pair_id,
        health=pair.health,
        last_met_at=pair.last_met_at,
        next_booked_at=pair.next_booked_at,
        meetings_held=pair.meetings_held,
        meetings_expected=pair.meetings_expected,
        next_check_at=pair.next_due_at,
        meetings=sorted(meetings, key=lambda m: (m.starts_at, m.meeting_id), reverse=True),
    )


def record_meeting(
    *,
    storage: Storage,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    pair_id: str,
    starts_at: datetime,
    ends_at: datetime,
    held: bool | None,
    reference: str | None = None,
) -> Meeting:
    """A coordinator's record of a meeting of one pair: booked (``held`` None), held, or not held.

    The same start (or ``reference``) names the same meeting, so a repeated request records it once.

    Raises
    ------
    NotFound
        No such programme or pair. ``ValidationFailed`` when the pair is not running.
    """
    programme = find_programme(storage, tenant_id, programme_id)
    pair = _pair(storage, tenant_id, programme_id, pair_id)
    require(pair.running, "meetings are recorded for approved, running pairs only", status=pair.status.value)
    event = MeetingEvent(
        source=BY_HAND,
        external_id=reference or starts_at.astimezone(UTC).isoformat(),
        status=MeetingEventStatus.BOOKED,
        start=starts_at,
        end=ends_at,
    )
    now = clock.now()
    log = PairMeetings(storage, pair)
    meeting_id = log.meeting_id(BY_HAND, event.external_id)
    _apply(log, event, now)
    if held is not None:
        log.update(meeting_id, lambda m: None if m is None else confirm(m, met=held, now=now))
    refresh_health(storage=storage, clock=clock, programme=programme, pair_id=pair_id, log=log)
    found = log.get(meeting_id)
    assert found is not None  # just written or already there
    return found


def confirm_meeting(
    *, storage: Storage, clock: Clock, tenant_id: str, programme_id: str, pair_id: str, meeting_id: str, met: bool
) -> Meeting:
    """ "We met" or "we did not meet", said by a person of the pair or a coordinator; the last word counts.

    Raises
    ------
    NotFound
        No such programme, pair or meeting.
    """
    programme = find_programme(storage, tenant_id, programme_id)
    log = PairMeetings(storage, _pair(storage, tenant_id, programme_id, pair_id))
    if log.get(meeting_id) is None:
        raise NotFound("no such meeting")
    now = clock.now()
    log.update(meeting_id, lambda m: None if m is None else confirm(m, met=met, now=now))
    refresh_health(storage=storage, clock=clock, programme=programme, pair_id=pair_id, log=log)
    found = log.get(meeting_id)
    assert found is not None
    return found


@dataclass(frozen=True)
class ConfirmationLinks:
    """How "did you meet?" links are made: the link signing keys and the deployment's public base URL."""

    keys: Sequence[bytes]
    base_url: str


CONFIRM_ACTION = "meeting-confirm"
CONFIRM_TEMPLATE = "meeting_confirm"
# A meeting is asked about for a week after its end; a backlog older than that is not worth a mail.
ASK_WITHIN = timedelta(days=7)
CONFIRM_LINK_TTL = timedelta(days=14)


def ask_to_confirm(
    *,
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    programme: Programme,
    log: PairMeetings,
    links: ConfirmationLinks,
) -> int:
    """Queue "did you meet?" to both people for each booked meeting just over; how many messages were queued.

    Each person gets one message per meeting (the idempotency key), with their own single-use link.
    """
    now = clock.now()
    pair = log.pair
    asked = [m for m in log.all() if awaiting_confirmation(m, now, within=ASK_WITHIN)]
    if not asked:
        return 0
    mentor = storage.participants.get(pair.tenant_id, pair.programme_id, pair.mentor_id)
    mentee = storage.participants.get(pair.tenant_id, pair.programme_id, pair.mentee_id)
    if mentor is None or mentee is None:
        return 0
    queued = 0
    for meeting in asked:
        for person, other in ((mentor, mentee), (mentee, mentor)):
            token = issue_link(
                keys=links.keys,
                clock=clock,
                tenant_id=pair.tenant_id,
                programme_id=pair.programme_id,
                action=CONFIRM_ACTION,
                subject_id=confirmation_subject(pair.pair_id, meeting.meeting_id),
                participant_id=person.participant_id,
                language=person.profile.language or programme.default_language,
                ttl=CONFIRM_LINK_TTL,
            )
            message = notifier.queue(
                tenant_id=pair.tenant_id,
                recipient=person,
                programme=programme,
                template=CONFIRM_TEMPLATE,
                context={
                    "other_name": other.profile.name,
                    "meeting_start": meeting.starts_at,
                    "confirm_url": link_url(links.base_url, token),
                },
                idempotency_key=f"{CONFIRM_ACTION}:{meeting.meeting_id}:{person.participant_id}",
                quiet_hours=quiet_hours_of(programme),
            )
            queued += message is not None
    return queued


def _off_the_due_index(pair: Pair | None) -> Pair | None:
    if pair is None or pair.next_due_at is None:
        return None
    pair.next_due_at = None
    return pair


def _leave_due_index(storage: Storage, pair: Pair) -> None:
    def load() -> Pair | None:
        return storage.pairs.get(pair.tenant_id, pair.programme_id, pair.pair_id)

    update_with_retry(load, _off_the_due_index, storage.pairs.save, message="the pair kept changing")


def check_due_health(
    *,
    storage: Storage,
    clock: Clock,
    notifier: Notifier | None = None,
    links: ConfirmationLinks | None = None,
    limit: int = 500,
) -> dict[str, int]:
    """The health job: recompute every pair whose check time has come (a booked meeting ended, a threshold passed).

    Found through the sparse due index, never a scan; each pair leaves it or moves on to its next check time.
    With a notifier and links, the people of a pair whose booked meeting has just ended are asked whether it
    took place.
    """
    now = clock.now()
    programmes: dict[tuple[str, str], Programme | None] = {}
    counts = {"checked": 0, "due": 0, "overdue": 0, "silent": 0, "asked": 0}
    for pair in storage.pairs.due(now, limit=limit):
        key = (pair.tenant_id, pair.programme_id)
        if key not in programmes:
            programmes[key] = storage.programmes.get(*key)
        programme = programmes[key]
        if programme is None:
            # Its programme is gone: nothing will ever be due, so the pair leaves the index.
            _leave_due_index(storage, pair)
            continue
        log = PairMeetings(storage, pair)
        health = refresh_health(storage=storage, clock=clock, programme=programme, pair_id=pair.pair_id, log=log)
        counts["checked"] += 1
        if health is None:
            continue
        if health.state.value in counts:
            counts[health.state.value] += 1
        if notifier is not None:
            sent = nudge_pair(
                storage=storage, notifier=notifier, programme=programme, pair=pair, health=health, now=now
            )
            counts["nudged"] = counts.get("nudged", 0) + sent
        if notifier is not None and links is not None:
            counts["asked"] += ask_to_confirm(
                storage=storage, notifier=notifier, clock=clock, programme=programme, log=log, links=links
            )
    return counts

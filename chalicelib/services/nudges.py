"""Nudge silent pairs up the ladder, then tell the coordinator: called by the meeting-health sweep.

The health sweep reads each pair whose check time has come from the pair-health index
and recomputes its health; ``nudge_check_at`` makes the pair come due again at its next
ladder step, and ``nudge_pair`` sends the step it has reached. Messages are keyed by
pair, silence start and step, so a sweep run twice or killed midway sends each step
once. Each is queued only inside its recipient's send window: the pair comes due again
when a shut window opens, and is decided on as it is then. The two people are read from
the pair's ``contacts`` (set at approval, refreshed by ``refresh_contacts`` when a
person's profile changes, emptied by erasure), so a sweep reads no participant; a pair
approved before pairs carried contacts reads its two people instead.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.nudges import (
    Contact,
    Ladder,
    SendWindow,
    contact_of,
    due_step,
    next_step_at,
    recipient_of,
    silence_since,
)
from chalicelib.domain.pair import PairStatus
from chalicelib.domain.participant import Participant
from chalicelib.logging import log_event
from chalicelib.notify.ics import reader_zone
from chalicelib.services.concurrency import update_with_retry
from chalicelib.storage import keys

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from chalicelib.domain.meetings import PairHealth
    from chalicelib.domain.pair import Pair
    from chalicelib.domain.programme import Programme
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.repositories import Storage

WINDOW = SendWindow()


def ladder_of(programme: Programme) -> Ladder:
    policy = programme.reminders
    return Ladder.for_rhythm(
        cadence_days=programme.meeting_cadence_days,
        grace_days=policy.nudge_grace_days,
        first_day=policy.nudge_after_days,
    )


def nudge_check_at(programme: Programme, pair: Pair, health: PairHealth, now: datetime) -> PairHealth:
    """``health`` with its next check no later than the pair's next ladder step (while nothing is booked).

    A step reached while a recipient's send window is shut brings the pair back when it opens.
    """
    if health.next_booked_at is not None or not pair.running:
        return health
    ladder = ladder_of(programme)
    since = silence_since(pair.started_at, health.last_met_at)
    moments = [next_step_at(ladder, since, now)]
    reached = due_step(ladder, since, now, booked=False)
    if reached is not None:
        moments.extend(opens for opens in _window_openings(programme, pair, reached, now) if opens > now)
    step_at = min((moment for moment in moments if moment is not None), default=None)
    if step_at is None or (health.check_at is not None and health.check_at <= step_at):
        return health
    return replace(health, check_at=step_at)


def _window_openings(programme: Programme, pair: Pair, step: str, now: datetime) -> list[datetime]:
    """When the send window of each recipient of ``step`` next opens (``now`` where it is open)."""
    if step == "coordinator" or not pair.contacts:
        return [WINDOW.next_open(now, reader_zone(programme.timezone))]
    return [WINDOW.next_open(now, reader_zone(c.timezone, programme.timezone)) for c in pair.contacts]


def nudge_pair(
    *, storage: Storage, notifier: Notifier, programme: Programme, pair: Pair, health: PairHealth, now: datetime
) -> int:
    """Send the ladder step a silent pair has reached (to both people, or to the coordinator); how many were queued."""
    if not pair.running:
        return 0
    since = silence_since(pair.started_at, health.last_met_at)
    step = due_step(ladder_of(programme), since, now, booked=health.next_booked_at is not None)
    if step is None:
        return 0
    key = f"nudge:{pair.pair_id}:{keys.utc_text(since)}:{step}"
    days = (now - since).days
    if step == "coordinator":
        return _tell_coordinator(storage, notifier, programme, pair, key, days, now)
    mentor, mentee = _people(storage, pair, now)
    queued = 0
    for person, other in ((mentor, mentee), (mentee, mentor)):
        if person is None or other is None or _window_shut(now, reader_zone(person.timezone, programme.timezone)):
            continue
        message = notifier.queue(
            tenant_id=pair.tenant_id,
            recipient=recipient_of(person, tenant_id=pair.tenant_id, programme_id=pair.programme_id, at=now),
            programme=programme,
            template="nudge",
            context={"other_name": other.name, "days": str(days), "last_rung": step == "nudge3"},
            idempotency_key=f"{key}:{person.participant_id}",
        )
        queued += message is not None
    if queued:
        log_event("pair nudged", tenant_id=pair.tenant_id, pair_id=pair.pair_id, step=step)
    return queued


def _tell_coordinator(
    storage: Storage, notifier: Notifier, programme: Programme, pair: Pair, key: str, days: int, now: datetime
) -> int:
    recipients = programme.coordinator_addresses()
    if not recipients:
        log_event("silent pair without coordinator", tenant_id=pair.tenant_id, pair_id=pair.pair_id)
        return 0
    if _window_shut(now, reader_zone(programme.timezone)):
        return 0
    mentor, mentee = _people(storage, pair, now)
    queued = 0
    for email, language in recipients:
        message = notifier.queue_to_address(
            tenant_id=pair.tenant_id,
            email=email,
            language=language,
            programme=programme,
            template="nudge_coordinator",
            context={
                "mentor_name": mentor.name if mentor else "-",
                "mentee_name": mentee.name if mentee else "-",
                "days": str(days),
                "pair_id": pair.pair_id,
            },
            idempotency_key=f"{key}:{email.lower()}",
        )
        queued += message is not None
    return queued


def _window_shut(now: datetime, zone: ZoneInfo) -> bool:
    """Whether ``now`` is outside the send window in ``zone``.

    A nudge is queued only inside its window, never ahead of it: a pair that meets before
    the window opens must not then hear about the silence the meeting ended, on the same
    morning as it is asked whether it met (the health sweep comes back at the opening).
    """
    return WINDOW.next_open(now, zone) > now


def _people(storage: Storage, pair: Pair, now: datetime) -> tuple[Contact | None, Contact | None]:
    """Mentor and mentee as the pair carries them; read from their records only for a pair without contacts."""
    held = {contact.participant_id: contact for contact in pair.contacts}
    if pair.mentor_id in held and pair.mentee_id in held:
        return held[pair.mentor_id], held[pair.mentee_id]
    found = []
    for participant_id in (pair.mentor_id, pair.mentee_id):
        person = storage.participants.get(pair.tenant_id, pair.programme_id, participant_id)
        found.append(contact_of(person) if person is not None else None)
    return found[0], found[1]


def pair_contacts(mentor: Participant, mentee: Participant) -> list[Contact]:
    """What an approved pair carries of its two people for its nudges."""
    return [contact_of(mentor), contact_of(mentee)]


def refresh_contacts(storage: Storage, person: Participant) -> int:
    """Bring the contact of ``person`` up to date on their open pairs; how many pairs changed.

    Called when a profile changes (admin API, HR sync), so nudges never use an old name,
    address, language or time zone.
    """
    fresh = contact_of(person)

    def change(current: Pair) -> Pair | None:
        held = [fresh if c.participant_id == fresh.participant_id else c for c in current.contacts]
        if held == current.contacts:
            return None
        current.contacts = held
        return current

    changed = 0
    for status in (PairStatus.APPROVED, PairStatus.ACTIVE):
        for pair in storage.pairs.list(person.tenant_id, person.programme_id, status=status):
            if fresh.participant_id not in (pair.mentor_id, pair.mentee_id) or fresh in pair.contacts:
                continue

            def load(pair: Pair = pair) -> Pair:
                return storage.pairs.get(pair.tenant_id, pair.programme_id, pair.pair_id) or pair

            update_with_retry(load, change, storage.pairs.save)
            changed += 1
    return changed

"""Nudge silent pairs up the ladder, then tell the coordinator: called by the meeting-health sweep.

The health sweep reads each pair whose check time has come from the pair-health index
and recomputes its health; ``nudge_check_at`` makes the pair come due again at its next
ladder step, and ``nudge_pair`` sends the step it has reached. Messages are keyed by
pair, silence start and step, so a sweep run twice or killed midway sends each step
once; each waits for its recipient's send window.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.nudges import Ladder, SendWindow, due_step, next_step_at, silence_since
from chalicelib.logging import log_event
from chalicelib.notify.ics import reader_zone
from chalicelib.services.feedback import coordinator_addresses
from chalicelib.storage import keys

if TYPE_CHECKING:
    from chalicelib.domain.meetings import PairHealth
    from chalicelib.domain.pair import Pair
    from chalicelib.domain.programme import Programme
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.repositories import Storage

WINDOW = SendWindow()


def ladder_of(programme: Programme) -> Ladder:
    return Ladder.starting_at(programme.reminders.nudge_after_days)


def nudge_check_at(programme: Programme, pair: Pair, health: PairHealth, now: datetime) -> PairHealth:
    """``health`` with its next check no later than the pair's next ladder step (while nothing is booked)."""
    if health.next_booked_at is not None or not pair.running:
        return health
    step_at = next_step_at(ladder_of(programme), silence_since(pair.started_at, health.last_met_at), now)
    if step_at is None or (health.check_at is not None and health.check_at <= step_at):
        return health
    return replace(health, check_at=step_at)


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
    mentor = storage.participants.get(pair.tenant_id, pair.programme_id, pair.mentor_id)
    mentee = storage.participants.get(pair.tenant_id, pair.programme_id, pair.mentee_id)
    queued = 0
    for person, other in ((mentor, mentee), (mentee, mentor)):
        if person is None or other is None:
            continue
        zone = reader_zone(person.profile.timezone, programme.timezone)
        message = notifier.queue(
            tenant_id=pair.tenant_id,
            recipient=person,
            programme=programme,
            template="nudge",
            context={"other_name": other.profile.name, "days": str(days), "last_rung": step == "nudge3"},
            idempotency_key=f"{key}:{person.participant_id}",
            not_before=WINDOW.next_open(now, zone),
        )
        queued += message is not None
    if queued:
        log_event("pair nudged", tenant_id=pair.tenant_id, pair_id=pair.pair_id, step=step)
    return queued


def _tell_coordinator(
    storage: Storage, notifier: Notifier, programme: Programme, pair: Pair, key: str, days: int, now: datetime
) -> int:
    recipients = coordinator_addresses(programme)
    if not recipients:
        log_event("silent pair without coordinator", tenant_id=pair.tenant_id, pair_id=pair.pair_id)
        return 0
    mentor = storage.participants.get(pair.tenant_id, pair.programme_id, pair.mentor_id)
    mentee = storage.participants.get(pair.tenant_id, pair.programme_id, pair.mentee_id)
    queued = 0
    for email, language in recipients:
        message = notifier.queue_to_address(
            tenant_id=pair.tenant_id,
            email=email,
            language=language,
            programme=programme,
            template="nudge_coordinator",
            context={
                "mentor_name": mentor.profile.name if mentor else "-",
                "mentee_name": mentee.profile.name if mentee else "-",
                "days": str(days),
                "pair_id": pair.pair_id,
            },
            idempotency_key=f"{key}:{email.lower()}",
            not_before=WINDOW.next_open(now, reader_zone(programme.timezone)),
        )
        queued += message is not None
    return queued

"""Ending pairs: completed as planned, ended early, or released because someone left; and the rematch after.

A mentee whose pair ends early is back in the pool with the priority they had, and
the freed places are offered at once to the best of everyone waiting (or by the run
in progress, when one is). A mentor whose last open pair ends is back in the pool.
Each person who knew of the pair is told once, in their language.
"""

from __future__ import annotations

from chalicelib.clock import Clock
from chalicelib.domain.pair import OPEN_PAIR_STATUSES, Pair, PairStatus
from chalicelib.domain.participant import Participant, ParticipantStatus
from chalicelib.domain.programme import Programme, ProgrammeKind
from chalicelib.errors import IllegalTransition
from chalicelib.logging import log_event
from chalicelib.notify.outbox import Notifier, quiet_hours_of
from chalicelib.services.matching.people import has_open_pairs, to_status, update_participant
from chalicelib.services.matching.reading import get_pair
from chalicelib.services.matching.reports import PairOutcome
from chalicelib.services.matching.runs import rematch
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage

_P = ParticipantStatus


def end_pair(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    pair_id: str,
    *,
    reason: str,
    completed: bool,
) -> PairOutcome:
    """End a pair: completed as planned, or early with a reason; each person who knew of it is told.

    An early end frees both people: the freed places are offered at once to the best of
    everyone waiting (the two never again together).

    Raises
    ------
    IllegalTransition
        When the pair cannot end that way (a pair completes once it has started, with the mentor's acceptance
        where the programme asks for it; a proposal is rejected, not ended).
    """
    programme = get_programme(storage, tenant_id, programme_id)
    pair = get_pair(storage, tenant_id, programme_id, pair_id)
    if completed and pair.awaiting_mentor:
        raise IllegalTransition(
            "the mentor has not accepted this pair yet; end it early instead", details={"from": pair.status.value}
        )
    mentee_knew, mentor_knew = _who_knew(pair)
    now = clock.now()
    pair.move_to(PairStatus.COMPLETED if completed else PairStatus.ENDED_EARLY, at=now, reason=reason)
    pair = storage.pairs.save(pair)
    log_event("pair ended", tenant_id=tenant_id, pair_id=pair_id, state=pair.status.value)
    if not completed:
        mentor = _free_mentor(storage, clock, programme, pair, reason=reason)
        mentee = storage.participants.get(tenant_id, programme_id, pair.mentee_id)
        if mentor_knew and mentor is not None and mentee is not None:
            _tell(notifier, programme, pair, mentor, "pair_ended", other=mentee, other_left=False, seeking=False)
        if mentee_knew and mentee is not None and mentor is not None:
            _tell(notifier, programme, pair, mentee, "pair_ended", other=mentor, other_left=False, seeking=True)
        return free_mentee_and_rematch(storage, notifier, clock, programme, pair, reason=reason)

    label = f"pair {pair_id} completed"
    mentee = update_participant(storage, programme, pair.mentee_id, to_status(_P.COMPLETED, now, label))
    mentor = storage.participants.get(tenant_id, programme_id, pair.mentor_id)
    if not has_open_pairs(storage, programme, pair.mentor_id):
        # In an evergreen programme a mentor goes back to the pool; a cohort ends for them too.
        target = _P.ACCEPTED if programme.kind is ProgrammeKind.EVERGREEN else _P.COMPLETED
        mentor = update_participant(storage, programme, pair.mentor_id, to_status(target, now, label)) or mentor
    mentee = mentee or storage.participants.get(tenant_id, programme_id, pair.mentee_id)
    if mentee is not None and mentor is not None:
        _tell(notifier, programme, pair, mentee, "pair_completed", other=mentor)
        _tell(notifier, programme, pair, mentor, "pair_completed", other=mentee)
    return PairOutcome(pair=pair)


def _who_knew(pair: Pair) -> tuple[bool, bool]:
    """(mentee, mentor): who had been told of the pair. A mentor is asked first where acceptance is on."""
    mentee_knew = pair.status is PairStatus.ACTIVE or (pair.status is PairStatus.APPROVED and not pair.awaiting_mentor)
    return mentee_knew, pair.status in (PairStatus.APPROVED, PairStatus.ACTIVE)


def release_pairs_of(
    storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, leaver: Participant, *, reason: str
) -> list[PairOutcome]:
    """End every open pair of someone who leaves; the other side is told if they knew, and freed places offered.

    The leaver's own status is left to the caller, who withdraws them.
    """
    outcomes: list[PairOutcome] = []
    now = clock.now()
    leaving = frozenset({leaver.participant_id})
    for pair in storage.pairs.list(programme.tenant_id, programme.programme_id):
        if pair.status not in OPEN_PAIR_STATUSES or leaver.participant_id not in (pair.mentee_id, pair.mentor_id):
            continue
        mentee_knew, mentor_knew = _who_knew(pair)
        target = PairStatus.REJECTED if pair.status is PairStatus.PROPOSED else PairStatus.ENDED_EARLY
        pair.move_to(target, at=now, reason=reason)
        pair = storage.pairs.save(pair)
        log_event("pair ended", tenant_id=programme.tenant_id, pair_id=pair.pair_id, state=pair.status.value)
        if leaver.participant_id == pair.mentee_id:
            mentor = _free_mentor(storage, clock, programme, pair, reason="the mentee left the programme")
            if mentor_knew and mentor is not None:
                _tell(notifier, programme, pair, mentor, "pair_ended", other=leaver, other_left=True, seeking=False)
            report, deferred = rematch(storage, notifier, clock, programme, leaving=leaving)
            outcomes.append(PairOutcome(pair=pair, rematch=report, rematch_deferred=deferred))
            continue
        mentee = storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentee_id)
        if mentee_knew and mentee is not None:
            _tell(notifier, programme, pair, mentee, "pair_ended", other=leaver, other_left=True, seeking=True)
        outcome = free_mentee_and_rematch(
            storage, notifier, clock, programme, pair, reason="the mentor left the programme", leaving=leaving
        )
        outcomes.append(outcome)
    return outcomes


def _tell(
    notifier: Notifier,
    programme: Programme,
    pair: Pair,
    recipient: Participant,
    template: str,
    *,
    other: Participant,
    other_left: bool = False,
    seeking: bool = False,
) -> None:
    notifier.queue(
        tenant_id=programme.tenant_id,
        recipient=recipient,
        programme=programme,
        template=template,
        context={"other_name": other.profile.name, "other_left": other_left, "looking_for_new_mentor": seeking},
        idempotency_key=f"{template}:{pair.pair_id}:{recipient.participant_id}",
        quiet_hours=quiet_hours_of(programme),
    )


def _free_mentor(
    storage: Storage, clock: Clock, programme: Programme, pair: Pair, *, reason: str
) -> Participant | None:
    """The mentor's place is free again; with no other open pair they are back in the pool."""
    if has_open_pairs(storage, programme, pair.mentor_id):
        return storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentor_id)
    return update_participant(
        storage,
        programme,
        pair.mentor_id,
        to_status(_P.ACCEPTED, clock.now(), reason, only_from=(_P.MATCHED, _P.ACTIVE)),
    )


def free_mentee_and_rematch(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    programme: Programme,
    pair: Pair,
    *,
    reason: str,
    leaving: frozenset[str] = frozenset(),
) -> PairOutcome:
    """The mentee is back in the pool with the priority they had, and the freed places are offered."""
    update_participant(
        storage,
        programme,
        pair.mentee_id,
        to_status(_P.ACCEPTED, clock.now(), reason, only_from=(_P.WAITLISTED, _P.MATCHED, _P.ACTIVE)),
    )
    # The mentor's place is free even when the mentee has moved on, so it is offered either way.
    report, deferred = rematch(storage, notifier, clock, programme, leaving=leaving)
    return PairOutcome(pair=pair, rematch=report, rematch_deferred=deferred)

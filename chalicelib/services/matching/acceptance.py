"""The mentor's answer to an approved pair, where the programme asks mentors first: accept, decline, or let it expire.

A declined or expired pair is never proposed again, and the mentee's next best fit
is proposed at once.
"""

from __future__ import annotations

from chalicelib.clock import Clock
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.programme import Programme
from chalicelib.errors import IllegalTransition, VersionConflict
from chalicelib.logging import log_event
from chalicelib.notify.outbox import Notifier, quiet_hours_of
from chalicelib.services.matching.ending import free_mentee_and_rematch
from chalicelib.services.matching.people import both_taking_part
from chalicelib.services.matching.reading import get_pair
from chalicelib.services.matching.reports import PairOutcome
from chalicelib.services.matching.review import start_pair
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage

SWEEP_BATCH = 100


def _awaiting(storage: Storage, tenant_id: str, programme_id: str, pair_id: str) -> Pair:
    pair = get_pair(storage, tenant_id, programme_id, pair_id)
    if not pair.awaiting_mentor:
        raise IllegalTransition("this pair is not waiting for the mentor's answer", details={"from": pair.status.value})
    return pair


def accept(storage: Storage, notifier: Notifier, clock: Clock, tenant_id: str, programme_id: str, pair_id: str) -> Pair:
    """The mentor accepts: the pair starts and both people are told (until the sweep has expired it).

    Raises
    ------
    IllegalTransition
        When the pair is not waiting for the mentor's answer.
    Conflict
        When one of the two no longer takes part.
    """
    programme = get_programme(storage, tenant_id, programme_id)
    pair = _awaiting(storage, tenant_id, programme_id, pair_id)
    both_taking_part(storage, programme, pair)
    pair.move_to(PairStatus.ACTIVE, at=clock.now(), reason="accepted by the mentor")
    pair = storage.pairs.save(pair)
    start_pair(storage, notifier, clock, programme, pair)
    log_event("pair accepted", tenant_id=tenant_id, pair_id=pair_id)
    return pair


def decline(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    pair_id: str,
    *,
    reason: str,
) -> PairOutcome:
    """The mentor declines: the mentee's next best fit is proposed at once, never with this mentor."""
    programme = get_programme(storage, tenant_id, programme_id)
    pair = _awaiting(storage, tenant_id, programme_id, pair_id)
    pair.move_to(PairStatus.DECLINED, at=clock.now(), reason=reason)
    pair = storage.pairs.save(pair)
    log_event("pair declined", tenant_id=tenant_id, pair_id=pair_id)
    return free_mentee_and_rematch(storage, notifier, clock, programme, pair, reason=reason)


def _tell_mentor_expired(storage: Storage, notifier: Notifier, programme: Programme, pair: Pair) -> None:
    """The mentor who did not answer learns that someone else was asked, so a late yes goes nowhere unheard."""
    mentor = storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentor_id)
    mentee = storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentee_id)
    if mentor is None or mentee is None:
        return
    notifier.queue(
        tenant_id=programme.tenant_id,
        recipient=mentor,
        programme=programme,
        template="match_request_expired",
        context={"mentee_name": mentee.profile.name},
        idempotency_key=f"match_request_expired:{pair.pair_id}",
        quiet_hours=quiet_hours_of(programme),
    )


def expire_acceptances(storage: Storage, notifier: Notifier, clock: Clock) -> dict[str, int]:
    """Expire pairs whose mentor did not answer in time and propose each mentee's next best fit."""
    now = clock.now()
    counts = {"expired": 0, "rematched": 0, "deferred": 0, "changed_meanwhile": 0}
    programmes: dict[tuple[str, str], Programme | None] = {}
    seen: set[str] = set()
    while True:
        batch = [p for p in storage.pairs.awaiting_mentor(now, limit=SWEEP_BATCH) if p.pair_id not in seen]
        if not batch:
            return counts
        for listed in batch:
            seen.add(listed.pair_id)
            # The deadline index may lag behind the pair itself; act on the pair as stored now.
            pair = storage.pairs.get(listed.tenant_id, listed.programme_id, listed.pair_id)
            if pair is None or not pair.awaiting_mentor or pair.accept_by is None or pair.accept_by > now:
                counts["changed_meanwhile"] += 1
                continue
            key = (pair.tenant_id, pair.programme_id)
            if key not in programmes:
                programmes[key] = storage.programmes.get(*key)
            programme = programmes[key]
            if programme is None:
                continue
            pair.move_to(PairStatus.EXPIRED, at=now, reason="the mentor did not answer in time")
            try:
                pair = storage.pairs.save(pair)
            except VersionConflict:
                counts["changed_meanwhile"] += 1
                continue
            counts["expired"] += 1
            _tell_mentor_expired(storage, notifier, programme, pair)
            outcome = free_mentee_and_rematch(storage, notifier, clock, programme, pair, reason="mentor did not answer")
            counts["rematched"] += int(outcome.rematch is not None and bool(outcome.rematch.run.pair_ids))
            counts["deferred"] += int(outcome.rematch_deferred)

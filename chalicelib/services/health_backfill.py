"""Pair health for pairs that started before it was kept: put them on the due index once.

A pair approved before meeting health existed carries neither a health state nor a next
check time, so the health sweep, which reads only the due index, never finds it. The
backfill reads one programme's pairs (one query by programme), computes the health of each
running pair that has neither, and stores it with its next check time. A second run finds
nothing to do: every pair it touched now has a health state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.services.meetings import find_programme, refresh_health

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.storage.repositories import Storage


def backfill_pair_health(*, storage: Storage, clock: Clock, tenant_id: str, programme_id: str) -> dict[str, int]:
    """Counts of pairs given health now (``backfilled``) and of running pairs that had it (``had_health``).

    Raises
    ------
    NotFound
        No such programme.
    """
    programme = find_programme(storage, tenant_id, programme_id)
    counts = {"backfilled": 0, "had_health": 0}
    for pair in storage.pairs.list(tenant_id, programme_id):
        if not pair.running:
            continue
        if pair.health is not None or pair.next_due_at is not None:
            counts["had_health"] += 1
            continue
        refresh_health(storage=storage, clock=clock, programme=programme, pair_id=pair.pair_id)
        counts["backfilled"] += 1
    return counts

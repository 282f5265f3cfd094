"""Reading pairs and runs of one programme, within one tenant."""

from __future__ import annotations

from chalicelib.domain.matching_run import MatchRun
from chalicelib.domain.meetings import HealthState
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.errors import NotFound
from chalicelib.services.matching.reports import PairPage
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage


def get_pair(storage: Storage, tenant_id: str, programme_id: str, pair_id: str) -> Pair:
    pair = storage.pairs.get(tenant_id, programme_id, pair_id)
    if pair is None:
        raise NotFound("no such pair")
    return pair


def list_pairs(
    storage: Storage,
    tenant_id: str,
    programme_id: str,
    *,
    status: PairStatus | None,
    run_id: str | None,
    health: HealthState | None = None,
) -> list[Pair]:
    get_programme(storage, tenant_id, programme_id)
    if health is not None:
        pairs = [p for p in storage.pairs.by_health(tenant_id, programme_id, health) if status in (None, p.status)]
    else:
        pairs = storage.pairs.list(tenant_id, programme_id, status=status)
    return [p for p in pairs if run_id is None or p.run_id == run_id]


def page_of_pairs(
    storage: Storage,
    tenant_id: str,
    programme_id: str,
    *,
    status: PairStatus | None,
    run_id: str | None,
    limit: int,
    cursor: str | None,
    health: HealthState | None = None,
) -> PairPage:
    """One page of pairs by id; the cursor is the last pair id of the page before."""
    chosen = list_pairs(storage, tenant_id, programme_id, status=status, run_id=run_id, health=health)
    pairs = sorted(chosen, key=lambda p: p.pair_id)
    after = [p for p in pairs if cursor is None or p.pair_id > cursor]
    page = after[:limit]
    return PairPage(items=page, next_cursor=page[-1].pair_id if len(after) > limit else None)


def get_run(storage: Storage, tenant_id: str, programme_id: str, run_id: str) -> MatchRun:
    run = storage.runs.get(tenant_id, programme_id, run_id)
    if run is None:
        raise NotFound("no such matching run")
    return run

"""Backfilling pair health: pairs approved before health was kept reach the due index, once."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from chalicelib.cli import run as run_cli
from chalicelib.domain.meetings import HealthState
from chalicelib.domain.pair import Pair
from chalicelib.storage.repositories import Storage
from tests.support.pairs import stored_pair
from tests.support.world import START, World


def _legacy_pair(storage: Storage, tenant_id: str, programme_id: str, mentor: str, mentee: str) -> Pair:
    """A running pair as stored before meeting health existed: no health, no next check."""
    pair = stored_pair(storage, tenant_id, programme_id, mentor, mentee, approved_at=START)
    return storage.pairs.save(pair.model_copy(update={"next_due_at": None, "health": None}))


def test_the_cli_backfills_legacy_pairs_so_the_due_index_finds_them_and_a_second_run_does_nothing(
    world: World,
) -> None:
    # GIVEN two legacy pairs and one whose health is kept, forty days into the programme
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    t = coordinator.tenant_id
    legacy = [
        _legacy_pair(world.storage, t, programme_id, "jelena@kcb.rs", "ona@kcb.lt"),
        _legacy_pair(world.storage, t, programme_id, "marko@kcb.rs", "lina@kcb.lt"),
    ]
    kept = stored_pair(world.storage, t, programme_id, "ana@kcb.rs", "sofie@kcb.dk", approved_at=START)
    world.clock.advance(timedelta(days=40))
    before = world.storage.pairs.due(world.clock.now() + timedelta(days=400), limit=10)
    assert not {p.pair_id for p in legacy} & {p.pair_id for p in before}

    # WHEN an operator backfills the programme, twice
    first, second = io.StringIO(), io.StringIO()
    status = run_cli(["backfill-pair-health", "--tenant", t, "--programme", programme_id], world.container, first)
    run_cli(["backfill-pair-health", "--tenant", t, "--programme", programme_id], world.container, second)

    # THEN the legacy pairs have health and a next check the due index finds; the second run found none left
    assert status == 0
    assert json.loads(first.getvalue()) == {"backfilled": 2, "had_health": 1}
    assert json.loads(second.getvalue()) == {"backfilled": 0, "had_health": 3}
    for pair in legacy:
        stored = world.storage.pairs.get(t, programme_id, pair.pair_id)
        assert stored is not None
        assert stored.health is not None
        assert stored.health is not HealthState.ON_TRACK
    due = world.storage.pairs.due(world.clock.now() + timedelta(days=400), limit=10)
    assert {p.pair_id for p in legacy} <= {p.pair_id for p in due}
    assert kept.pair_id in {p.pair_id for p in due}


def test_a_coordinator_backfills_their_programme_through_the_admin_api(world: World) -> None:
    # GIVEN a legacy pair
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _legacy_pair(world.storage, coordinator.tenant_id, programme_id, "jelena@kcb.rs", "ona@kcb.lt")

    # WHEN the coordinator asks for the backfill
    answer = coordinator.post(f"/api/v1/programmes/{programme_id}/health-backfill")

    # THEN the pair has its health, and the answer counts it
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body == {"backfilled": 1, "had_health": 0}
    stored = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair.pair_id)
    assert stored is not None
    assert stored.next_due_at is not None


def test_backfilling_another_tenants_programme_is_not_found(world: World) -> None:
    # GIVEN a programme of one tenant
    owner = world.tenant()
    programme_id = owner.programme()

    # WHEN another tenant asks for its backfill
    answer = world.tenant("Drugi centar").post(f"/api/v1/programmes/{programme_id}/health-backfill")

    # THEN it answers 404
    assert answer.status_code == 404

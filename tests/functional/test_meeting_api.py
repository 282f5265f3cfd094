"""Meetings through the admin API as a coordinator uses it: the log and health of a pair, by hand, by health."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.domain.meetings import HealthState
from chalicelib.domain.pair import PairStatus
from chalicelib.services.meetings import check_due_health
from tests.support.pairs import stored_pair
from tests.support.world import START, World

V1 = "/api/v1"


def _iso(days: float) -> str:
    return (START + timedelta(days=days)).isoformat()


def test_a_meeting_recorded_by_hand_shows_in_the_log_and_health_and_twice_is_once(world: World) -> None:
    # GIVEN a running pair
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = stored_pair(
        world.storage, coordinator.tenant_id, programme_id, "jelena@kcb.rs", "ona@kcb.lt", approved_at=START
    )
    path = f"{V1}/programmes/{programme_id}/pairs/{pair.pair_id}/meetings"
    world.clock.advance(timedelta(days=12))

    # WHEN the coordinator records a meeting held on day 10, twice (a retried request)
    first = coordinator.post(path, {"starts_at": _iso(10), "held": True})
    second = coordinator.post(path, {"starts_at": _iso(10), "held": True})
    log = coordinator.get(path)

    # THEN one meeting is logged and the pair's health counts it
    assert (first.status_code, second.status_code) == (201, 201), first.json_body
    assert first.json_body["meeting_id"] == second.json_body["meeting_id"]
    assert log.status_code == 200
    body = log.json_body
    assert [m["meeting_id"] for m in body["meetings"]] == [first.json_body["meeting_id"]]
    assert (body["health"], body["meetings_held"]) == ("on_track", 1)
    assert datetime.fromisoformat(body["last_met_at"]) == START + timedelta(days=10)
    assert body["meetings"][0]["source"] == "by-hand"


def test_a_coordinator_says_a_booked_meeting_did_not_happen_and_it_stops_counting(world: World) -> None:
    # GIVEN a pair with a meeting booked by hand for day 3, now past
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = stored_pair(
        world.storage, coordinator.tenant_id, programme_id, "jelena@kcb.rs", "ona@kcb.lt", approved_at=START
    )
    path = f"{V1}/programmes/{programme_id}/pairs/{pair.pair_id}/meetings"
    booked = coordinator.post(path, {"starts_at": _iso(3), "ends_at": _iso(3.05)}).json_body
    world.clock.advance(timedelta(days=4))
    check_due_health(storage=world.storage, clock=world.clock)
    held_by_calendar = coordinator.get(path).json_body["meetings_held"]

    # WHEN the coordinator says it did not take place
    answer = world.client.http.put(
        f"{path}/{booked['meeting_id']}/confirmation", headers=coordinator.headers(), body='{"met": false}'
    )

    # THEN it counted once its time passed, and no longer does
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["confirmed"] is False
    assert held_by_calendar == 1
    assert coordinator.get(path).json_body["meetings_held"] == 0


def test_pairs_are_listed_by_health(world: World) -> None:
    # GIVEN two running pairs approved on day 0, one of which met on day 40
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    quiet = stored_pair(
        world.storage, coordinator.tenant_id, programme_id, "jelena@kcb.rs", "ona@kcb.lt", approved_at=START
    )
    met = stored_pair(
        world.storage, coordinator.tenant_id, programme_id, "soren@kcb.dk", "ziga@kcb.si", approved_at=START
    )
    world.clock.advance(timedelta(days=41))
    coordinator.post(
        f"{V1}/programmes/{programme_id}/pairs/{met.pair_id}/meetings", {"starts_at": _iso(40), "held": True}
    )

    # WHEN the health job has run on day 61 and the coordinator asks for overdue and on-track pairs
    world.clock.advance(timedelta(days=20))
    check_due_health(storage=world.storage, clock=world.clock)
    overdue = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?health=overdue")
    on_track = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?health=on_track")

    # THEN each list holds the right pair
    assert overdue.status_code == 200, overdue.json_body
    assert [p["pair_id"] for p in overdue.json_body["items"]] == [quiet.pair_id]
    assert overdue.json_body["items"][0]["health"] == HealthState.OVERDUE.value
    assert [p["pair_id"] for p in on_track.json_body["items"]] == [met.pair_id]


@pytest.mark.parametrize("health", ["late", "ON_TRACK"])
def test_an_unknown_health_filter_is_a_400(world: World, health: str) -> None:
    # GIVEN a programme
    coordinator = world.tenant()
    programme_id = coordinator.programme()

    # WHEN pairs are asked for by a health state that does not exist
    answer = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?health={health}")

    # THEN it is refused
    assert answer.status_code == 400


def test_another_tenants_pair_and_a_pair_not_started_cannot_have_meetings(world: World) -> None:
    # GIVEN a tenant's proposed pair, and another tenant
    owner = world.tenant()
    programme_id = owner.programme()
    proposed = stored_pair(
        world.storage,
        owner.tenant_id,
        programme_id,
        "jelena@kcb.rs",
        "ona@kcb.lt",
        approved_at=START,
        status=PairStatus.PROPOSED,
    )
    stranger = world.tenant("Drugi centar")
    path = f"{V1}/programmes/{programme_id}/pairs/{proposed.pair_id}/meetings"

    # WHEN the stranger reads its log and the owner records a meeting for the proposal
    foreign = stranger.get(path)
    early = owner.post(path, {"starts_at": _iso(1)})

    # THEN the stranger gets 404 and the owner 400, and nothing is stored
    assert foreign.status_code == 404
    assert early.status_code == 400
    assert world.storage.meetings.for_pair(owner.tenant_id, programme_id, proposed.pair_id) == []

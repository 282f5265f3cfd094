"""Archiving a programme: signups stop, pairs close with people told, and its people are scrubbed after retention."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.cli import run as run_cli
from chalicelib.domain.pair import PairStatus
from chalicelib.domain.participant import Participant
from chalicelib.jobs import run_job
from chalicelib.services.endpoints import IssuedEndpoint
from chalicelib.settings import Settings
from chalicelib.storage.participants import InMemoryParticipants
from chalicelib.storage.repositories import in_memory_storage
from tests.functional.test_privacy import MAPPING, laura_signup, post_typeform
from tests.support.world import TEST_LINK_KEYS, TenantHandle, World, world_with

V1 = "/api/v1"


@pytest.fixture
def world(storage: Any) -> Iterator[World]:
    """The deployment's own sources and features, so a form signup is really enrolled."""
    with world_with(storage, settings=Settings(link_keys=TEST_LINK_KEYS)) as built:
        yield built


def running_programme(world: World) -> tuple[TenantHandle, str, dict[str, str], IssuedEndpoint]:
    """Ana and Marko matched and approved; Ivana and Petra proposed; signups by Typeform; ids by first name."""
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["en"], default_language="en")
    issued = coordinator.endpoint(programme_id, "typeform")
    mapped = world.client.http.put(
        f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping", headers=coordinator.headers(), body=json.dumps(MAPPING)
    )
    assert mapped.status_code == 200, mapped.json_body
    people = {
        "ana": coordinator.enrol(programme_id, "mentee", "Ana Anić", "ana@example.rs", goals="leadership"),
        "marko": coordinator.enrol(programme_id, "mentor", "Marko Marić", "marko@example.rs", goals="leadership"),
    }
    run = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {})
    (proposal,) = run.json_body["proposals"]
    approved = coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}/approve")
    assert approved.status_code == 200, approved.json_body
    people["ivana"] = coordinator.enrol(programme_id, "mentee", "Ivana Ivić", "ivana@example.rs")
    people["petra"] = coordinator.enrol(programme_id, "mentor", "Petra Perić", "petra@example.rs")
    assert len(coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body["proposals"]) == 1
    assert post_typeform(world, issued, laura_signup()).json_body["state"] == "done"
    return coordinator, programme_id, people, issued


def templates_to(world: World, tenant_id: str, participant_id: str) -> list[str]:
    return sorted(m.template for m in world.storage.messages.for_participant(tenant_id, participant_id))


def test_an_archived_programme_closes_its_pairs_telling_the_people_and_takes_no_more_signups(world: World) -> None:
    # GIVEN a programme with a running pair, a proposal and a Typeform signup form
    coordinator, programme_id, people, issued = running_programme(world)

    # WHEN the coordinator archives it, then someone signs up by the form and another is enrolled by hand
    archived = coordinator.post(f"{V1}/programmes/{programme_id}/archive")
    again = coordinator.post(f"{V1}/programmes/{programme_id}/archive")
    event = json.loads(laura_signup())
    event["event_id"], event["form_response"]["token"] = "evt_late", "late-response"
    body = json.dumps(event, ensure_ascii=False).replace("laura.ciurlionyte", "late.comer").encode()
    late = post_typeform(world, issued, body)
    by_hand = coordinator.post(
        f"{V1}/programmes/{programme_id}/participants",
        {"profile": {"role": "mentee", "email": "late@example.rs", "name": "Late", "languages": ["en"]}},
    )

    # THEN the running pair is completed and both told, the proposal rejected unseen, and signups refused with a reason
    assert archived.status_code == 200, archived.json_body
    assert again.json_body == archived.json_body
    statuses = sorted(p.status for p in world.storage.pairs.list(coordinator.tenant_id, programme_id))
    assert statuses == sorted([PairStatus.COMPLETED, PairStatus.REJECTED])
    assert "pair_completed" in templates_to(world, coordinator.tenant_id, people["ana"])
    assert "pair_completed" in templates_to(world, coordinator.tenant_id, people["marko"])
    assert templates_to(world, coordinator.tenant_id, people["ivana"]) == ["welcome"]
    assert late.json_body["state"] == "ignored"
    stored = world.storage.deliveries.get(issued.endpoint.endpoint_id, "evt_late")
    assert stored is not None
    assert stored.last_error == "the programme is archived and takes no more signups"
    assert by_hand.status_code == 409
    assert world.storage.participants.by_email(coordinator.tenant_id, "late@example.rs") == []


def test_the_scrub_job_leaves_only_counts_after_the_tenant_s_retention_and_a_second_run_changes_nothing(
    world: World,
) -> None:
    # GIVEN an archived programme of a tenant keeping archived people 30 days
    coordinator, programme_id, people, _issued = running_programme(world)
    assert coordinator.put(f"{V1}/tenant/retention", {"retention_days": 30}).status_code == 200
    coordinator.post(f"{V1}/programmes/{programme_id}/archive")
    tenant_id = coordinator.tenant_id

    # WHEN the job runs a day before the 30 days, then after them, then again
    world.clock.advance(timedelta(days=29))
    early = run_job("scrub-archived-programmes", world.container)
    kept = len(world.storage.participants.by_email(tenant_id, "ana@example.rs"))
    world.clock.advance(timedelta(days=2))
    scrubbed = run_job("scrub-archived-programmes", world.container)
    after_first = coordinator.get(f"{V1}/programmes/{programme_id}/archive").json_body
    twice = run_job("scrub-archived-programmes", world.container)

    # THEN nothing went early; then no person, message, submission or pair explanation is left, and the counts are
    assert (early["programmes"], kept) == (0, 1)
    assert scrubbed["programmes"] == 1
    assert twice["programmes"] == 0
    assert all_people(world, tenant_id, programme_id) == []
    assert [templates_to(world, tenant_id, pid) for pid in people.values()] == [[], [], [], []]
    issued = world.storage.endpoints.list(tenant_id)[0]
    assert world.storage.deliveries.for_endpoint(issued.endpoint_id) == []
    pairs = world.storage.pairs.list(tenant_id, programme_id)
    assert [(p.explanation, p.reasons) for p in pairs] == [(None, []), (None, [])]
    assert after_first["scrubbed_at"] is not None
    assert after_first["figures"] == {
        "mentees": 3,
        "mentors": 2,
        "pairs": 2,
        "pairs_completed": 1,
        "pairs_rejected": 1,
        "participants": 5,
        "participants_accepted": 3,
        "participants_completed": 2,
    }
    assert coordinator.get(f"{V1}/programmes/{programme_id}/archive").json_body == after_first


def all_people(world: World, tenant_id: str, programme_id: str) -> list[Participant]:
    return world.storage.participants.list(tenant_id, programme_id, limit=100).items


class DiesAfterOneDeletion(InMemoryParticipants):
    """Participants whose deletion stops (the Lambda timed out) after the first, until revived."""

    def __init__(self) -> None:
        super().__init__()
        self.dead = False
        self.deleted = 0

    def delete(self, participant: Participant) -> None:
        if self.dead or self.deleted == 1:
            self.dead = True
            raise TimeoutError("the function ran out of time")
        super().delete(participant)
        self.deleted += 1


@pytest.fixture
def dying_world() -> Iterator[tuple[World, DiesAfterOneDeletion]]:
    storage = in_memory_storage()
    participants = DiesAfterOneDeletion()
    storage.participants = participants
    with world_with(storage, settings=Settings(link_keys=TEST_LINK_KEYS)) as world:
        yield world, participants


def test_a_scrub_killed_midway_is_finished_by_the_next_run_with_the_counts_taken_before_it(
    dying_world: tuple[World, DiesAfterOneDeletion],
) -> None:
    # GIVEN an archived programme whose retention (the default 90 days) has passed
    world, participants = dying_world
    coordinator, programme_id, _people, _issued = running_programme(world)
    coordinator.post(f"{V1}/programmes/{programme_id}/archive")
    world.clock.advance(timedelta(days=91))

    # WHEN the job dies after deleting one person, then runs again
    with pytest.raises(TimeoutError):
        run_job("scrub-archived-programmes", world.container)
    half = len(all_people(world, coordinator.tenant_id, programme_id))
    participants.dead, participants.deleted = False, -1_000
    finished = run_job("scrub-archived-programmes", world.container)

    # THEN the second run finished it, and the figures count everyone, not what was left
    assert half == 4
    assert finished["programmes"] == 1
    assert all_people(world, coordinator.tenant_id, programme_id) == []
    archive = world.storage.archives.get(coordinator.tenant_id, programme_id)
    assert archive is not None
    assert archive.scrubbed_at is not None
    assert archive.figures["participants"] == 5


def test_the_operator_archives_a_programme_with_the_cli_only_when_confirmed(world: World) -> None:
    # GIVEN a programme with a running pair
    coordinator, programme_id, _people, _issued = running_programme(world)
    argv = ["archive-programme", "--tenant", coordinator.tenant_id, "--programme", programme_id]

    # WHEN the operator forgets --yes, then confirms
    unconfirmed = run_cli(argv, world.container, io.StringIO())
    left_open = world.storage.archives.get(coordinator.tenant_id, programme_id)
    out = io.StringIO()
    confirmed = run_cli([*argv, "--yes"], world.container, out)

    # THEN nothing happened without confirmation; with it the programme is archived and its scrub date shown
    assert (unconfirmed, left_open) == (2, None)
    assert confirmed == 0
    assert json.loads(out.getvalue())["scrub_at"].startswith("2026-11-30")


def test_an_archived_programme_cannot_be_reopened_or_scheduled_for_matching_but_can_be_renamed(world: World) -> None:
    # GIVEN an archived programme
    coordinator, programme_id, _people, _issued = running_programme(world)
    assert coordinator.post(f"{V1}/programmes/{programme_id}/archive").status_code == 200
    path = f"{V1}/programmes/{programme_id}"

    # WHEN the coordinator tries to open it again, to clear its archive date, to set a matching date, then renames it
    reopened = coordinator.patch(path, {"status": "open"})
    unarchived = coordinator.patch(path, {"archived_at": None})
    scheduled = coordinator.patch(path, {"matching_date": "2031-01-01"})
    renamed = coordinator.patch(path, {"name": "Mentorski program 2026 (arhiva)"})

    # THEN each reopening is refused with the reason and changes nothing; the new name is kept
    assert [a.status_code for a in (reopened, unarchived, scheduled)] == [409, 409, 409]
    assert reopened.json_body["error"] == "conflict"
    assert "archived and cannot be reopened" in reopened.json_body["message"]
    assert renamed.status_code == 200, renamed.json_body
    stored = world.storage.programmes.get(coordinator.tenant_id, programme_id)
    assert stored is not None
    assert (stored.status.value, stored.matching_date) == ("closed", None)
    assert stored.name == "Mentorski program 2026 (arhiva)"
    assert stored.archived_at is not None

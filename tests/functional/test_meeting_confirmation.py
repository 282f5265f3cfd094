""" "We met" / "we did not meet": asked by e-mail after a booked meeting's end, answered through a signed link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from chalicelib.domain.meetings import MeetingStatus
from chalicelib.domain.pair import Pair
from chalicelib.errors import ConfigurationError
from chalicelib.jobs import run_job
from chalicelib.services.meetings import CONFIRM_TEMPLATE
from chalicelib.settings import Settings
from chalicelib.storage.repositories import Storage
from tests.support.pairs import stored_pair
from tests.support.world import START, TEST_LINK_KEYS, TenantHandle, World, world_with

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BASE_URL = "https://mentorflow.example.org"


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    settings = Settings(link_keys=TEST_LINK_KEYS, public_base_url=BASE_URL)
    with world_with(storage, settings=settings) as built:
        yield built


def _link_path(body_text: str) -> str:
    match = re.search(rf"{re.escape(BASE_URL)}(/links/\S+)", body_text)
    assert match is not None, "no link in the message"
    return match.group(1)


def test_after_a_booked_meeting_both_people_are_asked_in_their_language_and_one_answer_counts(world: World) -> None:
    # GIVEN a Serbian mentor and a Lithuanian mentee with a meeting booked by their coordinator for day 3
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["sr", "lt", "en"], default_language="en")
    pair = stored_pair(
        world.storage,
        coordinator.tenant_id,
        programme_id,
        "jelena@kcb.rs",
        "ona@kcb.lt",
        approved_at=START,
        mentor_profile={"language": "sr", "timezone": "Europe/Belgrade"},
        mentee_profile={"language": "lt", "timezone": "Europe/Vilnius"},
    )
    meetings_path = f"/api/v1/programmes/{programme_id}/pairs/{pair.pair_id}/meetings"
    start = START + timedelta(days=3, hours=5)
    booked = coordinator.post(meetings_path, {"starts_at": start.isoformat()}).json_body

    # WHEN the health job runs after the meeting's end, and again later
    world.clock.advance(timedelta(days=3, hours=7))
    first = run_job("check-meeting-health", world.container)
    world.clock.advance(timedelta(hours=1))
    run_job("check-meeting-health", world.container)

    # THEN each of them got one message in their language, each with their own link
    messages = [
        m
        for participant_id in (pair.mentor_id, pair.mentee_id)
        for m in world.storage.messages.for_participant(coordinator.tenant_id, participant_id)
        if m.template == CONFIRM_TEMPLATE
    ]
    assert first["asked"] == 2
    assert sorted((m.language, m.participant_id) for m in messages) == sorted(
        [("sr", pair.mentor_id), ("lt", pair.mentee_id)]
    )
    (to_mentee,) = [m for m in messages if m.participant_id == pair.mentee_id]
    assert "Susitikome" not in to_mentee.body_text  # the page has the buttons, not the mail
    path = _link_path(to_mentee.body_text)

    # WHEN the mentee opens the link (a scanner may too), then answers "we did not meet", then presses again
    shown = world.client.http.get(path)
    answered = world.client.http.post(path, headers=FORM, body="met=no")
    again = world.client.http.post(path, headers=FORM, body="met=yes")

    # THEN the page asked in Lithuanian without changing anything, the answer was recorded once
    assert shown.status_code == 200
    assert "Ar susitikimas įvyko?" in shown.body.decode()
    assert answered.status_code == 200, answered.body
    assert again.status_code == 409
    log = coordinator.get(meetings_path).json_body
    (meeting,) = log["meetings"]
    assert (meeting["meeting_id"], meeting["confirmed"], meeting["status"]) == (
        booked["meeting_id"],
        False,
        MeetingStatus.SCHEDULED.value,
    )
    assert log["meetings_held"] == 0


def _a_booked_meeting_just_ended(world: World) -> tuple[TenantHandle, str, Pair]:
    """A running pair whose coordinator booked a meeting for day 1; it is day 3."""
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = stored_pair(
        world.storage, coordinator.tenant_id, programme_id, "jelena@kcb.rs", "ona@kcb.lt", approved_at=START
    )
    coordinator.post(
        f"/api/v1/programmes/{programme_id}/pairs/{pair.pair_id}/meetings",
        {"starts_at": (START + timedelta(days=1)).isoformat()},
    )
    world.clock.advance(timedelta(days=2))
    return coordinator, programme_id, pair


def test_without_a_public_url_the_job_keeps_health_and_asks_no_one(storage: Storage) -> None:
    # GIVEN a deployment whose public URL is not configured, and a pair whose booked meeting has ended
    with world_with(storage) as world:
        coordinator, programme_id, pair = _a_booked_meeting_just_ended(world)

        # WHEN the health job runs
        counts = run_job("check-meeting-health", world.container)

        # THEN the meeting counts as held by its time, and nobody is asked
        assert counts["asked"] == 0
        stored = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair.pair_id)
        assert stored is not None
        assert stored.meetings_held == 1


def test_a_deployed_stage_without_a_public_url_fails_the_health_job_naming_the_setting(storage: Storage) -> None:
    # GIVEN a deployed stage whose public URL is not configured, and a pair whose booked meeting has ended
    settings = Settings(stage="prod", link_keys=TEST_LINK_KEYS)
    with world_with(storage, settings=settings) as world:
        coordinator, _programme_id, pair = _a_booked_meeting_just_ended(world)

        # WHEN the health job runs
        with pytest.raises(ConfigurationError) as failed:
            run_job("check-meeting-health", world.container)

        # THEN it fails naming the setting, before anything moved: the pair is still due for its check
        assert "MENTORFLOW_PUBLIC_BASE_URL" in str(failed.value)
        assert world.storage.pairs.due(world.clock.now(), limit=10)
        assert world.storage.messages.for_participant(coordinator.tenant_id, pair.mentor_id) == []

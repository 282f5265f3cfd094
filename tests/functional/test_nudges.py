"""Nudges through the real health job: a silent pair climbs the ladder once per step, then the coordinator hears."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.meetings import MeetingStatus
from chalicelib.domain.message import Message
from chalicelib.domain.nudges import SendWindow
from chalicelib.domain.pair import Pair
from chalicelib.jobs import run_job
from chalicelib.services.meetings import CONFIRM_TEMPLATE
from chalicelib.settings import Settings
from chalicelib.storage.messages import MessageRepository
from chalicelib.storage.pairs import InMemoryPairs
from chalicelib.storage.repositories import Storage, in_memory_storage
from tests.support import builders
from tests.support.world import START, TEST_LINK_KEYS, V1, TenantHandle, World, world_with

COORDINATOR = "koordinatorka@example.rs"
# The mentee gave no time zone: the programme's is hers.
BELGRADE = ZoneInfo("Europe/Belgrade")


# Meetings every 11 days and the default 3 days' grace: the first nudge falls on day 14 of silence.
CADENCE_FOR_DAY_14 = 11


def _pair(world: World, **programme: object) -> tuple[TenantHandle, str, str, str, str]:
    coordinator = world.tenant()
    fields: dict[str, object] = {
        "coordinator_email": COORDINATOR,
        "timezone": "Europe/Belgrade",
        "meeting_cadence_days": CADENCE_FOR_DAY_14,
    }
    programme_id = coordinator.programme(**(fields | programme))
    mentor = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", language="sr")
    mentee = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", language="en")
    run = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body
    pair_id = run["proposals"][0]["pair_id"]
    coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{pair_id}/approve", {})
    return coordinator, programme_id, pair_id, mentor, mentee


def _nudges(world: World, participant_id: str, tenant_id: str) -> list[Message]:
    found = world.storage.messages.for_participant(tenant_id, participant_id)
    return sorted((m for m in found if m.template == "nudge"), key=lambda m: m.created_at)


def _started_at(world: World, tenant_id: str, programme_id: str, pair_id: str) -> datetime:
    pair = world.storage.pairs.get(tenant_id, programme_id, pair_id)
    assert pair is not None
    assert pair.started_at is not None
    return pair.started_at


def _days_after(start: datetime, messages: list[Message]) -> list[int]:
    return [(m.created_at - start) // timedelta(days=1) for m in messages]


def _local_days(messages: list[Message]) -> list[date]:
    return [m.created_at.astimezone(BELGRADE).date() for m in messages]


def _window_day(start: datetime, days: int) -> date:
    """The local day a step falling ``days`` after ``start`` goes out: its own, or the next weekday."""
    return SendWindow().next_open(start + timedelta(days=days), BELGRADE).astimezone(BELGRADE).date()


def _climb(world: World, days: int) -> None:
    """The health job every six hours, twice each time (a sweep run again must send nothing new)."""
    for _ in range(days * 4):
        world.clock.advance(timedelta(hours=6))
        run_job("check-meeting-health", world.container)
        run_job("check-meeting-health", world.container)


def test_a_silent_pair_is_nudged_at_14_21_and_28_days_each_once_then_the_coordinator_is_told(world: World) -> None:
    # GIVEN a pair approved today that never meets
    coordinator, _programme_id, _pair_id, mentor, mentee = _pair(world)

    # WHEN the health job runs every six hours, twice each time, for 40 days
    _climb(world, 40)

    # THEN each person got three nudges in their language, each in their weekday window, and the coordinator one note
    for person, language in ((mentor, "sr"), (mentee, "en")):
        nudges = _nudges(world, person, coordinator.tenant_id)
        assert [m.language for m in nudges] == [language] * 3
        assert all(
            m.not_before is None
            or (9 <= m.not_before.astimezone(BELGRADE).hour < 18 and m.not_before.astimezone(BELGRADE).weekday() < 5)
            for m in nudges
        )
    escalations = [m for m in world.storage.messages.by_state("pending") if m.template == "nudge_coordinator"]  # type: ignore[arg-type]
    assert [m.recipient for m in escalations] == [COORDINATOR]


@pytest.mark.parametrize("cadence", [7, 30], ids=["weekly", "monthly"])
def test_the_first_nudge_falls_at_the_cadence_plus_grace_days_then_weekly_then_the_coordinator(
    world: World, cadence: int
) -> None:
    # GIVEN a pair of a programme meeting every `cadence` days (default grace: 3 days), approved now, that never meets
    coordinator, programme_id, pair_id, mentor, mentee = _pair(world, meeting_cadence_days=cadence)
    started_at = _started_at(world, coordinator.tenant_id, programme_id, pair_id)
    first = cadence + 3

    # WHEN the health job runs until a day before the first step
    _climb(world, first - 1)

    # THEN nobody has been nudged yet
    assert _nudges(world, mentor, coordinator.tenant_id) == []

    # WHEN it runs on for four more weeks
    _climb(world, 29)

    # THEN each person heard each step once, on its day (or the next weekday), and the coordinator a week after the last
    steps = [_window_day(started_at, first + 7 * n) for n in range(3)]
    for person in (mentor, mentee):
        assert _local_days(_nudges(world, person, coordinator.tenant_id)) == steps
    escalations = [m for m in world.storage.messages.by_state("pending") if m.template == "nudge_coordinator"]  # type: ignore[arg-type]
    assert _local_days(escalations) == [_window_day(started_at, first + 21)]


def test_a_programmes_own_first_nudge_day_wins_over_its_cadence(world: World) -> None:
    # GIVEN a programme meeting monthly that wants silent pairs nudged from day 10
    coordinator, programme_id, pair_id, mentor, _mentee = _pair(
        world, meeting_cadence_days=30, reminders={"nudge_after_days": 10}
    )
    started_at = _started_at(world, coordinator.tenant_id, programme_id, pair_id)

    # WHEN the health job runs for four weeks
    _climb(world, 28)

    # THEN the mentor was nudged on days 10, 17 and 24
    assert _days_after(started_at, _nudges(world, mentor, coordinator.tenant_id)) == [10, 17, 24]


def test_a_booked_meeting_stops_the_ladder(world: World) -> None:
    # GIVEN a pair with a meeting booked on day 50
    coordinator, programme_id, pair_id, mentor, _mentee = _pair(world)
    world.storage.meetings.save(
        builders.meeting(
            coordinator.tenant_id,
            programme_id,
            pair_id,
            "mtg_booked",
            starts_at=world.clock.now() + timedelta(days=50),
            status=MeetingStatus.SCHEDULED,
        )
    )
    pair = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair_id)
    assert pair is not None

    # WHEN the health job runs daily for 40 days
    for _ in range(40):
        world.clock.advance(timedelta(days=1))
        run_job("check-meeting-health", world.container)

    # THEN nobody was nudged
    assert _nudges(world, mentor, coordinator.tenant_id) == []


def test_a_silent_pair_is_escalated_to_every_named_coordinator_in_their_language(world: World) -> None:
    # GIVEN a programme run by a Slovenian and a Danish coordinator, and a pair approved today that never meets
    coordinators = [
        {"name": "Mojca Kranjc", "email": "mojca@example.si", "language": "sl"},
        {"name": "Mette Holm", "email": "mette@example.dk", "language": "da"},
    ]
    _pair(world, coordinators=coordinators)

    # WHEN the health job runs on day 36, twice
    world.clock.advance(timedelta(days=36))
    run_job("check-meeting-health", world.container)
    run_job("check-meeting-health", world.container)

    # THEN each coordinator is told once, in their language
    escalations = [m for m in world.storage.messages.by_state("pending") if m.template == "nudge_coordinator"]  # type: ignore[arg-type]
    assert sorted((m.recipient, m.language) for m in escalations) == [
        ("mette@example.dk", "da"),
        ("mojca@example.si", "sl"),
    ]


def test_a_nudge_is_written_from_the_contacts_the_pair_carries_kept_current_when_a_profile_changes(
    world: World,
) -> None:
    # GIVEN an approved pair, and the mentee then changes her name and language through the admin API
    coordinator, programme_id, pair_id, mentor, mentee = _pair(world)
    changed = coordinator.patch(
        f"{V1}/programmes/{programme_id}/participants/{mentee}", {"profile": {"name": "Ona Kairytė", "language": "lt"}}
    )
    assert changed.status_code == 200, changed.json_body
    pair = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair_id)
    assert pair is not None
    # AND the two participant records are gone from storage (the sweep must not need them)
    for person in (mentor, mentee):
        stored = world.storage.participants.get(coordinator.tenant_id, programme_id, person)
        assert stored is not None
        world.storage.participants.delete(stored)

    # WHEN the health job runs on day 15
    world.clock.advance(timedelta(days=15))
    run_job("check-meeting-health", world.container)

    # THEN the pair carries both people as they are now, and each nudge is written from it
    assert {(c.name, c.language) for c in pair.contacts} == {("Jelena Đorđević", "sr"), ("Ona Kairytė", "lt")}
    (to_mentee,) = _nudges(world, mentee, coordinator.tenant_id)
    (to_mentor,) = _nudges(world, mentor, coordinator.tenant_id)
    assert (to_mentee.language, to_mentee.recipient) == ("lt", "ona@example.lt")
    assert "Ona Kairytė" in to_mentor.body_text


def test_a_persons_export_holds_their_pairs_without_the_partners_contact(world: World) -> None:
    # GIVEN an approved pair, which carries both people's contacts for its nudges
    coordinator, _programme_id, _pair_id, _mentor, _mentee = _pair(world)

    # WHEN the mentee's data is exported
    export = coordinator.post(f"{V1}/people/export", {"email": "ona@example.lt"}).json_body

    # THEN her pair is there, and nothing of the mentor's address
    assert len(export["pairs"]) == 1
    assert "jelena@example.rs" not in str(export["pairs"])


@pytest.fixture
def asking_world(storage: Storage) -> Iterator[World]:
    """A deployment that can ask pairs "did you meet?" (it has link keys and a public address)."""
    settings = Settings(link_keys=TEST_LINK_KEYS, public_base_url="https://mentorflow.example.org")
    with world_with(storage, settings=settings) as built:
        yield built


def test_a_pair_that_meets_before_a_weekend_nudge_goes_out_is_only_asked_whether_it_met(asking_world: World) -> None:
    # GIVEN a pair meeting every 8 days, so its first nudge falls on day 11: Saturday, outside the send window
    world = asking_world
    assert START.weekday() == 1  # a Tuesday
    coordinator, programme_id, pair_id, mentor, mentee = _pair(world, meeting_cadence_days=8)
    _climb(world, 12)
    assert world.clock.now().weekday() == 6  # Sunday
    # AND on Sunday the coordinator books them a meeting for Monday 07:00 Belgrade time, before the window opens
    monday_seven = datetime(2026, 9, 14, 7, 0, tzinfo=BELGRADE)
    booked = coordinator.post(
        f"{V1}/programmes/{programme_id}/pairs/{pair_id}/meetings", {"starts_at": monday_seven.isoformat()}
    )
    assert booked.status_code == 201, booked.json_body

    # WHEN the health job runs on through Monday
    _climb(world, 1)

    # THEN on Monday both are asked whether they met, and no nudge about the silence the meeting ended waits to go
    for person in (mentor, mentee):
        messages = world.storage.messages.for_participant(coordinator.tenant_id, person)
        assert [m.template for m in messages if m.template in (CONFIRM_TEMPLATE, "nudge")] == [CONFIRM_TEMPLATE]


class PairsKilledAfterNudging(InMemoryPairs):
    """Pairs whose first save after a nudge was queued never happens, as when the Lambda is killed there."""

    def __init__(self, messages: MessageRepository) -> None:
        super().__init__()
        self.messages = messages
        self.kills_left = 1

    def save(self, pair: Pair) -> Pair:
        if self.kills_left and any(m.template == "nudge" for m in self.messages.by_state("pending")):  # type: ignore[arg-type]
            self.kills_left -= 1
            raise TimeoutError("Lambda timed out")
        return super().save(pair)


def test_a_health_sweep_killed_after_nudging_and_run_again_nudges_each_person_once_per_step() -> None:
    # GIVEN a silent pair whose first nudge is queued by a health sweep killed before it records the pair
    storage = in_memory_storage()
    pairs = PairsKilledAfterNudging(storage.messages)
    storage.pairs = pairs
    with world_with(storage) as world:
        coordinator, _programme_id, _pair_id, mentor, mentee = _pair(world)

        # WHEN the health job runs every six hours for 40 days, the killed run failing
        killed = 0
        for _ in range(40 * 4):
            world.clock.advance(timedelta(hours=6))
            try:
                run_job("check-meeting-health", world.container)
            except TimeoutError:
                killed += 1

        # THEN the kill happened, and still each person got each of the three nudges once, the coordinator one note
        assert (killed, pairs.kills_left) == (1, 0)
        for person in (mentor, mentee):
            assert len(_nudges(world, person, coordinator.tenant_id)) == 3
        escalations = [m for m in storage.messages.by_state("pending") if m.template == "nudge_coordinator"]  # type: ignore[arg-type]
        assert [m.recipient for m in escalations] == [COORDINATOR]

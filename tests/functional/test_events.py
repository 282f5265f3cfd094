"""Programme events through the real routes and job: invite the audience, answer by link, remind, record attendance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.domain.message import Message
from chalicelib.jobs import run_job
from chalicelib.settings import Settings
from chalicelib.storage.repositories import Storage
from tests.support.world import START, TEST_LINK_KEYS, V1, TenantHandle, World, world_with

BASE_URL = "https://mentorflow.example.org"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TRAINING_AT = START + timedelta(days=20)


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with world_with(storage, settings=Settings(link_keys=TEST_LINK_KEYS, public_base_url=BASE_URL)) as built:
        yield built


def _programme(world: World) -> tuple[TenantHandle, str, str, str]:
    coordinator = world.tenant()
    programme_id = coordinator.programme(timezone="Europe/Belgrade")
    mentor = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", language="sr")
    mentee = coordinator.enrol(
        programme_id, "mentee", "Søren Ærø", "soren@example.dk", language="en", timezone="Europe/Copenhagen"
    )
    return coordinator, programme_id, mentor, mentee


def _training(coordinator: TenantHandle, programme_id: str) -> dict[str, object]:
    answer = coordinator.post(
        f"{V1}/programmes/{programme_id}/events",
        {
            "kind": "mentor_training",
            "title": "Obuka mentora <b>1</b>",
            "audience": "mentors",
            "starts_at": TRAINING_AT.isoformat(),
            "ends_at": (TRAINING_AT + timedelta(hours=2)).isoformat(),
            "place": "Kulturni centar, Beograd",
            "reminder_days": [7, 1],
        },
    )
    assert answer.status_code == 201, answer.json_body
    return dict(answer.json_body)


def _event_messages(world: World, coordinator: TenantHandle, participant_id: str) -> list[Message]:
    found = world.storage.messages.for_participant(coordinator.tenant_id, participant_id)
    return sorted((m for m in found if m.template.startswith("event_")), key=lambda m: m.created_at)


def _link(message: Message) -> str:
    match = re.search(re.escape(BASE_URL) + r"(/links/[A-Za-z0-9_\-.]+)", message.body_text)
    assert match is not None
    return match.group(1)


def test_a_mentor_training_invites_the_mentors_only_with_a_calendar_file_in_their_time_zone(world: World) -> None:
    # GIVEN a programme with a mentor and a mentee
    coordinator, programme_id, mentor, mentee = _programme(world)

    # WHEN the coordinator creates the mentor training
    created = _training(coordinator, programme_id)

    # THEN only the mentor is invited, in Serbian, with the event in Belgrade time and a yes/no link
    assert created["invited"] == 1
    (invitation,) = _event_messages(world, coordinator, mentor)
    assert (invitation.template, invitation.language) == ("event_invitation", "sr")
    (ics,) = invitation.attachments
    assert "TZID=Europe/Belgrade" in ics.text
    assert "Obuka mentora <b>1</b>" in ics.text
    assert _link(invitation).startswith("/links/")
    assert _event_messages(world, coordinator, mentee) == []


def test_a_yes_by_link_brings_reminders_7_and_1_days_before_and_attendance_counts(world: World) -> None:
    # GIVEN the mentor was invited to the training
    coordinator, programme_id, mentor, _mentee = _programme(world)
    event_id = str(_training(coordinator, programme_id)["event"]["event_id"])  # type: ignore[index]
    (invitation,) = _event_messages(world, coordinator, mentor)

    # WHEN she opens the link (the page escapes the title) and says yes
    page = world.client.http.get(_link(invitation))
    answered = world.client.http.post(_link(invitation), headers=FORM, body=urlencode({"rsvp": "yes"}))
    # AND the hourly reminder job runs every 6 hours until the training
    while world.clock.now() < TRAINING_AT:
        world.clock.advance(timedelta(hours=6))
        run_job("remind-event-attendees", world.container)

    # THEN the page asked, the answer is kept, and she was reminded exactly twice
    assert page.status_code == 200
    body = page.body.decode()
    assert "Obuka mentora &lt;b&gt;1&lt;/b&gt;" in body
    assert "Da, dolazim" in body
    assert answered.status_code == 200
    assert [m.template for m in _event_messages(world, coordinator, mentor)] == [
        "event_invitation",
        "event_reminder",
        "event_reminder",
    ]
    # AND when the coordinator records that she came, the figures say so
    recorded = coordinator.post(
        f"{V1}/programmes/{programme_id}/events/{event_id}/attendance", {"attended": {mentor: True}}
    )
    assert recorded.status_code == 200, recorded.json_body
    listed = coordinator.get(f"{V1}/programmes/{programme_id}/events").json_body
    assert listed["attendance"][event_id] == {"invited": 1, "yes": 1, "no": 0, "attended": 1}


def test_attendance_of_someone_not_invited_is_refused(world: World) -> None:
    # GIVEN a mentor training; the mentee is not invited
    coordinator, programme_id, _mentor, mentee = _programme(world)
    event_id = str(_training(coordinator, programme_id)["event"]["event_id"])  # type: ignore[index]
    # WHEN the coordinator records the mentee as present
    answer = coordinator.post(
        f"{V1}/programmes/{programme_id}/events/{event_id}/attendance", {"attended": {mentee: True}}
    )
    # THEN it is refused
    assert answer.status_code == 404


def test_where_mentor_training_is_required_only_mentors_who_attended_are_matched(world: World) -> None:
    # GIVEN a required mentor training the mentor has not attended yet
    coordinator, programme_id, mentor, _mentee = _programme(world)
    created = coordinator.post(
        f"{V1}/programmes/{programme_id}/events",
        {
            "kind": "mentor_training",
            "title": "Obuka mentora",
            "audience": "mentors",
            "starts_at": TRAINING_AT.isoformat(),
            "ends_at": (TRAINING_AT + timedelta(hours=2)).isoformat(),
            "required_for_matching": True,
        },
    ).json_body
    event_id = created["event"]["event_id"]
    runs = f"{V1}/programmes/{programme_id}/matching-runs"

    # WHEN the matching is previewed before and after the coordinator records her attendance
    before = coordinator.post(runs, {"dry_run": True}).json_body
    coordinator.post(f"{V1}/programmes/{programme_id}/events/{event_id}/attendance", {"attended": {mentor: True}})
    after = coordinator.post(runs, {"dry_run": True}).json_body

    # THEN she is matched only once she attended
    assert before["proposals"] == []
    assert [p["mentor_id"] for p in after["proposals"]] == [mentor]


def _said_yes_and_the_training_ended(world: World) -> tuple[TenantHandle, str, str, str]:
    """The mentor said yes to the training; the reminder job ran every 6 hours until a day after it."""
    coordinator, programme_id, mentor, _mentee = _programme(world)
    event_id = str(_training(coordinator, programme_id)["event"]["event_id"])  # type: ignore[index]
    (invitation,) = _event_messages(world, coordinator, mentor)
    world.client.http.post(_link(invitation), headers=FORM, body=urlencode({"rsvp": "yes"}))
    while world.clock.now() < TRAINING_AT + timedelta(days=1):
        world.clock.advance(timedelta(hours=6))
        run_job("remind-event-attendees", world.container)
    return coordinator, programme_id, event_id, mentor


def test_after_the_event_those_who_said_yes_confirm_their_attendance_once_by_link_in_their_language(
    world: World,
) -> None:
    # GIVEN the mentor said yes and the training has ended
    coordinator, programme_id, event_id, mentor = _said_yes_and_the_training_ended(world)
    asked = [m for m in _event_messages(world, coordinator, mentor) if m.template == "event_attendance"]

    # WHEN she opens the link she was sent (a mail scanner first) and presses "I attended", then again
    (message,) = asked
    path = _link(message)
    world.client.http.get(path)
    page = world.client.http.get(path)
    pressed = world.client.http.post(path, headers=FORM, body=urlencode({"attendance": "attended"}))
    again = world.client.http.post(path, headers=FORM, body=urlencode({"attendance": "missed"}))

    # THEN she was asked once, in Serbian, after the event; her word counts once, in the figures too
    assert message.language == "sr"
    assert message.created_at >= TRAINING_AT + timedelta(hours=2)
    assert "Da li ste prisustvovali?" in page.body.decode()
    assert "Prisustvovao/la sam" in page.body.decode()
    assert pressed.status_code == 200
    assert "zabeleženo" in pressed.body.decode()
    assert again.status_code == 409
    stored = world.storage.events.get_invitation(coordinator.tenant_id, programme_id, event_id, mentor)
    assert stored is not None
    assert (stored.attended, stored.attendance_by) == (True, "self")
    listed = coordinator.get(f"{V1}/programmes/{programme_id}/events").json_body
    assert listed["attendance"][event_id]["attended"] == 1
    attendance_csv = coordinator.get(f"{V1}/programmes/{programme_id}/exports/attendance").body.decode()
    assert f"{mentor},yes,True,self" in attendance_csv


def test_the_coordinators_record_of_attendance_wins_over_the_persons_word(world: World) -> None:
    # GIVEN the training has ended and the mentor was asked whether she came
    coordinator, programme_id, event_id, mentor = _said_yes_and_the_training_ended(world)
    (message,) = [m for m in _event_messages(world, coordinator, mentor) if m.template == "event_attendance"]
    attendance = f"{V1}/programmes/{programme_id}/events/{event_id}/attendance"

    # WHEN the coordinator records that she did not come, and then she presses "I attended"
    coordinator.post(attendance, {"attended": {mentor: False}})
    page = world.client.http.get(_link(message))
    pressed = world.client.http.post(_link(message), headers=FORM, body=urlencode({"attendance": "attended"}))

    # THEN the page says the coordinators recorded it, and their record stands
    assert "Koordinatori su već zabeležili" in page.body.decode()
    assert "Koordinatori su već zabeležili" in pressed.body.decode()
    stored = world.storage.events.get_invitation(coordinator.tenant_id, programme_id, event_id, mentor)
    assert stored is not None
    assert (stored.attended, stored.attendance_by) == (False, "coordinator")


def test_an_event_for_the_coordinators_invites_each_named_coordinator_in_their_language(world: World) -> None:
    # GIVEN a programme run by a Slovenian and a Danish coordinator, with an old single address left over
    coordinator = world.tenant()
    programme_id = coordinator.programme(
        timezone="Europe/Belgrade",
        languages=["sr", "sl", "da"],
        coordinator_email="stari@example.rs",
        coordinators=[
            {"name": "Mojca Kranjc", "email": "mojca@example.si", "language": "sl"},
            {"name": "Mette Holm", "email": "mette@example.dk", "language": "da"},
        ],
    )
    body = {
        "kind": "supervision",
        "title": "Supervizija",
        "audience": "coordinators",
        "starts_at": TRAINING_AT.isoformat(),
        "ends_at": (TRAINING_AT + timedelta(hours=1)).isoformat(),
        "place": "Kulturni centar, Beograd",
    }

    # WHEN the coordinator creates a supervision for the coordinators
    created = coordinator.post(f"{V1}/programmes/{programme_id}/events", body)
    assert created.status_code == 201, created.json_body

    # THEN each named coordinator is invited once, in their language, with a calendar file; the old address is not
    invitations = [m for m in world.storage.messages.by_state("pending") if m.template == "event_invitation"]  # type: ignore[arg-type]
    assert sorted((m.recipient, m.language, len(m.attachments)) for m in invitations) == [
        ("mette@example.dk", "da", 1),
        ("mojca@example.si", "sl", 1),
    ]
    assert created.json_body["invited"] == 2

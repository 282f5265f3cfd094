"""The survey (with its goal questions), RSVP, attendance and "we met" pages in headless Chromium.

Each renders in every language and records an answer.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.events import Rsvp
from chalicelib.domain.message import Message
from chalicelib.domain.programme import SUPPORTED_LANGUAGES
from chalicelib.events.attendance_page import TEXTS as ATTENDANCE_TEXTS
from chalicelib.events.rsvp_page import TEXTS as RSVP_TEXTS
from chalicelib.feedback.texts import PAGE_TEXTS as SURVEY_TEXTS
from chalicelib.jobs import run_job
from chalicelib.meetings.links import TEXTS as MEETING_TEXTS
from tests.browser.pages import only_message, press
from tests.support import builders
from tests.support.world import V1, TenantHandle, World

NAMES = {"en": "Ana Lee", "sr": "Đorđe Đorđević", "lt": "Ona Čiurlionytė", "sl": "Žiga Šušteršič", "da": "Søren Ærø"}


def _link(message: Message, base_url: str) -> str:
    match = re.search(re.escape(base_url) + r"/links/[A-Za-z0-9_\-.]+", message.body_text)
    assert match is not None
    return match.group(0)


def _programme(world: World, language: str, **programme: Any) -> tuple[TenantHandle, str, str, str]:
    coordinator = world.tenant()
    programme_id = coordinator.programme(
        languages=list(SUPPORTED_LANGUAGES),
        default_language="en",
        coordinator_email="coordinator@example.org",
        **programme,
    )
    mentor = coordinator.enrol(
        programme_id, "mentor", "Mentor Person", f"mentor-{language}@example.org", language=language
    )
    mentee = coordinator.enrol(
        programme_id,
        "mentee",
        NAMES[language],
        f"mentee-{language}@example.org",
        language=language,
        goals="Lead my first team\nJavno nastupanje",
    )
    return coordinator, programme_id, mentor, mentee


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_survey_page_renders_in_the_persons_language_and_records_the_answer(
    browser: Any, served: tuple[World, str], screenshots: Path, language: str
) -> None:
    # GIVEN a pair matched 21 days ago whose fit check went out
    world, base_url = served
    coordinator, programme_id, _mentor, mentee = _programme(world, language)
    run = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body
    pair_id = run["proposals"][0]["pair_id"]
    coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{pair_id}/approve", {})
    world.clock.advance(timedelta(days=21))
    run_job("send-surveys", world.container)
    asked = only_message(world, coordinator.tenant_id, mentee, "survey_request")
    text = SURVEY_TEXTS[language]

    # WHEN the mentee opens the link in Chromium, picks 4, "no", writes markup in the comment and sends
    page = browser.new_page()
    try:
        page.goto(_link(asked, base_url))
        title = page.locator("h1").inner_text()
        html_lang = page.get_attribute("html", "lang")
        page.screenshot(path=str(screenshots / f"survey-{language}.png"), full_page=True)
        page.check('input[name="rating"][value="4"]')
        page.check('input[name="good_fit"][value="no"]')
        page.fill('textarea[name="comment"]', "<script>document.title='x'</script> Treba nam više vremena.")
        page.click('button[type="submit"]')
        thanks = page.locator("h1").inner_text()
        scripts_ran = page.title() == "x"
    finally:
        page.close()

    # THEN the page spoke the person's language, nothing ran, and the answer is stored
    assert (title, html_lang) == (text["fit_check"], language)
    assert thanks == text["thanks"]
    assert not scripts_ran
    (request,) = [
        r for r in world.storage.surveys.requests(coordinator.tenant_id, programme_id) if r.participant_id == mentee
    ]
    assert (request.rating, request.good_fit) == (4, False)
    assert request.comment is not None
    assert request.comment.startswith("<script>")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_rsvp_page_renders_in_the_persons_language_and_records_the_yes(
    browser: Any, served: tuple[World, str], screenshots: Path, language: str
) -> None:
    # GIVEN a kick-off everyone is invited to
    world, base_url = served
    coordinator, programme_id, _mentor, mentee = _programme(world, language)
    starts = world.clock.now() + timedelta(days=14)
    created = coordinator.post(
        f"{V1}/programmes/{programme_id}/events",
        {
            "kind": "kick_off",
            "title": "Kick-off 2026",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "place": "Kulturni centar",
        },
    ).json_body
    invited = only_message(world, coordinator.tenant_id, mentee, "event_invitation")
    text = RSVP_TEXTS[language]

    # WHEN the mentee opens the link in Chromium and presses "yes"
    pressed = press(
        browser,
        _link(invited, base_url),
        f'button[name="rsvp"][value="{Rsvp.YES.value}"]',
        screenshots / f"rsvp-{language}.png",
    )
    title, thanks = pressed.title, pressed.after

    # THEN the page asked in the person's language and the yes is stored
    assert title == f"Kick-off 2026: {text['question']}"
    assert thanks == text["thanks_yes"]
    invitation = world.storage.events.get_invitation(
        coordinator.tenant_id, programme_id, created["event"]["event_id"], mentee
    )
    assert invitation is not None
    assert invitation.rsvp is Rsvp.YES


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_we_met_page_renders_in_the_persons_language_and_records_the_meeting(
    browser: Any, served: tuple[World, str], screenshots: Path, language: str
) -> None:
    # GIVEN a running pair whose booked meeting ended an hour ago, and the health job asked both people
    world, base_url = served
    coordinator, programme_id, _mentor, mentee = _programme(world, language)
    run = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body
    pair_id = run["proposals"][0]["pair_id"]
    coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{pair_id}/approve", {})
    starts = world.clock.now() + timedelta(hours=1)
    world.storage.meetings.save(
        builders.meeting(
            coordinator.tenant_id, programme_id, pair_id, "mtg_1", starts_at=starts, ends_at=starts + timedelta(hours=1)
        )
    )
    world.clock.advance(timedelta(hours=3))
    run_job("check-meeting-health", world.container)
    asked = only_message(world, coordinator.tenant_id, mentee, "meeting_confirm")
    text = MEETING_TEXTS[language]

    # WHEN the mentee opens the link in Chromium and presses "we met"
    pressed = press(
        browser, _link(asked, base_url), 'button[name="met"][value="yes"]', screenshots / f"we-met-{language}.png"
    )
    title, thanks = pressed.title, pressed.after

    # THEN the page asked in the person's language and the meeting is recorded as held
    assert (title, thanks) == (text["title"], text["thanks_met"])
    meeting = world.storage.meetings.get(coordinator.tenant_id, programme_id, pair_id, "mtg_1")
    assert meeting is not None
    assert meeting.confirmed is True


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_mid_point_survey_page_asks_about_each_goal_in_the_persons_language_and_records_the_progress(
    browser: Any, served: tuple[World, str], screenshots: Path, language: str
) -> None:
    # GIVEN a pair approved 30 days ago from a mentee who wrote two goals, whose mid-point pulse went out
    world, base_url = served
    coordinator, programme_id, _mentor, mentee = _programme(
        world, language, surveys=[{"kind": "pulse", "offset_days": 30}]
    )
    run = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body
    pair_id = run["proposals"][0]["pair_id"]
    coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{pair_id}/approve", {})
    world.clock.advance(timedelta(days=30))
    run_job("send-surveys", world.container)
    asked = only_message(world, coordinator.tenant_id, mentee, "survey_request")
    text = SURVEY_TEXTS[language]

    # WHEN the mentee opens the link in Chromium, marks the first goal achieved, the second some progress, and sends
    page = browser.new_page()
    try:
        page.goto(_link(asked, base_url))
        title = page.locator("h1").inner_text()
        body = page.locator("body").inner_text()
        page.screenshot(path=str(screenshots / f"survey-goals-{language}.png"), full_page=True)
        page.check('input[name="goal_1"][value="achieved"]')
        page.check('input[name="goal_2"][value="some_progress"]')
        page.check('input[name="rating"][value="9"]')
        page.click('button[type="submit"]')
        thanks = page.locator("h1").inner_text()
    finally:
        page.close()

    # THEN the page asked about each goal in the person's language, and the progress is stored
    assert title == text["pulse"]
    assert text["goals_intro"] in body
    assert f"{text['goal']}: Lead my first team" in body
    assert f"{text['goal']}: Javno nastupanje" in body
    assert text["some_progress"] in body
    assert thanks == text["thanks"]
    (request,) = [
        r for r in world.storage.surveys.requests(coordinator.tenant_id, programme_id) if r.participant_id == mentee
    ]
    assert request.goal_progress == {"1": "achieved", "2": "some_progress"}
    assert request.rating == 9


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_attendance_page_renders_in_the_persons_language_after_the_event_and_records_the_attendance(
    browser: Any, served: tuple[World, str], screenshots: Path, language: str
) -> None:
    # GIVEN a kick-off the mentee said yes to, which ended yesterday, and the job asked her whether she came
    world, base_url = served
    coordinator, programme_id, _mentor, mentee = _programme(world, language)
    starts = world.clock.now() + timedelta(days=3)
    event_id = coordinator.post(
        f"{V1}/programmes/{programme_id}/events",
        {
            "kind": "kick_off",
            "title": "Kick-off 2026",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "reminder_days": [1],
        },
    ).json_body["event"]["event_id"]
    invited = only_message(world, coordinator.tenant_id, mentee, "event_invitation")
    world.client.http.post(
        _link(invited, base_url).removeprefix(base_url),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body="rsvp=yes",
    )
    for _ in range(4 * 4):
        world.clock.advance(timedelta(hours=6))
        run_job("remind-event-attendees", world.container)
    asked = only_message(world, coordinator.tenant_id, mentee, "event_attendance")
    text = ATTENDANCE_TEXTS[language]

    # WHEN the mentee opens the link in Chromium and presses "I attended"
    pressed = press(
        browser,
        _link(asked, base_url),
        'button[name="attendance"][value="attended"]',
        screenshots / f"attendance-{language}.png",
    )
    title, thanks = pressed.title, pressed.after

    # THEN the page asked in the person's language and her attendance is recorded as her own word
    assert (title, thanks) == (f"Kick-off 2026: {text['question']}", text["thanks_attended"])
    invitation = world.storage.events.get_invitation(coordinator.tenant_id, programme_id, event_id, mentee)
    assert invitation is not None
    assert (invitation.attended, invitation.attendance_by) == (True, "self")

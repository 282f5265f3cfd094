"""Feedback through the real routes and job: surveys asked on time, answered by page or form, rolled up, alerted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.message import Message
from chalicelib.domain.webhook import Purpose
from chalicelib.jobs import run_job
from chalicelib.settings import Settings
from chalicelib.storage.repositories import Storage
from tests.support.world import TEST_LINK_KEYS, V1, TenantHandle, World, signed_standard, world_with

BASE_URL = "https://mentorflow.example.org"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
COORDINATOR = "koordinatorka@kulturni.example.rs"


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    settings = Settings(link_keys=TEST_LINK_KEYS, public_base_url=BASE_URL)
    with world_with(storage, settings=settings) as built:
        yield built


def _matched_pair(world: World, **programme: Any) -> tuple[TenantHandle, str, str, str, str]:
    """Jelena (mentor, Serbian) and Ona (mentee, English) matched and approved through the API."""
    coordinator = world.tenant()
    programme_id = coordinator.programme(coordinator_email=COORDINATOR, **programme)
    mentor = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", language="sr")
    mentee = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", language="en")
    run = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {})
    (proposal,) = run.json_body["proposals"]
    approved = coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}/approve", {})
    assert approved.status_code == 200, approved.json_body
    return coordinator, programme_id, proposal["pair_id"], mentor, mentee


def _survey_messages(world: World, coordinator: TenantHandle, participant_id: str) -> list[Message]:
    messages = world.storage.messages.for_participant(coordinator.tenant_id, participant_id)
    return sorted((m for m in messages if m.template.startswith("survey_")), key=lambda m: m.created_at)


def _link_path(message: Message) -> str:
    match = re.search(re.escape(BASE_URL) + r"(/links/[A-Za-z0-9_\-.]+)", message.body_text)
    assert match is not None, message.body_text
    return match.group(1)


def test_the_fit_check_is_asked_of_both_once_in_their_language_21_days_after_the_match(world: World) -> None:
    # GIVEN a pair approved today
    coordinator, _programme_id, _pair_id, mentor, mentee = _matched_pair(world)

    # WHEN the hourly job runs on day 20, then twice on day 21 (a re-run, or two at once)
    world.clock.advance(timedelta(days=20))
    early = run_job("send-surveys", world.container)
    world.clock.advance(timedelta(days=1))
    first = run_job("send-surveys", world.container)
    again = run_job("send-surveys", world.container)

    # THEN nothing on day 20; each person asked once on day 21, in their language, with a link
    assert early["surveys_asked"] == 0
    assert (first["surveys_asked"], again["surveys_asked"]) == (2, 0)
    (to_mentor,) = _survey_messages(world, coordinator, mentor)
    (to_mentee,) = _survey_messages(world, coordinator, mentee)
    assert (to_mentor.template, to_mentor.language) == ("survey_request", "sr")
    assert (to_mentee.template, to_mentee.language) == ("survey_request", "en")
    assert "Ona Čiurlionytė" in to_mentor.body_text
    assert "a good fit" in to_mentee.body_text
    _link_path(to_mentor)


def test_a_low_answer_on_the_page_reaches_the_coordinator_and_the_figures_but_its_comment_only_the_answers(
    world: World,
) -> None:
    # GIVEN the fit check was asked
    coordinator, programme_id, _pair_id, _mentor, mentee = _matched_pair(world)
    world.clock.advance(timedelta(days=21))
    run_job("send-surveys", world.container)
    (to_mentee,) = _survey_messages(world, coordinator, mentee)
    path = _link_path(to_mentee)

    # WHEN Ona opens the page (a mail scanner first) and answers 3, not a good fit, with markup in her comment
    scanned = world.client.http.get(path)
    opened = world.client.http.get(path)
    comment = "<script>alert('x')</script> Jelena cancels every time " + "x" * 100_000
    answered = world.client.http.post(
        path, headers=FORM, body=urlencode({"rating": "3", "good_fit": "no", "comment": comment})
    )
    again = world.client.http.post(path, headers=FORM, body=urlencode({"rating": "10", "good_fit": "yes"}))

    # THEN the page asked the three questions without running anything, and the answer was kept once
    assert scanned.status_code == opened.status_code == 200
    page = opened.body.decode()
    assert "Is this a good fit?" in page
    assert 'name="rating"' in page
    assert "<textarea" in page
    assert answered.status_code == 200
    assert "Thank you" in answered.body.decode()
    assert again.status_code == 409
    # AND the coordinator is told, in the programme's language, with the comment
    (alert,) = [m for m in world.storage.messages.by_state("pending") if m.template == "survey_alert"]  # type: ignore[arg-type]
    assert (alert.recipient, alert.language) == (COORDINATOR, "sr")
    assert "Ocena (0–10): 3" in alert.body_text
    assert "Jelena cancels every time" in alert.body_text
    # AND the figures count it without the comment, which only the answers listing shows
    figures = coordinator.get(f"{V1}/programmes/{programme_id}/feedback").json_body
    assert figures["total"]["asked"] == 2
    assert (figures["total"]["answered"], figures["total"]["mean_rating"], figures["total"]["not_a_good_fit"]) == (
        1,
        3.0,
        1,
    )
    assert "cancels" not in json.dumps(figures)
    (kept,) = coordinator.get(f"{V1}/programmes/{programme_id}/feedback/answers").json_body["items"]
    assert kept["comment"].startswith("<script>alert('x')</script> Jelena cancels every time")
    assert len(kept["comment"]) == 2000


def test_only_those_who_have_not_answered_are_reminded_after_7_14_and_21_days(world: World) -> None:
    # GIVEN a programme whose only survey is the fit check; it was asked and Ona answered at once
    only_fit_check = [{"kind": "fit_check", "offset_days": 21}]
    coordinator, _programme_id, _pair_id, mentor, mentee = _matched_pair(world, surveys=only_fit_check)
    world.clock.advance(timedelta(days=21))
    run_job("send-surveys", world.container)
    (to_mentee,) = _survey_messages(world, coordinator, mentee)
    world.client.http.post(_link_path(to_mentee), headers=FORM, body=urlencode({"rating": "9", "good_fit": "yes"}))

    # WHEN the job runs every day for four weeks
    for _ in range(28):
        world.clock.advance(timedelta(days=1))
        run_job("send-surveys", world.container)

    # THEN Jelena got the request and three reminders, Ona nothing more
    assert [m.template for m in _survey_messages(world, coordinator, mentor)] == [
        "survey_request",
        "survey_reminder",
        "survey_reminder",
        "survey_reminder",
    ]
    assert [m.template for m in _survey_messages(world, coordinator, mentee)] == ["survey_request"]


def _only_request(world: World, coordinator: TenantHandle, programme_id: str, participant_id: str) -> Any:
    (request,) = [
        r
        for r in world.storage.surveys.requests(coordinator.tenant_id, programme_id)
        if r.participant_id == participant_id
    ]
    return request


def _post_survey_form(
    world: World, coordinator: TenantHandle, programme_id: str, survey_id: str, answers: list[dict[str, Any]]
) -> Any:
    """The programme's survey form endpoint receives one signed submission naming ``survey_id``."""
    issued = coordinator.endpoint(programme_id, "standard", purpose=Purpose.SURVEY)
    now = world.clock.now().isoformat()
    body = json.dumps(
        {
            "type": "form.submitted",
            "timestamp": now,
            "data": {
                "form_id": "survey",
                "response_id": f"resp_{survey_id}",
                "submitted_at": now,
                "answers": answers,
                "hidden": {"survey_id": survey_id},
            },
        }
    ).encode()
    return world.client.http.post(
        f"/hooks/standard/{issued.endpoint.endpoint_id}",
        headers=signed_standard(issued.secret, body, msg_id=f"msg_{survey_id}", at=world.clock.now()),
        body=body,
    )


def test_a_survey_answered_in_a_form_tool_rolls_up_with_the_page_answers(world: World) -> None:
    # GIVEN the fit check was asked and the programme has a survey form endpoint
    coordinator, programme_id, _pair_id, mentor, _mentee = _matched_pair(world)
    world.clock.advance(timedelta(days=21))
    run_job("send-surveys", world.container)
    request = _only_request(world, coordinator, programme_id, mentor)

    # WHEN the form tool posts Jelena's answer
    posted = _post_survey_form(
        world,
        coordinator,
        programme_id,
        request.survey_id,
        [
            {"id": "q1", "title": "Ocena", "type": "number", "value": 10},
            {"id": "q2", "ref": "good_fit", "type": "choice", "value": "Da"},
            {"id": "q3", "ref": "comment", "type": "text", "value": "Sjajno"},
        ],
    )

    # THEN it is kept on her request, counts in the figures, and nobody was enrolled
    assert posted.status_code in (200, 202)
    stored = world.storage.surveys.get_request(coordinator.tenant_id, programme_id, request.survey_id)
    assert stored is not None
    assert (stored.rating, stored.good_fit, stored.channel) == (10, True, "form")
    figures = coordinator.get(f"{V1}/programmes/{programme_id}/feedback").json_body
    assert (figures["total"]["answered"], figures["total"]["nps"]) == (1, 100.0)
    assert len(world.storage.participants.list(coordinator.tenant_id, programme_id).items) == 2


def test_a_link_for_another_tenants_survey_finds_nothing(world: World) -> None:
    # GIVEN a survey asked in one tenant, and a link signed for the same survey id in another tenant
    coordinator, programme_id, _pair_id, _mentor, mentee = _matched_pair(world)
    world.clock.advance(timedelta(days=21))
    run_job("send-surveys", world.container)
    (request,) = [
        r for r in world.storage.surveys.requests(coordinator.tenant_id, programme_id) if r.participant_id == mentee
    ]
    from chalicelib.services.links import issue_link, link_url

    token = issue_link(
        keys=world.container.link_keys,
        clock=world.clock,
        tenant_id="ten_someone_else",
        programme_id=programme_id,
        action="survey-answer",
        subject_id=request.survey_id,
        participant_id=mentee,
    )

    # WHEN it is opened and posted
    opened = world.client.http.get(link_url("", token))
    posted = world.client.http.post(link_url("", token), headers=FORM, body=urlencode({"rating": "1"}))

    # THEN nothing is shown or stored
    assert opened.status_code != 200
    assert posted.status_code != 200
    stored = world.storage.surveys.get_request(coordinator.tenant_id, programme_id, request.survey_id)
    assert stored is not None
    assert not stored.answered


def _pair_with_goals(
    world: World, surveys: list[dict[str, Any]], **programme: Any
) -> tuple[TenantHandle, str, str, str, str]:
    """Jelena (mentor) and Ona (mentee, who chose a topic and wrote two goals at signup), approved."""
    coordinator = world.tenant()
    programme_id = coordinator.programme(coordinator_email=COORDINATOR, surveys=surveys, **programme)
    mentor = coordinator.enrol(
        programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", language="sr", tags=["Public speaking"]
    )
    mentee = coordinator.enrol(
        programme_id,
        "mentee",
        "Ona Čiurlionytė",
        "ona@example.lt",
        language="en",
        tags=["Public speaking"],
        goals="Lead my first team\n- public speaking",
    )
    run = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {})
    (proposal,) = run.json_body["proposals"]
    coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}/approve", {})
    return coordinator, programme_id, proposal["pair_id"], mentor, mentee


def test_the_mid_point_survey_asks_how_far_each_of_the_mentees_signup_goals_got_and_the_figures_add_them_up(
    world: World,
) -> None:
    # GIVEN a pair approved from a mentee who chose a topic and wrote goals; the mid-point pulse comes on day 30
    coordinator, programme_id, pair_id, _mentor, mentee = _pair_with_goals(
        world, [{"kind": "fit_check", "offset_days": 21}, {"kind": "pulse", "offset_days": 30}]
    )
    pair = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair_id)
    assert pair is not None
    assert pair.goals == ["Public speaking", "Lead my first team"]
    world.clock.advance(timedelta(days=30))
    run_job("send-surveys", world.container)
    asked = _survey_messages(world, coordinator, mentee)
    (pulse,) = [m for m in asked if "how your mentoring" in m.body_text]
    (fit_check,) = [m for m in asked if m is not pulse]

    # WHEN Ona opens the fit check and the pulse, and answers the pulse's goal questions
    fit_page = world.client.http.get(_link_path(fit_check)).body.decode()
    pulse_page = world.client.http.get(_link_path(pulse)).body.decode()
    answered = world.client.http.post(
        _link_path(pulse),
        headers=FORM,
        body=urlencode({"rating": "8", "goal_1": "achieved", "goal_2": "not_started", "goal_9": "achieved"}),
    )

    # THEN only the pulse asks about the goals, one question each with three levels
    assert "Public speaking" not in fit_page
    assert "Goal: Public speaking" in pulse_page
    assert "Goal: Lead my first team" in pulse_page
    assert 'name="goal_2"' in pulse_page
    assert "Some progress" in pulse_page
    assert answered.status_code == 200
    # AND the answer keeps the goals it was asked about, the figures count them, the CSV lists them
    figures = coordinator.get(f"{V1}/programmes/{programme_id}/figures").json_body
    assert figures["feedback"]["goals"] == {
        "goals": 2,
        "with_progress": 1,
        "achieved": 1,
        "progress_share": 0.5,
        "achieved_share": 0.5,
    }
    csv_text = coordinator.get(f"{V1}/programmes/{programme_id}/exports/answers").body.decode()
    assert "1: Public speaking; 2: Lead my first team" in csv_text
    assert "1: achieved; 2: not_started" in csv_text


def test_a_closing_survey_in_a_form_tool_answers_the_goals_by_their_refs_in_any_language(world: World) -> None:
    # GIVEN the closing survey was asked of Ona after the pair completed, and a survey form endpoint
    coordinator, programme_id, pair_id, _mentor, mentee = _pair_with_goals(
        world, [{"kind": "closing", "offset_days": 0}]
    )
    ended = coordinator.post(
        f"{V1}/programmes/{programme_id}/pairs/{pair_id}/end", {"outcome": "completed", "reason": "goals reached"}
    )
    assert ended.status_code == 200, ended.json_body
    world.clock.advance(timedelta(days=7))
    run_job("send-surveys", world.container)
    request = _only_request(world, coordinator, programme_id, mentee)

    # WHEN the form tool posts her answer, which gives goal progress only
    posted = _post_survey_form(
        world,
        coordinator,
        programme_id,
        request.survey_id,
        [
            {"id": "q1", "ref": "goal_1", "type": "choice", "value": "Ostvareno"},
            {"id": "q2", "ref": "goal_2", "type": "number", "value": 1},
        ],
    )

    # THEN it is kept: the Serbian label and the number read as levels, and no number was taken for a rating
    assert posted.status_code in (200, 202)
    stored = world.storage.surveys.get_request(coordinator.tenant_id, programme_id, request.survey_id)
    assert stored is not None
    assert stored.answered
    assert stored.goal_progress == {"1": "achieved", "2": "some_progress"}
    assert stored.rating is None


def test_a_fit_check_counted_from_the_first_meeting_waits_for_it_and_comes_n_days_after_it(world: World) -> None:
    # GIVEN a programme whose fit check comes 7 days after the first meeting held, and a pair approved today
    fit_check = [{"kind": "fit_check", "offset_days": 7, "count_from": "after_first_meeting"}]
    coordinator, programme_id, pair_id, _mentor, mentee = _matched_pair(world, surveys=fit_check)
    start = world.clock.now()

    # WHEN the job runs daily for three weeks without a meeting, then the pair meets on day 22
    for _ in range(21):
        world.clock.advance(timedelta(days=1))
        run_job("send-surveys", world.container)
    before = _survey_messages(world, coordinator, mentee)
    world.clock.advance(timedelta(days=1))
    coordinator.post(
        f"{V1}/programmes/{programme_id}/pairs/{pair_id}/meetings",
        {"starts_at": (start + timedelta(days=21, hours=2)).isoformat(), "held": True},
    )
    asked_on = []
    for day in range(23, 40):
        world.clock.advance(timedelta(days=1))
        if run_job("send-surveys", world.container)["surveys_asked"]:
            asked_on.append(day)

    # THEN nobody was asked before the meeting; both were asked once, a week (and at most one sweep week) after it
    assert before == []
    assert len(asked_on) == 1
    assert 28 <= asked_on[0] <= 35
    assert [m.template for m in _survey_messages(world, coordinator, mentee)].count("survey_request") == 1


MOJCA = {"name": "Mojca Kranjc", "email": "mojca@kulturni.example.si", "language": "sl"}
METTE = {"name": "Mette Holm", "email": "mette@kulturni.example.dk", "language": "da"}


def test_a_concerning_answer_reaches_every_named_coordinator_in_their_language_and_their_next_digest(
    world: World,
) -> None:
    # GIVEN a programme run by Mojca (Slovenian) and Mette (Danish) whose pulse on day 30 asks about the goals
    coordinator, _programme_id, _pair_id, _mentor, mentee = _pair_with_goals(
        world, [{"kind": "pulse", "offset_days": 30}], coordinators=[MOJCA, METTE]
    )
    world.clock.advance(timedelta(days=30))
    run_job("send-surveys", world.container)
    (to_mentee,) = _survey_messages(world, coordinator, mentee)

    # WHEN Ona answers 2, not a good fit, one goal achieved, with a comment; the digests go out the next morning
    world.client.http.post(
        _link_path(to_mentee),
        headers=FORM,
        body=urlencode(
            {"rating": "2", "good_fit": "no", "goal_1": "achieved", "goal_2": "not_started", "comment": "We never meet"}
        ),
    )
    world.clock.advance(timedelta(hours=20))
    run_job("send-coordinator-digests", world.container)

    # THEN each coordinator got the alert once, in their own language, and not the old single address
    messages = world.storage.messages.by_state("pending")  # type: ignore[arg-type]
    alerts = {m.recipient: m for m in messages if m.template == "survey_alert"}
    assert set(alerts) == {MOJCA["email"], METTE["email"]}
    assert (alerts[MOJCA["email"]].language, alerts[METTE["email"]].language) == ("sl", "da")
    # AND each digest has a feedback section naming who answered about whom, the rating, fit, comment and goals
    digests = {m.recipient: m.body_text for m in messages if m.template == "coordinator_digest"}
    danish = digests[METTE["email"]]
    assert "Nye svar på undersøgelser: 1." in danish
    assert "- Ona Čiurlionytė → Jelena Đorđević: 2" in danish
    assert "ikke passer godt sammen" in danish
    assert "- Ona Čiurlionytė → Jelena Đorđević: We never meet" in danish
    assert "1 af 2" in danish
    assert "Novi odgovori na ankete: 1." in digests[MOJCA["email"]]

"""One-click links through the real routes: a GET only shows, a POST acts once, and nothing else gets through."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.links import LinkClaims
from chalicelib.services.links import Choice, LinkAction, LinkContext, Page, Question, issue_link, link_url
from chalicelib.storage.repositories import in_memory_storage
from tests.support.world import World, world_with

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class MeetingAnswers:
    """A link action that asks "did you meet?" and remembers each answer it was given."""

    answers: list[tuple[str, str, str, dict[str, str]]] = field(default_factory=list)

    def page(self, claims: LinkClaims, ctx: LinkContext) -> Page:
        return Page(
            language=claims.language or "en",
            title="Jeste li se sreli? <script>alert(1)</script>",
            paragraphs=("Ana & Marko",),
            questions=(Question(name="comment", label="Komentar"),),
            choices=(Choice("met", "yes", "Da"), Choice("met", "no", "Ne")),
        )

    def perform(self, claims: LinkClaims, form: Mapping[str, str], ctx: LinkContext) -> Page:
        self.answers.append((claims.tenant_id, claims.programme_id, claims.subject_id, dict(form)))
        return Page(language=claims.language or "en", title="Hvala!")

    def action(self) -> LinkAction:
        return LinkAction(name="meeting-confirm", page=self.page, perform=self.perform)


@pytest.fixture
def answers() -> MeetingAnswers:
    return MeetingAnswers()


@pytest.fixture
def world(answers: MeetingAnswers) -> Iterator[World]:
    action = answers.action()
    with world_with(in_memory_storage(), link_actions={action.name: action}) as built:
        yield built


def _token(world: World, *, ttl: timedelta = timedelta(days=7), **claims: Any) -> str:
    fields: dict[str, Any] = {
        "tenant_id": "ten_kulturni",
        "programme_id": "prg_2026",
        "action": "meeting-confirm",
        "subject_id": "pair_ana_marko",
        "participant_id": "par_ana",
        "language": "sr",
    }
    return issue_link(keys=world.container.link_keys, clock=world.clock, ttl=ttl, **(fields | claims))


def _path(token: str) -> str:
    return link_url("", token)


def test_opening_a_link_shows_its_question_and_changes_nothing(world: World, answers: MeetingAnswers) -> None:
    # GIVEN a "did you meet?" link sent to Ana
    token = _token(world)

    # WHEN it is opened twice (a mail scanner, then Ana)
    first = world.client.http.get(_path(token))
    second = world.client.http.get(_path(token))

    # THEN both show the question in Serbian, escaped, with a form that posts back, and nothing was recorded
    assert first.status_code == second.status_code == 200
    page = first.body.decode()
    assert '<html lang="sr">' in page
    assert "&lt;script&gt;" in page
    assert "<script>" not in page
    assert "Ana &amp; Marko" in page
    assert '<form method="post" action="">' in page
    assert first.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert answers.answers == []


def test_answering_a_link_acts_once_and_a_second_answer_is_refused(world: World, answers: MeetingAnswers) -> None:
    # GIVEN Ana's link
    token = _token(world)

    # WHEN she answers "yes" with a comment, and then presses the button again
    first = world.client.http.post(_path(token), headers=FORM, body=urlencode({"met": "yes", "comment": "Super <b>"}))
    again = world.client.http.post(_path(token), headers=FORM, body=urlencode({"met": "no"}))
    reopened = world.client.http.get(_path(token))

    # THEN the first answer is recorded for her pair, the second changes nothing and says so in Serbian
    assert first.status_code == 200
    assert "Hvala!" in first.body.decode()
    assert answers.answers == [("ten_kulturni", "prg_2026", "pair_ana_marko", {"met": "yes", "comment": "Super <b>"})]
    assert again.status_code == 409
    assert "Ovaj link je već iskorišćen." in again.body.decode()
    assert reopened.status_code == 409


def test_an_expired_link_is_refused_in_the_persons_language(world: World, answers: MeetingAnswers) -> None:
    # GIVEN a link valid for one day, answered eight days later
    token = _token(world, ttl=timedelta(days=1), language="da")
    world.clock.advance(timedelta(days=8))

    response = world.client.http.post(_path(token), headers=FORM, body=urlencode({"met": "yes"}))

    assert response.status_code == 410
    assert "Dette link er udløbet." in response.body.decode()
    assert answers.answers == []


def test_a_forged_or_altered_link_is_refused_without_a_change(world: World, answers: MeetingAnswers) -> None:
    # GIVEN a genuine link, one altered to name another tenant's pair, and a made-up one
    payload, mac = _token(world).split(".")
    other_payload, _ = _token(world, tenant_id="ten_other", subject_id="pair_other").split(".")
    tampered = f"{other_payload}.{mac}"

    for token in (tampered, "made-up.token", payload):
        # WHEN each is opened and answered
        shown = world.client.http.get(_path(token))
        answered = world.client.http.post(_path(token), headers=FORM, body=urlencode({"met": "yes"}))

        # THEN each is refused as not valid
        assert (shown.status_code, answered.status_code) == (403, 403)
        assert "This link is not valid." in answered.body.decode()
    assert answers.answers == []


def test_a_link_for_an_action_nobody_offers_is_not_valid(world: World, answers: MeetingAnswers) -> None:
    token = _token(world, action="delete-everything")

    response = world.client.http.post(_path(token), headers=FORM, body=urlencode({"met": "yes"}))

    assert response.status_code == 403
    assert answers.answers == []


def test_an_answer_with_more_fields_than_any_page_has_is_refused(world: World, answers: MeetingAnswers) -> None:
    token = _token(world)
    stuffed = urlencode({f"field{i}": "x" for i in range(200)})

    response = world.client.http.post(_path(token), headers=FORM, body=stuffed)

    assert response.status_code == 400
    assert answers.answers == []


def test_a_deployed_stage_reads_its_link_keys_from_an_ssm_secure_string() -> None:
    import boto3

    from chalicelib.container import Container
    from chalicelib.settings import Settings
    from tests.support.aws import mock_aws

    with mock_aws():
        # GIVEN the stage's keys in SSM, newest first, and a container that knows only the parameter's name
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name="/mentorflow/prod/link-keys", Value="new-key, old-key", Type="SecureString"
        )
        container = Container(settings=Settings(link_keys_parameter="/mentorflow/prod/link-keys"))

        # WHEN it signs and checks links
        keys = container.link_keys

    # THEN both keys are accepted and the newest signs
    assert keys == (b"new-key", b"old-key")

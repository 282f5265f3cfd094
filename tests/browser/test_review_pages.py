"""The coordinator's review page and the mentor's answer page in headless Chromium: every language, one answer each.

The coordinator opens an approve link from the daily digest; the mentor opens the accept
link from the match request. Each page speaks the reader's language, and pressing its
button is checked in storage afterwards.
"""

from __future__ import annotations

import re
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.message import Message
from chalicelib.domain.pair import PairStatus
from chalicelib.domain.programme import SUPPORTED_LANGUAGES
from chalicelib.jobs import run_job
from chalicelib.services.mentor_links import _TEXTS as ANSWER_TEXTS
from chalicelib.services.review_links import _TEXTS as REVIEW_TEXTS
from tests.browser.pages import press
from tests.support.world import V1, TenantHandle, World

MENTEES = {"en": "Ana Lee", "sr": "Đorđe Đorđević", "lt": "Ona Čiurlionytė", "sl": "Žiga Šušteršič", "da": "Søren Ærø"}
MENTOR = "Mojca Kranjc"


def _links(message: Message, base_url: str) -> list[str]:
    return re.findall(re.escape(base_url) + r"/links/[A-Za-z0-9_\-.]+", message.body_text)


def _proposal(world: World, language: str, **matching: Any) -> tuple[TenantHandle, str, str]:
    """A programme in ``language`` with one proposal of MENTOR to the mentee of that language."""
    coordinator = world.tenant()
    programme_id = coordinator.programme(
        languages=list(SUPPORTED_LANGUAGES),
        default_language="en",
        coordinators=[{"name": "Programme Coordinator", "email": "coordinator@example.org", "language": language}],
        matching=matching,
    )
    coordinator.enrol(programme_id, "mentor", MENTOR, f"mentor-{language}@example.org", language=language)
    coordinator.enrol(programme_id, "mentee", MENTEES[language], f"mentee-{language}@example.org", language=language)
    run = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body
    (proposal,) = run["proposals"]
    return coordinator, programme_id, str(proposal["pair_id"])


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_coordinators_review_page_renders_in_their_language_and_approves_the_proposal(
    browser: Any, served: tuple[World, str], screenshots: Path, language: str
) -> None:
    # GIVEN a proposal and the coordinator's digest in their language
    world, base_url = served
    coordinator, programme_id, pair_id = _proposal(world, language)
    run_job("send-coordinator-digests", world.container)
    (digest,) = [m for m in world.storage.messages.all if m.template == "coordinator_digest"]  # type: ignore[attr-defined]
    approve_link, _reject_link = _links(digest, base_url)
    words = REVIEW_TEXTS[language]

    # WHEN the coordinator opens the approve link in Chromium and presses its button
    title, html_lang, result = astuple(
        press(browser, approve_link, 'button[name="decision"][value="approve"]', screenshots / f"review-{language}.png")
    )

    # THEN the page asked in the coordinator's language and the pair is approved in storage
    assert (title, html_lang) == (words["approve"].format(mentee=MENTEES[language], mentor=MENTOR), language)
    assert result == words["approved"].format(mentee=MENTEES[language], mentor=MENTOR)
    pair = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair_id)
    assert pair is not None
    assert pair.status is PairStatus.APPROVED


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_mentors_answer_page_renders_in_their_language_and_accepts_the_request(
    browser: Any, served: tuple[World, str], screenshots: Path, language: str
) -> None:
    # GIVEN an approved pair waiting for the mentor, and the match request in the mentor's language
    world, base_url = served
    coordinator, programme_id, pair_id = _proposal(world, language, mentor_acceptance_days=7)
    coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{pair_id}/approve", {})
    (request,) = [m for m in world.storage.messages.all if m.template == "match_request_mentor"]  # type: ignore[attr-defined]
    accept_link, _decline_link = _links(request, base_url)
    words = ANSWER_TEXTS[language]

    # WHEN the mentor opens the accept link in Chromium and presses its button
    title, html_lang, result = astuple(
        press(
            browser,
            accept_link,
            'button[name="decision"][value="accept"]',
            screenshots / f"mentor-answer-{language}.png",
        )
    )

    # THEN the page asked in the mentor's language and the pair is running in storage
    assert (title, html_lang) == (words["accept"].format(mentee=MENTEES[language]), language)
    assert result == words["accept_done"].format(mentee=MENTEES[language])
    pair = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair_id)
    assert pair is not None
    assert pair.status is PairStatus.ACTIVE

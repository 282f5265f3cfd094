"""Specification of mentorflow's neutral submission (Google Forms, Microsoft Forms and other kits)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.forms.submission import AnswerType, NotASubmission, SubmissionParseError
from chalicelib.webhooks.sources.standard import parse_standard, standard_submission_schema
from tests.support.events import load_event, load_event_json

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "integrations" / "standard-submission.schema.json"


def test_a_google_forms_kit_submission_reads_into_the_response_it_describes() -> None:
    # GIVEN the submission our Google Forms kit posts for a Serbian mentor
    body = load_event("standard_form.submitted_google_forms_mentor.json")

    # WHEN it is read
    submission = parse_standard(body, source="google-forms")

    # THEN
    assert submission.source == "google-forms"
    assert submission.submission_id == "ACYDBNj0Zr6wq1W"
    assert submission.submitted_at == datetime(2026, 9, 1, 8, 58, 12, tzinfo=UTC)
    assert submission.respondent_email == "Djordje.Djordjevic@Example.rs"
    assert submission.hidden == {"cohort": "2026-autumn"}
    answers = {a.label: a for a in submission.answers}
    assert answers["Full name"].value == "Đorđe Đorđević"
    languages = answers["Which languages can you mentor in?"]
    assert (languages.type, languages.value) == (AnswerType.CHOICES, ["Srpski", "English"])
    assert answers["How many mentees can you take on at once?"].value == 2
    assert answers["Rate your availability"].value == {"Weekdays": "Evenings", "Weekends": "Mornings"}


def test_another_standard_webhooks_event_is_not_a_submission() -> None:
    # GIVEN the Standard Webhooks specification's own example event
    for name in ("standardwebhooks_contact.created_full.json", "standardwebhooks_contact.created_thin.json"):
        # WHEN it is read THEN it is no submission
        with pytest.raises(NotASubmission, match=r"contact\.created"):
            parse_standard(load_event(name), source="standard")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (load_event("googleforms_watch_RESPONSES_pubsub.json"), "type: Field required"),
        (load_event("standard_form.submitted_google_forms_mentor.json")[:200], "not valid JSON"),
        (
            json.dumps({"type": "form.submitted", "timestamp": "2026-09-01T09:00:00Z", "data": {}}).encode(),
            "data.form_id: Field required",
        ),
        (
            json.dumps(
                {
                    "type": "form.submitted",
                    "timestamp": "2026-09-01T09:00:00Z",
                    "data": {
                        "form_id": "f",
                        "response_id": "r",
                        "submitted_at": "2026-09-01T09:00:00Z",
                        "answers": [{"id": "a", "type": "hologram"}],
                    },
                }
            ).encode(),
            "data.answers.0.type",
        ),
    ],
    ids=["forms-api-pubsub-notification", "truncated", "empty-data", "unknown-answer-type"],
)
def test_a_body_that_is_not_a_neutral_submission_is_a_clear_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(SubmissionParseError, match=message):
        parse_standard(body, source="google-forms")


def test_the_published_json_schema_is_the_models_schema() -> None:
    # GIVEN the schema file the kits are written against
    published: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))

    # THEN it is exactly what the model accepts (regenerate: python -m chalicelib.webhooks.sources.standard)
    assert published == standard_submission_schema()
    assert load_event_json("standard_form.submitted_google_forms_mentor.json")["type"] == "form.submitted"

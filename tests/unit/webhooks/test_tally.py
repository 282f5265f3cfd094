"""Specification of the Tally source: signature, delivery id, option ids read as texts, every field type."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.forms.submission import Answer, AnswerType, NotASubmission, SubmissionParseError
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.webhooks.sources import tally
from chalicelib.webhooks.sources.tally import parse_tally
from tests.support.events import load_event, load_event_json

SECRET = "tally-signing-secret"


def _request(body: bytes, signature: str | None) -> WebhookRequest:
    headers = {"tally-signature": signature} if signature is not None else {}
    return WebhookRequest(method="POST", path="/hooks/tally/ep_1", body=body, headers=headers)


def _by_label(answers: list[Answer]) -> dict[str, Answer]:
    return {a.label or a.id: a for a in answers}


def test_the_published_example_with_every_field_type_reads_into_the_response_it_describes() -> None:
    # GIVEN Tally's published example, which holds every field type
    body = load_event("tally_FORM_RESPONSE.json")

    # WHEN it is read
    submission = parse_tally(body)

    # THEN ids, time and hidden fields are the example's
    assert submission.source == "tally"
    assert (submission.form_id, submission.submission_id) == ("VwbNEw", "2wgx4n")
    assert submission.submitted_at == datetime(2023, 6, 28, 15, 0, 21, tzinfo=UTC)
    assert submission.hidden == {"utm_campaign": "newsletter"}
    # AND every field is a plain answer, choices as the texts the respondent saw
    answers = _by_label(submission.answers)
    expected: dict[str, tuple[AnswerType, Any]] = {
        "Score": (AnswerType.CALCULATED, 20),
        "Type": (AnswerType.CALCULATED, "Hard"),
        "Text": (AnswerType.TEXT, "Hello"),
        "Number": (AnswerType.NUMBER, 10),
        "Email": (AnswerType.EMAIL, "alice@example.com"),
        "Phone number": (AnswerType.PHONE, "+32491223344"),
        "Website": (AnswerType.URL, "example.com"),
        "Date": (AnswerType.DATE, "2023-06-28"),
        "Time": (AnswerType.TIME, "12:00"),
        "Long text": (AnswerType.TEXT, "Hello world"),
        "Multiple choice": (AnswerType.CHOICE, "In progress"),
        "Checkboxes": (AnswerType.CHOICES, ["Swimming", "Skiing"]),
        "Checkboxes (Soccer)": (AnswerType.BOOLEAN, False),
        "Checkboxes (Swimming)": (AnswerType.BOOLEAN, True),
        "Checkboxes (Skiing)": (AnswerType.BOOLEAN, True),
        "Dropdown": (AnswerType.CHOICE, "Hard"),
        "Multi-select": (AnswerType.CHOICES, ["Surf", "Golf"]),
        "File upload": (
            AnswerType.FILE,
            [
                "https://storage.googleapis.com/tally-response-assets-dev/vBXMXN/"
                "34fd1ee5-4ead-4929-9a4a-918ac9f0b416/Tally_Icon.png"
            ],
        ),
        "Payment (price)": (AnswerType.PAYMENT, 9),
        "Payment (currency)": (AnswerType.PAYMENT, "USD"),
        "Payment (name)": (AnswerType.PAYMENT, "Alice Smith"),
        "Payment (email)": (AnswerType.PAYMENT, "alice@example.com"),
        "Payment (link)": (AnswerType.PAYMENT, "https://dashboard.stripe.com/payments/[PAYMENT_ID]"),
        "Rating": (AnswerType.NUMBER, 4),
        "Ranking": (AnswerType.RANKING, ["Pear", "Apple", "Banana"]),
        "Linear scale": (AnswerType.NUMBER, 7),
        "Signature": (
            AnswerType.FILE,
            [
                "https://storage.googleapis.com/tally-response-assets-dev/vBXMXN/signatures/"
                "ca8f2e11-f99a-4042-b872-0888811b8118.png"
            ],
        ),
        "Matrix": (AnswerType.MATRIX, {"Quality": ["Satisfied"], "Speed": ["Neutral"]}),
    }
    assert {label: (a.type, a.value) for label, a in answers.items()} == expected
    assert answers["Email"].id == "question_w4Q4Xn"
    assert answers["Email"].vendor_type == "INPUT_EMAIL"


def _event(*fields: dict[str, Any], event_type: str = "FORM_RESPONSE") -> bytes:
    return json.dumps(
        {
            "eventId": "ev_1",
            "eventType": event_type,
            "createdAt": "2026-09-01T09:00:01.000Z",
            "data": {
                "responseId": "r1",
                "submissionId": "r1",
                "formId": "f1",
                "createdAt": "2026-09-01T09:00:00.000Z",
                "fields": list(fields),
            },
        },
        ensure_ascii=False,
    ).encode()


def test_other_answers_single_checkboxes_and_unknown_types_are_kept() -> None:
    # GIVEN free text typed as "Other", a single consent checkbox, a multi-answer dropdown and a new field type
    body = _event(
        {
            "key": "q1",
            "label": "Goals",
            "type": "CHECKBOXES",
            "value": ["o1", "Mentoring juniors"],
            "options": [{"id": "o1", "text": "Public speaking"}],
        },
        {"key": "q2", "label": "I agree", "type": "CHECKBOX", "value": True},
        {
            "key": "q3",
            "label": "Languages",
            "type": "DROPDOWN",
            "value": ["l1", "l2"],
            "options": [{"id": "l1", "text": "Srpski"}, {"id": "l2", "text": "Dansk"}],
        },
        {"key": "q4", "label": "Mood", "type": "EMOJI_SCALE", "value": {"face": "🙂"}},
        {"key": "q5", "label": "Skipped", "type": "MULTIPLE_CHOICE", "value": None, "options": []},
    )

    # WHEN it is read
    answers = _by_label(parse_tally(body).answers)

    # THEN nothing the respondent said is lost
    assert answers["Goals"].value == ["Public speaking", "Mentoring juniors"]
    assert (answers["I agree"].type, answers["I agree"].value) == (AnswerType.BOOLEAN, True)
    assert (answers["Languages"].type, answers["Languages"].value) == (AnswerType.CHOICES, ["Srpski", "Dansk"])
    assert (answers["Mood"].type, answers["Mood"].value) == (AnswerType.OTHER, {"face": "🙂"})
    assert (answers["Skipped"].type, answers["Skipped"].value) == (AnswerType.CHOICE, None)


def test_a_signature_over_the_raw_body_verifies_and_the_delivery_id_is_the_event_id() -> None:
    # GIVEN the published body signed as Tally signs it
    body = load_event("tally_FORM_RESPONSE.json")
    verifier = tally.SIGNING
    signature = verifier.sign(SECRET, body)

    # WHEN it is verified THEN it passes
    verifier.verify(_request(body, signature), [SECRET])
    assert tally.SPEC.delivery_id(_request(body, signature)) == "a4cb511e-d513-4fa5-baee-b815d718dfd1"


@pytest.mark.parametrize("signature", [None, "", "sha256=abc", "Zm9v"], ids=["missing", "empty", "prefixed", "wrong"])
def test_a_missing_or_wrong_signature_is_refused(signature: str | None) -> None:
    # GIVEN the published body with a bad signature WHEN verified THEN refused
    with pytest.raises(WebhookVerificationError):
        tally.SIGNING.verify(_request(load_event("tally_FORM_RESPONSE.json"), signature), [SECRET])


def test_a_signature_made_with_a_typeform_prefix_is_refused() -> None:
    # GIVEN a correct digest sent the Typeform way
    body = load_event("tally_FORM_RESPONSE.json")
    signature = "sha256=" + tally.SIGNING.sign(SECRET, body)

    # WHEN verified THEN refused
    with pytest.raises(WebhookVerificationError):
        tally.SIGNING.verify(_request(body, signature), [SECRET])


def test_another_event_type_is_not_a_submission() -> None:
    with pytest.raises(NotASubmission):
        parse_tally(_event(event_type="FORM_DELETED"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (load_event("tally_FORM_RESPONSE.json")[:-40], "not valid JSON"),
        (load_event("typeform_form_response.json"), "eventId"),
        (json.dumps({"eventId": "e", "eventType": "FORM_RESPONSE", "data": {"fields": []}}).encode(), "createdAt"),
        (
            json.dumps(
                {
                    "eventId": "e",
                    "eventType": "FORM_RESPONSE",
                    "createdAt": "2026-01-01T00:00:00Z",
                    "data": {"fields": [{"label": "no key"}]},
                }
            ).encode(),
            "fields.0.key",
        ),
    ],
    ids=["truncated", "typeform-payload", "no-time", "field-without-key"],
)
def test_a_body_that_is_not_a_tally_response_is_a_clear_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(SubmissionParseError, match=message):
        parse_tally(body)


def test_names_in_any_script_survive_unchanged() -> None:
    # GIVEN answers in Serbian Cyrillic, Lithuanian and Danish
    names = ["Ђорђе Ђорђевић", "Eglė Čiurlionytė", "Søren Ærø"]
    body = _event(*({"key": f"q{i}", "label": "Name", "type": "INPUT_TEXT", "value": n} for i, n in enumerate(names)))

    # WHEN read THEN each is exactly as typed
    assert [a.value for a in parse_tally(body).answers] == names
    assert load_event_json("tally_FORM_RESPONSE.json")["eventType"] == "FORM_RESPONSE"

"""Specification of the Typeform source: its signature, its delivery id, and every answer type read plainly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.forms.submission import Answer, AnswerType, NotASubmission, SubmissionParseError
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.webhooks.sources import typeform
from chalicelib.webhooks.sources.typeform import parse_typeform
from tests.support.events import load_event, load_event_json

SECRET = "tf-secret-from-the-typeform-admin"


def _request(body: bytes, signature: str | None) -> WebhookRequest:
    headers = {"typeform-signature": signature} if signature is not None else {}
    return WebhookRequest(method="POST", path="/hooks/typeform/ep_1", body=body, headers=headers)


def _by_id(answers: list[Answer]) -> dict[str, Answer]:
    return {a.id: a for a in answers}


def test_the_published_example_reads_into_the_response_it_describes() -> None:
    # GIVEN Typeform's published example payload
    body = load_event("typeform_form_response.json")

    # WHEN it is read
    submission = parse_typeform(body)

    # THEN the response id, time, hidden fields and answers are those of the example
    assert submission.source == "typeform"
    assert submission.form_id == "lT4Z3j"
    assert submission.submission_id == "a3a12ec67a1365927098a606107fac15"
    assert submission.submitted_at == datetime(2018, 1, 18, 18, 17, 2, tzinfo=UTC)
    assert submission.hidden == {"user_id": "abc123456"}
    answers = _by_id(submission.answers)
    assert answers["SMEUb7VJz92Q"] == Answer(
        id="SMEUb7VJz92Q",
        ref="readable_ref_email",
        label="If you're OK with our city management following up if they have further questions, "
        "please give us your email address.",
        type=AnswerType.EMAIL,
        value="laura@example.com",
        vendor_type="email",
    )
    assert (answers["JwWggjAKtOkA"].label, answers["JwWggjAKtOkA"].value) == ("What is your first name?", "Laura")
    assert (answers["KoJxDM3c6x8h"].type, answers["KoJxDM3c6x8h"].value) == (AnswerType.DATE, "2005-10-15")
    assert (answers["PNe8ZKBK8C2Q"].type, answers["PNe8ZKBK8C2Q"].value) == (AnswerType.CHOICES, ["London", "Sydney"])
    assert (answers["Q7M2XAwY04dW"].type, answers["Q7M2XAwY04dW"].value) == (AnswerType.NUMBER, 5)
    assert (answers["gFFf3xAkJKsr"].type, answers["gFFf3xAkJKsr"].value) == (AnswerType.BOOLEAN, True)
    assert (answers["k6TP9oLGgHjl"].type, answers["k6TP9oLGgHjl"].value) == (AnswerType.CHOICE, "London")
    assert answers["RUqkXSeXBXSd"].value is False
    assert answers["M5tXK5kG7IeA"].type is AnswerType.URL
    assert answers["M5tXK5kG7IeA"].ref == "readable_ref_calendly"
    assert answers["calculated.score"].value == 9
    assert answers["variables.name"].value == "typeform"
    assert len(submission.answers) == 13 + 3


def _event(*answers: dict[str, Any], fields: list[dict[str, Any]] | None = None, **response: Any) -> bytes:
    form_response = {
        "form_id": "f1",
        "token": "resp_1",
        "submitted_at": "2026-09-01T09:00:00Z",
        "definition": {"id": "f1", "title": "Signup", "fields": fields or []},
        "answers": list(answers),
    }
    form_response.update(response)
    return json.dumps({"event_id": "ev_1", "event_type": "form_response", "form_response": form_response}).encode()


def test_every_documented_answer_type_is_read_as_a_plain_value() -> None:
    # GIVEN a response with every answer type Typeform documents, and one it may add later
    body = _event(
        {"type": "phone_number", "phone_number": "+38160123456", "field": {"id": "phone", "type": "phone_number"}},
        {
            "type": "file_url",
            "file_url": "https://api.typeform.com/f/cv.pdf",
            "field": {"id": "cv", "type": "file_upload"},
        },
        {
            "type": "payment",
            "payment": {"amount": "10.00", "last4": "4242", "name": "Søren Ærø", "success": True},
            "field": {"id": "pay", "type": "payment"},
        },
        {
            "type": "choices",
            "choices": {"ids": ["a", "b"], "labels": ["Go", "Rust"], "refs": ["go", "rust"], "other": "Zig"},
            "field": {"id": "langs", "type": "multiple_choice"},
        },
        {
            "type": "choices",
            "choices": {"labels": ["Career", "Leadership", "Craft"]},
            "field": {"id": "rank", "type": "ranking"},
        },
        {"type": "choice", "choice": {"other": "Somewhere else"}, "field": {"id": "city", "type": "multiple_choice"}},
        {
            "type": "multi_format",
            "multi_format": {"audio_url": "https://x/a.mp3", "transcript": "Zdravo"},
            "field": {"id": "intro", "type": "multi_format"},
        },
        {"type": "hologram", "hologram": "future", "field": {"id": "new", "type": "hologram"}},
        {"type": "number", "number": 2.5, "field": {"id": "years", "type": "number"}},
        fields=[
            {"id": "rank", "title": "Rank what matters", "type": "ranking", "ref": "topic_ranking"},
            {
                "id": "group",
                "title": "About you",
                "type": "group",
                "properties": {"fields": [{"id": "phone", "title": "Phone", "ref": "phone"}]},
            },
        ],
    )

    # WHEN it is read
    answers = _by_id(parse_typeform(body).answers)

    # THEN each answer keeps its meaning in a plain value
    phone = answers["phone"]
    assert (phone.type, phone.value, phone.ref) == (AnswerType.PHONE, "+38160123456", "phone")
    assert answers["phone"].label == "Phone"
    assert (answers["cv"].type, answers["cv"].value) == (AnswerType.FILE, ["https://api.typeform.com/f/cv.pdf"])
    assert answers["pay"].type is AnswerType.PAYMENT
    assert answers["pay"].value == {"amount": "10.00", "last4": "4242", "name": "Søren Ærø", "success": "true"}
    assert answers["langs"].value == ["Go", "Rust", "Zig"]
    assert (answers["rank"].type, answers["rank"].value) == (AnswerType.RANKING, ["Career", "Leadership", "Craft"])
    assert (answers["rank"].ref, answers["rank"].label) == ("topic_ranking", "Rank what matters")
    assert answers["city"].value == "Somewhere else"
    assert answers["intro"].value == {"audio_url": "https://x/a.mp3", "transcript": "Zdravo"}
    assert (answers["new"].type, answers["new"].value) == (AnswerType.OTHER, "future")
    assert answers["years"].value == 2.5


def test_a_signature_over_the_raw_body_verifies_with_any_current_secret() -> None:
    # GIVEN a body signed with the newer of two secrets during a rotation
    body = load_event("typeform_form_response.json")
    verifier = typeform.SIGNING
    signature = verifier.sign(SECRET, body)

    # WHEN it is verified against both secrets
    verifier.verify(_request(body, signature), ["an-older-secret", SECRET])

    # THEN it passes, and the delivery id is the event id
    assert signature.startswith("sha256=")
    assert typeform.SPEC.delivery_id(_request(body, signature)) == "LtWXD3crgy"


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha1=abc", "sha256=not base64!", "sha256=" + "A" * 44],
    ids=["missing", "empty", "no-digest", "other-scheme", "not-base64", "wrong-digest"],
)
def test_a_missing_or_wrong_signature_is_refused(signature: str | None) -> None:
    # GIVEN the published body with a bad signature header
    body = load_event("typeform_form_response.json")

    # WHEN it is verified THEN it is refused
    with pytest.raises(WebhookVerificationError):
        typeform.SIGNING.verify(_request(body, signature), [SECRET])


def test_a_changed_body_no_longer_verifies() -> None:
    # GIVEN a signature over the original body
    body = load_event("typeform_form_response.json")
    signature = typeform.SIGNING.sign(SECRET, body)

    # WHEN one answer is changed THEN the signature no longer matches
    with pytest.raises(WebhookVerificationError):
        typeform.SIGNING.verify(_request(body.replace(b"Laura", b"Maura"), signature), [SECRET])


def test_a_partial_response_event_is_not_a_submission() -> None:
    # GIVEN a well-formed event of another type
    body = json.dumps({"event_id": "ev_2", "event_type": "form_response_partial", "form_response": {}}).encode()

    # WHEN it is read THEN it is reported as no submission at all
    with pytest.raises(NotASubmission, match="form_response_partial"):
        parse_typeform(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (load_event("typeform_form_response.json")[:300], "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (json.dumps(load_event_json("tally_FORM_RESPONSE.json")).encode(), "event_id"),
        (
            json.dumps({"event_id": "e", "event_type": "form_response", "form_response": {"answers": []}}).encode(),
            "submitted_at",
        ),
        (json.dumps([1, 2]).encode(), "expected shape"),
    ],
    ids=["truncated", "binary", "tally-payload", "no-submitted-at", "not-an-object"],
)
def test_a_body_that_is_not_a_typeform_response_is_a_clear_parse_error(body: bytes, message: str) -> None:
    # WHEN a malformed or foreign body is read THEN the error says what is wrong
    with pytest.raises(SubmissionParseError, match=message):
        parse_typeform(body)


def test_the_delivery_id_of_an_unreadable_body_is_left_to_the_inbox() -> None:
    # GIVEN a truncated body WHEN its delivery id is asked THEN there is none (the inbox hashes the body)
    assert typeform.SPEC.delivery_id(_request(b'{"event_id": "x', None)) is None

"""Specification of the Jotform source: the URL token, form-data bodies, and ``rawRequest`` answers."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime

import pytest

from chalicelib.domain.forms.submission import AnswerType, SubmissionParseError
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.webhooks.sources import jotform
from chalicelib.webhooks.sources.jotform import parse_jotform, read_form_fields
from tests.support.events import load_event
from tests.support.forms import JOTFORM_SIGNUP, jotform_fields, multipart

TOKEN = "jf_0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
RECEIVED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def _request(body: bytes, content_type: str, query: dict[str, str]) -> WebhookRequest:
    return WebhookRequest(
        method="POST", path="/hooks/jotform/ep_1", body=body, headers={"content-type": content_type}, query=query
    )


def test_the_published_raw_request_reads_into_the_answers_it_holds() -> None:
    # GIVEN a real Jotform delivery's rawRequest, posted as Jotform posts it
    raw = load_event("jotform_submission.rawRequest.json").decode()
    body, content_type = multipart(jotform_fields(raw, submission_id="6111139644845227683"))

    # WHEN it is read
    submission = parse_jotform(body, content_type, RECEIVED)

    # THEN question keys become id and ref, composite answers plain values, uploads their URLs
    assert (submission.source, submission.form_id) == ("jotform", "243231271343446")
    assert submission.submission_id == "6111139644845227683"
    assert submission.submitted_at == RECEIVED
    answers = {a.ref: a for a in submission.answers}
    assert (answers["studentsName"].id, answers["studentsName"].value) == ("3", "Niloth P")
    assert answers["typeOf"].value == "Online Tutoring"
    assert answers["priorTutoring"].value == "No"
    assert (answers["date"].type, answers["date"].value) == (AnswerType.DATE, None)
    assert answers["description"].value is None
    assert answers["appointment"].value == {
        "implementation": "new",
        "duration": "60",
        "timezone": "Asia/Calcutta (GMT+06:30)",
    }
    assert answers["identityProof"].type is AnswerType.FILE
    assert answers["identityProof"].value == [
        "https://www.jotform.com/uploads/UserNiloth/243231271343446/6111139644845227683/"
        "Student_ID_%21_%24%26%27%28%29_%2C-.%3B%3D%40%5B%5D%5E_%60%7B%7D~%20.png",
        "https://www.jotform.com/uploads/UserNiloth/243231271343446/6111139644845227684/Driving.license.png",
    ]
    assert answers["reports"].id == "6"
    assert set(answers).isdisjoint({"slug", "path", "temp_upload"})


def test_a_signup_with_names_dates_and_checkboxes_is_read_plainly() -> None:
    # GIVEN a signup with a name object, a date object and a checkbox list
    body, content_type = multipart(jotform_fields(JOTFORM_SIGNUP))

    # WHEN it is read
    answers = {a.ref: a for a in parse_jotform(body, content_type, RECEIVED).answers}

    # THEN
    assert answers["fullName"].value == "Eglė Čiurlionytė"
    assert (answers["birthDate"].type, answers["birthDate"].value) == (AnswerType.DATE, "1990-04-19")
    assert (answers["topics"].type, answers["topics"].value) == (AnswerType.CHOICES, ["Leadership", "Public speaking"])


def test_the_url_encoded_flavour_is_read_too() -> None:
    # GIVEN the same fields url-encoded
    body = urllib.parse.urlencode(jotform_fields(JOTFORM_SIGNUP)).encode()

    # WHEN read THEN the answers are the same
    submission = parse_jotform(body, "application/x-www-form-urlencoded", RECEIVED)
    assert {a.ref: a.value for a in submission.answers}["fullName"] == "Eglė Čiurlionytė"


def test_a_multipart_body_whose_boundary_parameter_was_dropped_is_still_read() -> None:
    # GIVEN a body whose content type lost its boundary on the way
    body, _ = multipart(jotform_fields(JOTFORM_SIGNUP), boundary="XyZ123")

    # WHEN read with a bare content type THEN the boundary is taken from the body
    assert read_form_fields(body, "multipart/form-data")["submissionID"] == "5912345678901234567"


def test_uploaded_files_in_the_post_are_skipped() -> None:
    # GIVEN a form post that carries a file part
    body, content_type = multipart({"submissionID": "1"}, boundary="B")
    body = body.replace(
        b"--B--",
        b'--B\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--B--",
    )

    # WHEN its fields are read THEN only text fields are returned
    assert read_form_fields(body, content_type) == {"submissionID": "1"}


def test_the_token_in_the_url_is_the_proof_and_the_delivery_id_is_the_submission_id() -> None:
    # GIVEN a post to the URL with the endpoint's token
    body, content_type = multipart(jotform_fields(JOTFORM_SIGNUP))
    request = _request(body, content_type, {"token": TOKEN})

    # WHEN verified THEN it passes and names its submission
    jotform.SIGNING.verify(request, ["an-older-token", TOKEN])
    delivery_id = jotform.SPEC.delivery_id(request)
    assert delivery_id is not None
    assert delivery_id.startswith("5912345678901234567.")


def test_an_edited_submission_is_another_delivery_and_a_redelivery_the_same_one() -> None:
    # GIVEN a submission, the same posted again (with another multipart boundary), and an edit of it
    first = _request(*multipart(jotform_fields(JOTFORM_SIGNUP)), {"token": TOKEN})
    again = _request(*multipart(jotform_fields(JOTFORM_SIGNUP), boundary="other"), {"token": TOKEN})
    edited_answers = {**JOTFORM_SIGNUP, "q4_email": "egle.ciurlionyte@example.lt"}
    edited = _request(*multipart(jotform_fields(edited_answers)), {"token": TOKEN})

    # WHEN their delivery ids are read
    ids = [jotform.SPEC.delivery_id(r) for r in (first, again, edited)]

    # THEN the redelivery is recognised and the edit is not dropped as one
    assert ids[0] == ids[1]
    assert ids[2] != ids[0]


@pytest.mark.parametrize(
    "query",
    [{}, {"token": ""}, {"token": TOKEN[:-1]}, {"Token": TOKEN}],
    ids=["missing", "empty", "wrong", "other-name"],
)
def test_a_post_without_the_right_token_is_refused(query: dict[str, str]) -> None:
    body, content_type = multipart(jotform_fields(JOTFORM_SIGNUP))
    with pytest.raises(WebhookVerificationError):
        jotform.SIGNING.verify(_request(body, content_type, query), [TOKEN])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"formID": "1", "rawRequest": "{}"}, "submissionID"),
        ({"submissionID": "1"}, "rawRequest"),
        ({"submissionID": "1", "rawRequest": '{"q3_name": "Eg'}, "not valid JSON"),
        ({"submissionID": "1", "rawRequest": "[1, 2]"}, "not a JSON object"),
    ],
    ids=["no-submission-id", "no-raw-request", "truncated-raw-request", "raw-request-list"],
)
def test_a_post_that_is_not_a_jotform_submission_is_a_clear_parse_error(fields: dict[str, str], message: str) -> None:
    body, content_type = multipart(fields)
    with pytest.raises(SubmissionParseError, match=message):
        parse_jotform(body, content_type, RECEIVED)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (load_event("typeform_form_response.json"), "application/json"),
        (b"not multipart at all", "multipart/form-data"),
        (b"--B\r\nbroken", "multipart/form-data; boundary=B"),
    ],
    ids=["json", "no-boundary", "broken-parts"],
)
def test_a_body_that_is_not_form_data_is_a_clear_parse_error(body: bytes, content_type: str) -> None:
    with pytest.raises(SubmissionParseError):
        parse_jotform(body, content_type, RECEIVED)
    assert json.loads(load_event("jotform_submission.rawRequest.json"))["q35_grade"] == "12"

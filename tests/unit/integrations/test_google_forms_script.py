"""``integrations/google-forms/Code.gs`` run by Node with Apps Script stand-ins, its output checked by mentorflow.

The harness (``google_forms_harness.js``) replaces only the Apps Script services the
script calls (FormApp, UrlFetchApp, Utilities, PropertiesService, ScriptApp) and records
what UrlFetchApp would have sent. The signature is then checked with mentorflow's
``StandardWebhooksVerifier`` and the body read with the ``google-forms`` source's parser.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.forms.mapping import FieldMapping, apply_mapping
from chalicelib.domain.participant import Profile
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.webhooks.signing import StandardWebhooksVerifier
from chalicelib.webhooks.sources.standard import StandardSubmission, parse_standard
from tests.unit.integrations.kits import INTEGRATIONS

NODE = shutil.which("node")
HARNESS = Path(__file__).with_name("google_forms_harness.js")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: Code.gs cannot be run")

SENT_AT = datetime(2025, 3, 14, 9, 30, 5, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(b"mentorflow-google-forms-endpoint-key!").decode()
ENDPOINT_URL = "https://mentorflow.example.org/hooks/google-forms/ep_01J9GFORMS"
PROPERTIES = {"MENTORFLOW_URL": ENDPOINT_URL, "MENTORFLOW_SECRET": SECRET}
FORM = {"id": "1FAIpQLSd-mentoring-signup", "title": "Mentoring programme 2025: sign-up"}

APPLICANT_RESPONSE: dict[str, Any] = {
    "id": "2_ABaOnudw4gQ7Xk1lR9",
    "timestamp": "2025-03-14T09:29:58.123Z",
    "email": "milica.dordevic@example.rs",
    "items": [
        {"id": 101, "title": "Full name", "type": "TEXT", "response": "Milica Đorđević"},
        {"id": 102, "title": "What do you hope to learn?", "type": "PARAGRAPH_TEXT",
         "response": "Leading a team.\nGiving feedback."},
        {"id": 103, "title": "I join as", "type": "MULTIPLE_CHOICE", "response": "Mentee"},
        {"id": 104, "title": "Time zone", "type": "LIST", "response": "Europe/Belgrade"},
        {"id": 105, "title": "Languages", "type": "CHECKBOX", "response": ["Serbian", "English"]},
        {"id": 106, "title": "Years of experience", "type": "SCALE", "response": "4"},
        {"id": 107, "title": "Available from", "type": "DATE", "response": "2025-04-01"},
        {"id": 108, "title": "Best time to meet", "type": "TIME", "response": "17:30"},
        {"id": 109, "title": "Rate your skills", "type": "GRID", "rows": ["Coaching", "Planning", "Budgets"],
         "response": ["Strong", "", "Learning"]},
        {"id": 110, "title": "Meeting formats", "type": "CHECKBOX_GRID", "rows": ["Weekdays", "Weekends"],
         "response": [["Video", "In person"], None]},
        {"id": 111, "title": "CV", "type": "FILE_UPLOAD", "response": ["1AbCdEfGh"]},
        {"id": 112, "title": "How satisfied are you so far?", "type": "RATING", "response": "5"},
        {"id": 113, "title": "Commute time", "type": "DURATION", "response": "0:45:00"},
        {"id": 114, "title": "I agree to the privacy notice", "type": "CHECKBOX",
         "response": ["I agree"]},
    ],
}


def run_script(action: str, *, responses: list[dict[str, Any]] | None = None, **scenario: Any) -> dict[str, Any]:
    payload = {
        "action": action,
        "now": SENT_AT.isoformat().replace("+00:00", "Z"),
        "properties": PROPERTIES,
        "form": FORM,
        "responses": responses if responses is not None else [APPLICANT_RESPONSE],
        **scenario,
    }
    completed = subprocess.run(
        [NODE or "node", str(HARNESS)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def as_webhook_request(sent: dict[str, Any]) -> WebhookRequest:
    options = sent["options"]
    headers = {name.lower(): value for name, value in options["headers"].items()}
    headers["content-type"] = options["contentType"]
    return WebhookRequest(method=options["method"].upper(), path="/hooks/google-forms/ep_01J9GFORMS",
                          body=options["payload"].encode("utf-8"), headers=headers)


def test_a_submitted_response_is_posted_once_signed_so_that_mentorflow_verifies_it() -> None:
    # GIVEN a form with its mentorflow URL and secret in Script Properties
    # WHEN a response is submitted and mentorflow accepts it
    result = run_script("submit", statuses=[202])

    # THEN one POST of JSON went to the endpoint URL, without redirects and with HTTP errors muted
    [sent] = result["requests"]
    assert sent["url"] == ENDPOINT_URL
    assert sent["options"]["method"] == "post"
    assert sent["options"]["contentType"] == "application/json"
    assert sent["options"]["muteHttpExceptions"] is True
    assert sent["options"]["followRedirects"] is False
    # AND its signature verifies with mentorflow's Standard Webhooks verifier at the time it was sent
    request = as_webhook_request(sent)
    StandardWebhooksVerifier(FixedClock(SENT_AT)).verify(request, [SECRET])
    assert request.header("webhook-timestamp") == str(int(SENT_AT.timestamp()))
    assert "error" not in result


def test_the_signature_does_not_verify_under_another_endpoints_secret() -> None:
    # GIVEN a response sent with this form's secret
    [sent] = run_script("submit")["requests"]

    # WHEN it is checked against another endpoint's secret
    other_secret = "whsec_" + base64.b64encode(b"another-endpoint-key-of-32-bytes").decode()

    # THEN mentorflow refuses it
    with pytest.raises(WebhookVerificationError):
        StandardWebhooksVerifier(FixedClock(SENT_AT)).verify(as_webhook_request(sent), [other_secret])


def test_the_posted_body_is_the_neutral_submission_mentorflow_reads() -> None:
    # GIVEN a submitted response
    [sent] = run_script("submit")["requests"]

    # WHEN mentorflow's google-forms source reads the body
    body = sent["options"]["payload"].encode("utf-8")
    event = StandardSubmission.model_validate_json(body)
    submission = parse_standard(body, source="google-forms")

    # THEN it is this form's response, with the e-mail, times and every answer
    assert event.data.platform == "google-forms"
    assert event.data.form_title == FORM["title"]
    assert event.timestamp == SENT_AT
    assert submission.form_id == FORM["id"]
    assert submission.submission_id == APPLICANT_RESPONSE["id"]
    assert submission.submitted_at == datetime(2025, 3, 14, 9, 29, 58, 123000, tzinfo=UTC)
    assert submission.respondent_email == "milica.dordevic@example.rs"
    assert [answer.id for answer in submission.answers] == [str(item["id"]) for item in APPLICANT_RESPONSE["items"]]


def test_each_google_forms_question_type_becomes_a_plain_typed_answer() -> None:
    # GIVEN a response touching every kind of question the form offers
    # WHEN the submission is built
    submission = run_script("build")["submission"]

    # THEN each answer carries its title, a neutral type and a plain value
    answers = {answer["title"]: (answer["type"], answer["value"]) for answer in submission["data"]["answers"]}
    assert answers == {
        "Full name": ("text", "Milica Đorđević"),
        "What do you hope to learn?": ("text", "Leading a team.\nGiving feedback."),
        "I join as": ("choice", "Mentee"),
        "Time zone": ("choice", "Europe/Belgrade"),
        "Languages": ("choices", ["Serbian", "English"]),
        "Years of experience": ("number", 4),
        "Available from": ("date", "2025-04-01"),
        "Best time to meet": ("time", "17:30"),
        "Rate your skills": ("matrix", {"Coaching": "Strong", "Budgets": "Learning"}),
        "Meeting formats": ("matrix", {"Weekdays": ["Video", "In person"]}),
        "CV": ("file", ["https://drive.google.com/open?id=1AbCdEfGh"]),
        "How satisfied are you so far?": ("number", 5),
        "Commute time": ("other", "0:45:00"),
        "I agree to the privacy notice": ("choices", ["I agree"]),
    }


def test_names_in_every_programme_language_arrive_intact_and_the_body_is_plain_ascii() -> None:
    # GIVEN answers in Lithuanian, Serbian (both scripts), Slovenian, Danish and an emoji
    names = ["Čiurlionytė", "Đorđević", "Ђорђевић", "Žiga Šušteršič", "Søren Ærø", "🙂 Ana"]
    response = {**APPLICANT_RESPONSE, "items": [
        {"id": 200 + index, "title": f"Name {index}", "type": "TEXT", "response": name}
        for index, name in enumerate(names)
    ]}

    # WHEN the response is submitted
    [sent] = run_script("submit", responses=[response])["requests"]

    # THEN the bytes sent are ASCII (no charset can change them), they verify, and every name reads back exactly
    payload: str = sent["options"]["payload"]
    assert payload.isascii()
    StandardWebhooksVerifier(FixedClock(SENT_AT)).verify(as_webhook_request(sent), [SECRET])
    read = parse_standard(payload.encode("ascii"), source="google-forms")
    assert [answer.value for answer in read.answers] == names


def test_without_e_mail_collection_the_respondent_email_is_null() -> None:
    # GIVEN a form that does not collect e-mail addresses (Google returns an empty string)
    response = {**APPLICANT_RESPONSE, "email": ""}

    # WHEN the submission is built
    submission = run_script("build", responses=[response])["submission"]

    # THEN the e-mail is null rather than empty
    assert submission["data"]["respondent_email"] is None


def test_a_failing_mentorflow_is_retried_with_the_same_delivery_id_until_it_accepts() -> None:
    # GIVEN mentorflow failing twice (unavailable, then no answer at all) before accepting
    # WHEN a response is submitted
    result = run_script("submit", statuses=[503, "error", 200])

    # THEN there were three attempts after growing pauses, all with one webhook-id, each freshly signed
    attempts = result["requests"]
    assert len(attempts) == 3
    assert result["sleeps"] == [2000, 4000]
    assert len({sent["options"]["headers"]["webhook-id"] for sent in attempts}) == 1
    assert [int(sent["options"]["headers"]["webhook-timestamp"]) for sent in attempts] == [
        int(SENT_AT.timestamp()), int(SENT_AT.timestamp()) + 2, int(SENT_AT.timestamp()) + 6,
    ]
    last = attempts[-1]
    sent_at = datetime.fromtimestamp(int(last["options"]["headers"]["webhook-timestamp"]), tz=UTC)
    StandardWebhooksVerifier(FixedClock(sent_at)).verify(as_webhook_request(last), [SECRET])
    assert "error" not in result


def test_a_refusal_is_not_repeated_and_fails_the_trigger_run() -> None:
    # GIVEN mentorflow refusing the signature (the secret in Script Properties is stale)
    # WHEN a response is submitted
    result = run_script("submit", statuses=[401])

    # THEN it is sent once and the run fails with the status, so Google reports the failed execution
    assert len(result["requests"]) == 1
    assert result["error"] == f"mentorflow: response {APPLICANT_RESPONSE['id']} was not delivered (HTTP 401)"


def test_giving_up_after_the_last_retry_fails_the_trigger_run() -> None:
    # GIVEN mentorflow down for the whole run
    # WHEN a response is submitted
    result = run_script("submit", statuses=[500, 500, 500, 500, 500])

    # THEN four attempts were made and the run fails
    assert len(result["requests"]) == 4
    assert result["sleeps"] == [2000, 4000, 8000]
    assert "(HTTP 500)" in result["error"]


def test_logs_name_statuses_and_response_ids_but_no_answer_email_or_secret() -> None:
    # GIVEN a run with a retry and a refusal, which logs the most
    result = run_script("submit", statuses=[503, 400])

    # WHEN its log lines and error are read
    logged = "\n".join([*result["logs"], result.get("error", "")])

    # THEN they hold statuses, never what the respondent wrote or the secret
    assert "HTTP 503" in logged
    assert "HTTP 400" in logged
    private = [APPLICANT_RESPONSE["email"], SECRET, SECRET.removeprefix("whsec_"), "Đorđević", "Leading a team",
               "Europe/Belgrade", "Mentee", "Serbian"]
    for text in private:
        assert text not in logged


def test_an_edited_response_is_a_new_delivery_but_a_retry_is_not() -> None:
    # GIVEN a response delivered once, then edited by the respondent (same id, later timestamp)
    first = run_script("submit")["requests"][0]
    edited = {**APPLICANT_RESPONSE, "timestamp": "2025-03-15T08:00:00.000Z"}

    # WHEN the edit is submitted, and the original is sent again
    after_edit = run_script("submit", responses=[edited])["requests"][0]
    again = run_script("submit")["requests"][0]

    # THEN the edit has its own webhook-id while the repeat keeps the first one (mentorflow drops it as a duplicate)
    assert after_edit["options"]["headers"]["webhook-id"] != first["options"]["headers"]["webhook-id"]
    assert again["options"]["headers"]["webhook-id"] == first["options"]["headers"]["webhook-id"]
    assert first["options"]["headers"]["webhook-id"].startswith(f"msg_{APPLICANT_RESPONSE['id']}_")


@pytest.mark.parametrize(
    ("properties", "named"),
    [
        ({"MENTORFLOW_SECRET": SECRET}, "MENTORFLOW_URL"),
        ({**PROPERTIES, "MENTORFLOW_URL": "http://mentorflow.example.org/hooks/google-forms/ep_1"}, "MENTORFLOW_URL"),
        ({**PROPERTIES, "MENTORFLOW_URL": "https://mentorflow.example.org/hooks/standard/ep_1"}, "MENTORFLOW_URL"),
        ({"MENTORFLOW_URL": ENDPOINT_URL}, "MENTORFLOW_SECRET"),
        ({**PROPERTIES, "MENTORFLOW_SECRET": "s3cr3t"}, "MENTORFLOW_SECRET"),
    ],
    ids=["no-url", "plain-http", "another-source", "no-secret", "not-a-whsec-secret"],
)
def test_missing_or_wrong_script_properties_stop_before_anything_is_sent(
    properties: dict[str, str], named: str
) -> None:
    # GIVEN Script Properties that cannot produce a verifiable delivery
    # WHEN a response is submitted
    result = run_script("submit", properties=properties)

    # THEN nothing is posted and the error names the property to fix
    assert result["requests"] == []
    assert named in result["error"]


def test_setup_leaves_exactly_one_form_submit_trigger_however_often_it_runs() -> None:
    # GIVEN a project with an old mentorflow trigger and an unrelated one
    # WHEN setup() runs twice
    result = run_script("setup_twice", triggers=["onFormSubmit", "sendDigest"])

    # THEN one onFormSubmit trigger remains, next to the unrelated one
    assert sorted(result["triggers"]) == ["onFormSubmit", "sendDigest"]
    assert "error" not in result


def test_setup_refuses_to_install_without_script_properties() -> None:
    # GIVEN no Script Properties yet
    # WHEN setup() runs
    result = run_script("setup", properties={})

    # THEN no trigger is installed and the error says what to set
    assert result["triggers"] == []
    assert "MENTORFLOW_URL" in result["error"]


def test_existing_responses_are_sent_with_the_delivery_ids_of_their_first_sending() -> None:
    # GIVEN a form holding two responses, one of them already delivered by the trigger
    second = {**APPLICANT_RESPONSE, "id": "2_ABaOnudw9zZ", "email": "soren.aero@example.dk"}
    delivered = run_script("submit")["requests"][0]

    # WHEN the existing responses are sent
    result = run_script("resend", responses=[APPLICANT_RESPONSE, second])

    # THEN both are posted, verifiable, and the first reuses its webhook-id so mentorflow keeps one copy
    ids = [sent["options"]["headers"]["webhook-id"] for sent in result["requests"]]
    assert ids[0] == delivered["options"]["headers"]["webhook-id"]
    assert ids[1].startswith("msg_2_ABaOnudw9zZ_")
    for sent in result["requests"]:
        StandardWebhooksVerifier(FixedClock(SENT_AT)).verify(as_webhook_request(sent), [SECRET])
    assert result["logs"][-1] == "mentorflow: 2 sent, 0 failed, 0 left"
    assert "MENTORFLOW_RESEND_NEXT" not in result["properties"]


def test_sending_existing_responses_stops_before_the_time_limit_and_continues_where_it_stopped() -> None:
    # GIVEN a form with 25 responses and a mentorflow that takes 15 s to refuse each (it is failing)
    responses = [{**APPLICANT_RESPONSE, "id": f"2_resp{index:02d}"} for index in range(25)]
    first_run = run_script("resend", responses=responses, statuses=[503] * 25, fetch_ms=15_000)

    # WHEN mentorflow is back and the sending is run again with the progress the first run kept
    second_run = run_script("resend", responses=responses, properties={**PROPERTIES, **first_run["properties"]})

    # THEN the first run tried each response once, stopped within Apps Script's 6 minutes and said so
    assert first_run["sleeps"] == []
    assert first_run["elapsed_ms"] < 6 * 60 * 1000
    stopped_at = int(first_run["properties"]["MENTORFLOW_RESEND_NEXT"])
    assert len(first_run["requests"]) == stopped_at < 25
    assert first_run["logs"][-1].endswith("left: run sendExistingResponses again to continue")
    # AND the second run sent the rest, then forgot the progress so that the next pass starts over
    assert len(second_run["requests"]) == 25 - stopped_at
    assert second_run["requests"][0]["options"]["headers"]["webhook-id"].startswith(f"msg_2_resp{stopped_at:02d}_")
    assert "MENTORFLOW_RESEND_NEXT" not in second_run["properties"]


def test_a_mentee_signup_with_the_mentee_mapping_template_makes_a_complete_profile() -> None:
    # GIVEN a Google Form asking the questions of the kit's mentee mapping template, with e-mail collection on
    mapping = FieldMapping.model_validate_json(
        (INTEGRATIONS / "google-forms" / "mapping.mentee-signup.json").read_text(encoding="utf-8")
    )
    signup = {
        "id": "2_ABaOnudwMentee",
        "timestamp": "2025-03-14T09:29:58.000Z",
        "email": "ruta.ciurlionyte@example.lt",
        "items": [
            {"id": 1, "title": "Email address", "type": "TEXT", "response": "ruta.ciurlionyte@example.lt"},
            {"id": 2, "title": "Full name", "type": "TEXT", "response": "Rūta Čiurlionytė"},
            {"id": 3, "title": "Which language should we write to you in?", "type": "MULTIPLE_CHOICE",
             "response": "Lietuvių"},
            {"id": 4, "title": "Which languages do you speak?", "type": "CHECKBOX",
             "response": ["Lietuvių", "English"]},
            {"id": 5, "title": "Your time zone", "type": "LIST", "response": "Europe/Vilnius"},
            {"id": 6, "title": "Company or organisation", "type": "TEXT", "response": "Vilniaus kultūros centras"},
            {"id": 7, "title": "Department or team", "type": "TEXT", "response": "Programmes"},
            {"id": 8, "title": "Your manager's email address", "type": "TEXT", "response": "jonas@example.lt"},
            {"id": 9, "title": "Years of professional experience", "type": "SCALE", "response": "3"},
            {"id": 10, "title": "What would you like to work on?", "type": "CHECKBOX",
             "response": ["Fundraising", "Public speaking"]},
            {"id": 11, "title": "Rank these topics by importance to you", "type": "TEXT",
             "response": "Fundraising"},
            {"id": 12, "title": "I agree that my answers are used to match me within this programme.",
             "type": "CHECKBOX", "response": ["Sutinku"]},
        ],
    }

    # WHEN the response is submitted and mentorflow applies the template to what it received
    [sent] = run_script("submit", responses=[signup])["requests"]
    profile = apply_mapping(parse_standard(sent["options"]["payload"].encode(), source="google-forms"), mapping)

    # THEN every mapped field is filled
    assert isinstance(profile, Profile), profile
    assert profile.model_dump(exclude={"consent"}) == {
        "role": "mentee",
        "email": "ruta.ciurlionyte@example.lt",
        "name": "Rūta Čiurlionytė",
        "language": "lt",
        "timezone": "Europe/Vilnius",
        "company": "Vilniaus kultūros centras",
        "department": "Programmes",
        "manager_email": "jonas@example.lt",
        "seniority": 3,
        "tags": ["Fundraising", "Public speaking"],
        "languages": ["lt", "en"],
        "capacity": None,
        "ranked_topics": ["Fundraising"],
        "ranked_mentors": [],
        "goals": None,
    }
    assert profile.consent is not None
    assert profile.consent.given is True


def test_the_posted_body_follows_the_published_submission_schema() -> None:
    # GIVEN the JSON Schema mentorflow publishes for kits
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    schema = json.loads((INTEGRATIONS / "standard-submission.schema.json").read_text(encoding="utf-8"))

    # WHEN a response with every question type is submitted
    [sent] = run_script("submit")["requests"]

    # THEN the body validates against the schema file itself
    jsonschema.validate(json.loads(sent["options"]["payload"]), schema)


def test_running_the_trigger_handler_by_hand_explains_what_to_run_instead() -> None:
    # GIVEN the script installed
    # WHEN onFormSubmit is run from the editor, without a trigger event
    result = run_script("run_from_editor")

    # THEN nothing is sent and the error points to sendExistingResponses
    assert result["requests"] == []
    assert "sendExistingResponses" in result["error"]

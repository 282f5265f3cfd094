"""The Microsoft Forms kit: the ``sign_and_forward`` Azure Function's logic and the Power Automate flow template.

mentorflow is faked at the HTTP layer (``responses``) by a receiver that does what the
real one does first: verify the Standard Webhooks signature with
``StandardWebhooksVerifier`` and read the body with the ``standard`` source's parser.
"""

from __future__ import annotations

import base64
import json
import py_compile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from chalicelib.clock import FixedClock
from chalicelib.domain.forms.mapping import FieldMapping, apply_mapping
from chalicelib.domain.forms.submission import FormSubmission
from chalicelib.domain.participant import Profile
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.webhooks.signing import StandardWebhooksVerifier
from chalicelib.webhooks.sources.standard import parse_standard
from tests.unit.integrations.kits import INTEGRATIONS, load_kit

forwarder = load_kit("microsoft-forms/sign_and_forward/mentorflow_forwarder.py", "mentorflow_forwarder")

NOW = datetime(2025, 3, 14, 9, 30, 5, tzinfo=UTC)
ENDPOINT_URL = "https://mentorflow.example.org/hooks/standard/ep_01J9MSFORMS"
SECRET = "whsec_" + base64.b64encode(b"mentorflow-standard-endpoint-key").decode()
CONFIG = forwarder.ForwarderConfig(url=ENDPOINT_URL, secret=SECRET)
FORM_ID = "v4j5cvGGr0GRqy180BHbRxxx-mentoring-2025"


def flow_payload(**data: Any) -> dict[str, Any]:
    """What the flow's Compose step posts: every value as the text Microsoft Forms gives it."""
    return {
        "type": "form.submitted",
        "timestamp": "2025-03-14T09:30:01.1234567Z",
        "data": {
            "form_id": FORM_ID,
            "form_title": "Mentoring programme 2025",
            "platform": "microsoft-forms",
            "response_id": "17",
            "submitted_at": "3/14/2025 9:29:58 AM",
            "respondent_email": "soren.aero@example.dk",
            "answers": [
                {"id": "r1a2b3c4", "title": "Full name", "type": "text", "value": "Søren Ærø"},
                {"id": "r5d6e7f8", "title": "I join as", "type": "choice", "value": "Mentor"},
                {"id": "r9a0b1c2", "title": "Languages", "type": "choices", "value": '["Danish","English"]'},
                {"id": "r3d4e5f6", "title": "How many mentees can you take?", "type": "number", "value": "2"},
                {"id": "r7a8b9c0", "title": "Anything else?", "type": "text", "value": ""},
            ],
            **data,
        },
    }


@dataclass
class FakeMentorflow:
    """mentorflow's webhook edge: 401 unless the Standard Webhooks signature verifies, then reads the body."""

    secret: str = SECRET
    status_after_verifying: int = 200
    received: list[requests.PreparedRequest] = field(default_factory=list)
    submissions: list[FormSubmission] = field(default_factory=list)

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.received.append(request)
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        incoming = WebhookRequest(
            method=request.method or "",
            path="/hooks/standard/ep_01J9MSFORMS",
            body=body,
            headers={name.lower(): str(value) for name, value in request.headers.items()},
        )
        try:
            StandardWebhooksVerifier(FixedClock(NOW)).verify(incoming, [self.secret])
        except WebhookVerificationError:
            return 401, {"Content-Type": "application/json"}, json.dumps({"error": "bad signature"})
        self.submissions.append(parse_standard(body, source="standard"))
        receipt = {"delivery_id": incoming.header("webhook-id"), "state": "done", "duplicate": False}
        return self.status_after_verifying, {"Content-Type": "application/json"}, json.dumps(receipt)


@pytest.fixture
def fake_api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def mentorflow(fake_api: responses.RequestsMock) -> FakeMentorflow:
    fake = FakeMentorflow()
    fake_api.add_callback("POST", ENDPOINT_URL, callback=fake.handle)
    return fake


def send(payload: Any, *, at: datetime = NOW) -> Any:
    with requests.Session() as session:
        return forwarder.forward(session, CONFIG, payload, at)


def test_a_flow_submission_reaches_mentorflow_signed_so_that_it_verifies(mentorflow: FakeMentorflow) -> None:
    # GIVEN a response the flow composed
    # WHEN the function forwards it
    outcome = send(flow_payload())

    # THEN mentorflow verified the signature, read the submission, and the flow is told it was delivered
    [submission] = mentorflow.submissions
    assert submission.form_id == FORM_ID
    assert submission.submission_id == "17"
    assert submission.respondent_email == "soren.aero@example.dk"
    assert outcome.status == 200
    assert outcome.body == {
        "delivered": True,
        "mentorflow_status": 200,
        "webhook_id": f"msg_{FORM_ID}_17_20250314092958",
        "delivery_id": f"msg_{FORM_ID}_17_20250314092958",
        "state": "done",
        "duplicate": False,
    }
    # AND the request went to the configured URL as UTF-8 JSON, with a bounded wait
    [request] = mentorflow.received
    assert request.url == ENDPOINT_URL
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.req_kwargs["timeout"] is not None  # type: ignore[attr-defined]


def test_a_redirect_is_not_followed_so_the_signed_answers_go_nowhere_else(fake_api: responses.RequestsMock) -> None:
    # GIVEN the configured URL answering with a redirect to another host
    fake_api.post(ENDPOINT_URL, status=308, headers={"Location": "https://elsewhere.example/collect"})
    elsewhere = fake_api.post("https://elsewhere.example/collect", json={})

    # WHEN the function forwards a response
    outcome = send(flow_payload())

    # THEN the other host received nothing and the flow is told mentorflow did not take it
    assert elsewhere.call_count == 0
    assert outcome.status == 424


def test_microsoft_forms_text_answers_become_lists_numbers_and_nulls(mentorflow: FakeMentorflow) -> None:
    # GIVEN answers as Microsoft Forms hands them to the flow: all text
    # WHEN the function forwards them
    send(flow_payload())

    # THEN several choices arrive as a list, a number as a number, a blank answer as null
    values = {answer.label: answer.value for answer in mentorflow.submissions[0].answers}
    assert values == {
        "Full name": "Søren Ærø",
        "I join as": "Mentor",
        "Languages": ["Danish", "English"],
        "How many mentees can you take?": 2,
        "Anything else?": None,
    }


def test_the_microsoft_forms_submit_date_is_read_as_utc(mentorflow: FakeMentorflow) -> None:
    # GIVEN the submit date in Microsoft Forms' month/day/year, 12-hour layout
    # WHEN the function forwards the response
    send(flow_payload(submitted_at="3/14/2025 9:29:58 PM"))

    # THEN mentorflow reads the moment in UTC
    assert mentorflow.submissions[0].submitted_at == datetime(2025, 3, 14, 21, 29, 58, tzinfo=UTC)


def test_an_anonymous_respondent_has_no_email(mentorflow: FakeMentorflow) -> None:
    # GIVEN a form open to anyone, whose responder Microsoft Forms reports as "anonymous"
    # WHEN the function forwards a response
    send(flow_payload(respondent_email="anonymous"))

    # THEN mentorflow gets no e-mail rather than a wrong one
    assert mentorflow.submissions[0].respondent_email is None


def test_a_flow_retry_repeats_the_webhook_id_with_a_fresh_timestamp(
    mentorflow: FakeMentorflow, fake_api: responses.RequestsMock
) -> None:
    # GIVEN a response forwarded once
    send(flow_payload())

    # WHEN the flow's retry policy sends it again a minute later
    send(flow_payload(), at=NOW + timedelta(minutes=1))

    # THEN both deliveries share one webhook-id (mentorflow keeps one) and each is signed for its own time
    first, second = mentorflow.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 60


def test_an_edited_response_sent_again_is_a_new_delivery_not_a_duplicate(
    mentorflow: FakeMentorflow, fake_api: responses.RequestsMock
) -> None:
    # GIVEN a response forwarded once
    send(flow_payload())

    # WHEN the respondent edits it and the flow sends it again with its new submission time
    send(flow_payload(submitted_at="3/14/2025 10:02:11 AM"), at=NOW + timedelta(minutes=33))

    # THEN the two carry different webhook ids, so mentorflow processes the edit
    first, second = mentorflow.received
    assert first.headers["webhook-id"] != second.headers["webhook-id"]


@pytest.mark.parametrize(
    "failure",
    [requests.ConnectionError("connection refused"), requests.Timeout("read timed out"), 500, 503, 429],
    ids=["unreachable", "timeout", "500", "503", "429"],
)
def test_a_failing_mentorflow_asks_the_flow_to_retry(fake_api: responses.RequestsMock, failure: Any) -> None:
    # GIVEN mentorflow unreachable or failing
    if isinstance(failure, Exception):
        fake_api.post(ENDPOINT_URL, body=failure)
    else:
        fake_api.post(ENDPOINT_URL, status=failure, json={"error": "busy"})

    # WHEN the function forwards a response
    outcome = send(flow_payload())

    # THEN it answers 503, which Power Automate's retry policy retries
    assert outcome.status == 503
    assert outcome.body["webhook_id"] == f"msg_{FORM_ID}_17_20250314092958"


def test_a_signature_refused_by_mentorflow_is_not_worth_retrying(mentorflow: FakeMentorflow) -> None:
    # GIVEN mentorflow holding another secret (the endpoint's secret was rotated)
    mentorflow.secret = "whsec_" + base64.b64encode(b"a-newer-secret-after-a-rotation!").decode()

    # WHEN the function forwards a response
    outcome = send(flow_payload())

    # THEN it answers 424, which the flow does not retry, and says which setting to fix
    assert outcome.status == 424
    assert "HTTP 401" in outcome.body["error"]
    assert "MENTORFLOW_SECRET" in outcome.body["error"]
    assert mentorflow.submissions == []


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        (flow_payload(response_id=""), "data.response_id"),
        (flow_payload(form_id=None), "data.form_id"),
        ({**flow_payload(), "type": "form.deleted"}, "type"),
        (flow_payload(answers={"r1": "x"}), "data.answers"),
        (flow_payload(answers=[{"title": "no id", "type": "text", "value": "x"}]), "data.answers[0].id"),
        (flow_payload(submitted_at="yesterday"), "data.submitted_at"),
        (flow_payload(answers=[{"id": "r1", "title": "Stars", "type": "rating", "value": "4"}]),
         "data.answers[0].type"),
        (["not", "an", "object"], "JSON object"),
    ],
    ids=["no-response-id", "no-form-id", "other-event", "answers-not-a-list", "answer-without-id", "bad-time",
         "unknown-answer-type", "not-an-object"],
)
def test_a_body_that_is_not_a_submission_is_refused_before_anything_is_sent(
    mentorflow: FakeMentorflow, payload: Any, named: str
) -> None:
    # GIVEN a Compose step that produced something other than a submission
    # WHEN the function receives it
    outcome = send(payload)

    # THEN it answers 400 naming the field, and mentorflow received nothing
    assert outcome.status == 400
    assert named in outcome.body["error"]
    assert mentorflow.received == []


def test_the_settings_are_read_from_the_function_apps_environment() -> None:
    # GIVEN app settings for a standard endpoint
    environ = {"MENTORFLOW_URL": f" {ENDPOINT_URL} ", "MENTORFLOW_SECRET": SECRET}

    # WHEN they are read
    config = forwarder.ForwarderConfig.from_environ(environ)

    # THEN the URL and secret are used as given (trimmed), and the secret stays out of the repr
    assert config.url == ENDPOINT_URL
    assert config.secret == SECRET
    assert SECRET not in repr(config)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"MENTORFLOW_SECRET": SECRET}, "MENTORFLOW_URL"),
        ({"MENTORFLOW_URL": ENDPOINT_URL.replace("https", "http"), "MENTORFLOW_SECRET": SECRET}, "MENTORFLOW_URL"),
        ({"MENTORFLOW_URL": ENDPOINT_URL.replace("standard", "typeform"), "MENTORFLOW_SECRET": SECRET},
         "MENTORFLOW_URL"),
        ({"MENTORFLOW_URL": ENDPOINT_URL}, "MENTORFLOW_SECRET"),
        ({"MENTORFLOW_URL": ENDPOINT_URL, "MENTORFLOW_SECRET": "whsec_not base64!"}, "MENTORFLOW_SECRET"),
    ],
    ids=["no-url", "plain-http", "another-source", "no-secret", "broken-secret"],
)
def test_unusable_settings_are_named_without_their_values(environ: dict[str, str], named: str) -> None:
    # GIVEN app settings that cannot produce a verifiable delivery
    # WHEN they are read
    with pytest.raises(forwarder.ConfigError) as raised:
        forwarder.ForwarderConfig.from_environ(environ)

    # THEN the error names the setting and quotes no value
    assert named in str(raised.value)
    assert SECRET not in str(raised.value)


def test_the_flow_template_wires_the_trigger_response_details_compose_and_signing_call() -> None:
    # GIVEN the flow definition shipped in the kit
    flow = json.loads((INTEGRATIONS / "microsoft-forms" / "flow.json").read_text(encoding="utf-8"))
    definition = flow["properties"]["definition"]

    # WHEN its trigger and actions are read
    trigger = definition["triggers"]["When_a_new_response_is_submitted"]
    actions = definition["actions"]
    details, compose, call = (
        actions["Get_response_details"], actions["Compose_mentorflow_submission"],
        actions["Sign_and_forward_to_mentorflow"],
    )

    # THEN each response fires one run, whose details feed the Compose, whose output goes to the function
    assert trigger["inputs"]["host"]["operationId"] == "CreateFormWebhook"
    assert trigger["splitOn"] == "@triggerOutputs()?['body/value']"
    assert details["inputs"]["host"]["operationId"] == "GetFormResponseById"
    assert details["inputs"]["parameters"]["response_id"] == "@triggerOutputs()?['body/resourceData/responseId']"
    assert compose["runAfter"] == {"Get_response_details": ["Succeeded"]}
    assert compose["inputs"]["type"] == "form.submitted"
    assert {"form_id", "response_id", "submitted_at", "respondent_email", "answers"} <= set(compose["inputs"]["data"])
    assert call["runAfter"] == {"Compose_mentorflow_submission": ["Succeeded"]}
    assert call["inputs"]["method"] == "POST"
    assert call["inputs"]["uri"].endswith("/api/sign_and_forward")
    assert call["inputs"]["body"] == "@outputs('Compose_mentorflow_submission')"
    # AND the function key is a placeholder, hidden from run history once filled in
    assert call["inputs"]["headers"]["x-functions-key"] == "REPLACE_WITH_FUNCTION_KEY"
    assert call["runtimeConfiguration"]["secureData"]["properties"] == ["inputs"]


def test_every_question_in_the_flow_template_reads_the_answer_of_its_own_id() -> None:
    # GIVEN the Compose step of the flow template
    flow = json.loads((INTEGRATIONS / "microsoft-forms" / "flow.json").read_text(encoding="utf-8"))
    answers = flow["properties"]["definition"]["actions"]["Compose_mentorflow_submission"]["inputs"]["data"]["answers"]

    # WHEN each answer's id is compared with the response field its value reads
    # THEN they match, so replacing a question id in one place cannot silently desynchronise the other
    for answer in answers:
        assert answer["value"] == f"@{{outputs('Get_response_details')?['body/{answer['id']}']}}"
        assert answer["type"] in {"text", "choice", "choices", "number", "date", "ranking", "other"}


def test_the_function_entry_point_is_valid_python(tmp_path: Path) -> None:
    # GIVEN the Azure Functions entry point (azure-functions itself is not installed here)
    source = INTEGRATIONS / "microsoft-forms" / "sign_and_forward" / "function_app.py"

    # WHEN it is compiled
    compiled = py_compile.compile(str(source), cfile=str(tmp_path / "function_app.pyc"), doraise=True)

    # THEN it compiles
    assert compiled is not None
    assert Path(compiled).exists()


def test_the_flow_template_with_the_mentor_mapping_template_makes_a_complete_profile(
    mentorflow: FakeMentorflow,
) -> None:
    # GIVEN the flow's Compose step filled in as Microsoft Forms would, for the kit's mentor sign-up questions
    flow = json.loads((INTEGRATIONS / "microsoft-forms" / "flow.json").read_text(encoding="utf-8"))
    composed = flow["properties"]["definition"]["actions"]["Compose_mentorflow_submission"]["inputs"]
    texts_by_title = {
        "Email address": "Soren.Aero@Example.dk",
        "Full name": "Søren Ærø",
        "Which language should we write to you in?": "Dansk",
        "Which languages can you mentor in?": '["Dansk","English"]',
        "Your time zone": "Europe/Copenhagen",
        "Company or organisation": "Ærø Consulting",
        "Department or team": "Advisory",
        "Years of professional experience": "12",
        "What can you help mentees with?": '["Negotiation","Career change"]',
        "How many mentees can you take on at once?": "2",
        "I agree that my answers are used to match me within this programme.": '["I agree"]',
    }
    answers = [{**answer, "value": texts_by_title[answer["title"]]} for answer in composed["data"]["answers"]]
    payload = {**composed, "data": {**composed["data"], "form_id": FORM_ID, "response_id": "3",
                                    "submitted_at": "3/14/2025 9:29:58 AM", "respondent_email": "", "answers": answers}}
    mapping = FieldMapping.model_validate_json(
        (INTEGRATIONS / "microsoft-forms" / "mapping.mentor-signup.json").read_text(encoding="utf-8")
    )

    # WHEN the function forwards it and mentorflow applies the mentor mapping template
    assert send(payload).status == 200
    profile = apply_mapping(mentorflow.submissions[0], mapping)

    # THEN every mapped field is filled
    assert isinstance(profile, Profile), profile
    assert profile.model_dump(exclude={"consent"}) == {
        "role": "mentor",
        "email": "soren.aero@example.dk",
        "name": "Søren Ærø",
        "language": "da",
        "timezone": "Europe/Copenhagen",
        "company": "Ærø Consulting",
        "department": "Advisory",
        "manager_email": None,
        "seniority": 12,
        "tags": ["Negotiation", "Career change"],
        "languages": ["da", "en"],
        "capacity": 2,
        "ranked_topics": [],
        "ranked_mentors": [],
        "goals": None,
    }
    assert profile.consent is not None
    assert profile.consent.given is True


def test_a_ranking_sent_as_semicolon_separated_text_arrives_in_rank_order(mentorflow: FakeMentorflow) -> None:
    # GIVEN a ranking question, which Microsoft Forms reports as one text with the options in rank order
    ranking = {"id": "r4e5f6a7", "title": "Rank these topics by importance to you", "type": "ranking",
               "value": "Leadership;Public speaking;Work-life balance"}

    # WHEN the function forwards the response
    send(flow_payload(answers=[ranking]))

    # THEN mentorflow receives the options as a list, first choice first
    assert mentorflow.submissions[0].answers[0].value == ["Leadership", "Public speaking", "Work-life balance"]


def test_the_forwarded_body_follows_the_published_submission_schema(mentorflow: FakeMentorflow) -> None:
    # GIVEN the JSON Schema mentorflow publishes for kits
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    schema = json.loads((INTEGRATIONS / "standard-submission.schema.json").read_text(encoding="utf-8"))

    # WHEN a composed response is forwarded
    send(flow_payload())

    # THEN the body mentorflow received validates against the schema file itself
    [request] = mentorflow.received
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    jsonschema.validate(json.loads(body), schema)


def test_one_function_app_serves_several_forms_through_named_settings() -> None:
    # GIVEN settings for the mentor form (unnamed) and for the mentee form (target "mentees")
    mentee_url = "https://mentorflow.example.org/hooks/standard/ep_01J9MENTEES"
    mentee_secret = "whsec_" + base64.b64encode(b"the-mentee-endpoint-secret-bytes").decode()
    environ = {
        "MENTORFLOW_URL": ENDPOINT_URL, "MENTORFLOW_SECRET": SECRET,
        "MENTORFLOW_URL_MENTEES": mentee_url, "MENTORFLOW_SECRET_MENTEES": mentee_secret,
    }

    # WHEN each target's settings are read
    mentors = forwarder.ForwarderConfig.from_environ(environ)
    mentees = forwarder.ForwarderConfig.from_environ(environ, "mentees")

    # THEN each form goes to its own endpoint with its own secret
    assert (mentors.url, mentors.secret) == (ENDPOINT_URL, SECRET)
    assert (mentees.url, mentees.secret) == (mentee_url, mentee_secret)


@pytest.mark.parametrize("target", ["../etc", "a b", "x" * 41, "ünïcode"])
def test_a_target_that_is_not_a_plain_name_is_refused(target: str) -> None:
    # GIVEN a target that could not name an app setting
    # WHEN settings are read for it
    # THEN it is refused
    with pytest.raises(forwarder.ConfigError, match="target"):
        forwarder.ForwarderConfig.from_environ({"MENTORFLOW_URL": ENDPOINT_URL, "MENTORFLOW_SECRET": SECRET}, target)


def test_a_named_target_without_its_settings_names_the_setting_to_add() -> None:
    # GIVEN only the unnamed settings
    environ = {"MENTORFLOW_URL": ENDPOINT_URL, "MENTORFLOW_SECRET": SECRET}

    # WHEN settings are read for target "mentees"
    with pytest.raises(forwarder.ConfigError) as raised:
        forwarder.ForwarderConfig.from_environ(environ, "mentees")

    # THEN the error names the setting the function app lacks
    assert "MENTORFLOW_URL_MENTEES" in str(raised.value)


def test_the_function_accepts_exactly_the_answer_types_the_published_schema_lists() -> None:
    # GIVEN the JSON Schema mentorflow publishes for kits
    schema = json.loads((INTEGRATIONS / "standard-submission.schema.json").read_text(encoding="utf-8"))

    # WHEN its answer types are compared with those the function lets through
    published = schema["$defs"]["AnswerType"]["enum"]

    # THEN they are the same
    assert sorted(forwarder.ANSWER_TYPES) == sorted(published)

"""Form intake end to end: signed vendor posts through ``/hooks/{source}/{endpoint_id}`` become participants.

Runs against the in-memory storage and DynamoDB on moto (the ``storage`` fixture), with the
real sources, the real outbox and a fixed clock.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.message import Message
from chalicelib.domain.participant import Participant, ParticipantStatus, participant_id_for
from chalicelib.domain.webhook import DeliveryState
from chalicelib.services.endpoints import IssuedEndpoint
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import tally as tally_vendor
from chalicelib.webhooks.sources import typeform as typeform_vendor
from tests.support.events import INTEGRATIONS, load_event, load_event_json
from tests.support.forms import JOTFORM_MAPPING, JOTFORM_SIGNUP, jotform_fields, multipart
from tests.support.world import V1, TenantHandle, World, signed_standard, world_with

TYPEFORM_MAPPING: dict[str, Any] = {
    "role": {"constant": "mentee"},
    "email": {"ref": "readable_ref_email"},
    "name": {"ref": "readable_ref_short_text"},
    "tags": {"id": "PNe8ZKBK8C2Q", "pass_through": True},
    "consent": {"ref": "readable_ref_legal", "required": True},
}
TALLY_MAPPING: dict[str, Any] = {
    "role": {"constant": "mentor"},
    "email": {"label": "Email"},
    "name": {"label": "Payment (name)"},
    "capacity": {"label": "Number"},
    "seniority": {"label": "Rating"},
    "tags": {"label": "Multi-select"},
    "ranked_preferences": {"label": "Ranking"},
    "department": {"hidden": "utm_campaign"},
    "consent": {"label": "Checkboxes (Swimming)", "required": True},
}


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with world_with(storage) as built:
        yield built


def _setup(
    world: World, source: str, mapping: dict[str, Any] | None, **programme: Any
) -> tuple[TenantHandle, IssuedEndpoint]:
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(**programme), source)
    if mapping is not None:
        answer = _put_mapping(world, coordinator, issued.endpoint.endpoint_id, mapping)
        assert answer.status_code == 200, answer.json_body
    return coordinator, issued


def _put_mapping(world: World, coordinator: TenantHandle, endpoint_id: str, mapping: dict[str, Any]) -> Any:
    return world.client.http.put(
        f"{V1}/endpoints/{endpoint_id}/mapping", headers=coordinator.headers(), body=json.dumps(mapping)
    )


def _typeform(world: World, issued: IssuedEndpoint, body: bytes, signature: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature != "":
        headers["Typeform-Signature"] = signature or typeform_vendor.SIGNING.sign(issued.secret, body)
    return world.client.http.post(f"/hooks/typeform/{issued.endpoint.endpoint_id}", headers=headers, body=body)


def _participants(world: World, coordinator: TenantHandle, programme_id: str) -> list[Participant]:
    return world.storage.participants.list(coordinator.tenant_id, programme_id).items


def _messages(world: World, participant: Participant) -> list[Message]:
    return world.storage.messages.for_participant(participant.tenant_id, participant.participant_id)


def _typeform_body(event_id: str, token: str, submitted_at: str, first_name: str) -> bytes:
    event = load_event_json("typeform_form_response.json")
    event["event_id"] = event_id
    event["form_response"]["token"] = token
    event["form_response"]["submitted_at"] = submitted_at
    for answer in event["form_response"]["answers"]:
        if answer["field"]["id"] == "JwWggjAKtOkA":
            answer["text"] = first_name
    return json.dumps(event, ensure_ascii=False).encode()


# --- Each published payload ------------------------------------------------------------------------


def test_the_published_typeform_response_onboards_laura_and_welcomes_her(world: World) -> None:
    # GIVEN a Typeform endpoint mapped to the example form
    coordinator, issued = _setup(world, "typeform", TYPEFORM_MAPPING)

    # WHEN Typeform posts its example response, signed
    answer = _typeform(world, issued, load_event("typeform_form_response.json"))

    # THEN the delivery is done and Laura is an accepted mentee with one welcome
    assert answer.status_code == 200
    assert answer.json_body == {"delivery_id": "LtWXD3crgy", "state": "done", "duplicate": False}
    [laura] = _participants(world, coordinator, issued.endpoint.programme_id)
    assert (laura.profile.name, laura.profile.email, laura.profile.tags) == (
        "Laura",
        "laura@example.com",
        ["London", "Sydney"],
    )
    assert laura.status is ParticipantStatus.ACCEPTED
    [welcome] = _messages(world, laura)
    assert (welcome.template, welcome.language, welcome.idempotency_key) == (
        "welcome",
        "sr",
        f"welcome:{laura.participant_id}",
    )


def test_the_published_tally_response_onboards_alice_as_a_mentor(world: World) -> None:
    # GIVEN a Tally endpoint mapped to the example form
    coordinator, issued = _setup(world, "tally", TALLY_MAPPING, languages=["en"], default_language="en")
    body = load_event("tally_FORM_RESPONSE.json")

    # WHEN Tally posts it, signed
    answer = world.client.http.post(
        f"/hooks/tally/{issued.endpoint.endpoint_id}",
        headers={"Content-Type": "application/json", "Tally-Signature": tally_vendor.SIGNING.sign(issued.secret, body)},
        body=body,
    )

    # THEN
    assert answer.json_body["state"] == "done"
    [alice] = _participants(world, coordinator, issued.endpoint.programme_id)
    profile = alice.profile
    assert (profile.role.value, profile.name, profile.email) == ("mentor", "Alice Smith", "alice@example.com")
    assert (profile.capacity, profile.seniority, profile.department) == (10, 4, "newsletter")
    assert (profile.tags, profile.ranked_topics) == (["Surf", "Golf"], ["Pear", "Apple", "Banana"])
    assert alice.profile_submitted_at == datetime(2023, 6, 28, 15, 0, 21, tzinfo=UTC)
    assert [m.template for m in _messages(world, alice)] == ["welcome"]


def test_the_published_jotform_delivery_without_an_e_mail_is_kept_for_attention(world: World) -> None:
    # GIVEN a Jotform endpoint whose mapping asks for an e-mail the published tutoring form never asks
    mapping = {
        "role": {"constant": "mentee"},
        "email": {"ref": "email"},
        "name": {"ref": "studentsName"},
        "consent": {"ref": "priorTutoring"},
    }
    coordinator, issued = _setup(world, "jotform", mapping)
    raw = load_event("jotform_submission.rawRequest.json").decode()
    body, content_type = multipart(jotform_fields(raw, submission_id="6111139644845227683"))

    # WHEN Jotform posts it to the URL with the token
    answer = world.client.http.post(
        f"/hooks/jotform/{issued.endpoint.endpoint_id}?token={issued.secret}",
        headers={"Content-Type": content_type},
        body=body,
    )

    # THEN it is accepted for later, kept with the reason, and nobody is created
    assert (answer.status_code, answer.json_body["state"]) == (202, "needs_attention")
    stored = world.storage.deliveries.get(issued.endpoint.endpoint_id, answer.json_body["delivery_id"])
    assert answer.json_body["delivery_id"].startswith("6111139644845227683.")
    assert stored is not None
    assert stored.last_error == (
        "the answers do not fit the field mapping: "
        'email: required answer missing: no answer to the question with ref "email"'
    )
    assert _participants(world, coordinator, issued.endpoint.programme_id) == []
    assert "token" not in stored.query


def test_a_jotform_signup_onboards_egle_in_lithuanian(world: World) -> None:
    # GIVEN a Jotform endpoint for a mentee signup
    coordinator, issued = _setup(world, "jotform", JOTFORM_MAPPING, languages=["lt", "en"], default_language="lt")
    body, content_type = multipart(jotform_fields(JOTFORM_SIGNUP))

    # WHEN Jotform posts the signup
    answer = world.client.http.post(
        f"/hooks/jotform/{issued.endpoint.endpoint_id}?token={issued.secret}",
        headers={"Content-Type": content_type},
        body=body,
    )

    # THEN
    assert answer.json_body["delivery_id"].startswith("5912345678901234567.")
    assert (answer.json_body["state"], answer.json_body["duplicate"]) == ("done", False)
    [egle] = _participants(world, coordinator, issued.endpoint.programme_id)
    assert (egle.profile.name, egle.profile.email) == ("Eglė Čiurlionytė", "egle.ciurlionyte@example.lt")
    [welcome] = _messages(world, egle)
    assert welcome.language == "lt"
    assert "Eglė Čiurlionytė" in welcome.body_text


def test_the_google_forms_kit_submission_onboards_djordje(world: World) -> None:
    # GIVEN a Google Forms endpoint with the shipped mentor template
    template = json.loads((INTEGRATIONS / "google-forms" / "mapping.mentor-signup.json").read_text(encoding="utf-8"))
    coordinator, issued = _setup(world, "google-forms", template)
    body = load_event("standard_form.submitted_google_forms_mentor.json")

    # WHEN the kit posts a response, signed the Standard Webhooks way
    answer = world.client.http.post(
        f"/hooks/google-forms/{issued.endpoint.endpoint_id}",
        headers=signed_standard(issued.secret, body, msg_id="msg_gf_1", at=world.clock.now()),
        body=body,
    )

    # THEN
    assert answer.json_body["state"] == "done"
    [djordje] = _participants(world, coordinator, issued.endpoint.programme_id)
    assert (djordje.profile.name, djordje.profile.email, djordje.profile.languages) == (
        "Đorđe Đorđević",
        "djordje.djordjevic@example.rs",
        ["sr", "en"],
    )
    assert djordje.profile.capacity == 2


@pytest.mark.parametrize(
    ("fixture", "state", "status"),
    [
        ("standardwebhooks_contact.created_full.json", "ignored", 200),
        ("googleforms_watch_RESPONSES_pubsub.json", "needs_attention", 202),
    ],
)
def test_other_signed_events_are_ignored_or_kept_never_lost(
    world: World, fixture: str, state: str, status: int
) -> None:
    # GIVEN a standard endpoint
    coordinator, issued = _setup(world, "standard", TYPEFORM_MAPPING)
    body = load_event(fixture)

    # WHEN a correctly signed event that is no submission arrives
    answer = world.client.http.post(
        f"/hooks/standard/{issued.endpoint.endpoint_id}",
        headers=signed_standard(issued.secret, body, msg_id="msg_other", at=world.clock.now()),
        body=body,
    )

    # THEN it is recorded in the right state and nobody is created
    assert (answer.status_code, answer.json_body["state"]) == (status, state)
    assert world.storage.deliveries.get(issued.endpoint.endpoint_id, "msg_other") is not None
    assert _participants(world, coordinator, issued.endpoint.programme_id) == []


# --- Refused and malformed posts ---------------------------------------------------------------------


def test_wrong_missing_or_stale_signatures_answer_401_and_store_nothing(world: World) -> None:
    # GIVEN endpoints of every form source
    coordinator, typeform = _setup(world, "typeform", TYPEFORM_MAPPING)
    programme_id = typeform.endpoint.programme_id
    tally = coordinator.endpoint(programme_id, "tally")
    jotform = coordinator.endpoint(programme_id, "jotform")
    google = coordinator.endpoint(programme_id, "google-forms")
    typeform_body = load_event("typeform_form_response.json")
    tally_body = load_event("tally_FORM_RESPONSE.json")
    gf_body = load_event("standard_form.submitted_google_forms_mentor.json")
    jotform_body, jotform_type = multipart(jotform_fields(JOTFORM_SIGNUP))
    post = world.client.http.post

    # WHEN posts arrive signed with another secret, unsigned, stale, or to the wrong vendor's URL
    answers = [
        _typeform(
            world, typeform, typeform_body, signature=typeform_vendor.SIGNING.sign("not-the-secret", typeform_body)
        ),
        _typeform(world, typeform, typeform_body, signature=""),
        _typeform(
            world,
            typeform,
            typeform_body.replace(b"Laura", b"Mallory"),
            signature=typeform_vendor.SIGNING.sign(typeform.secret, typeform_body),
        ),
        post(
            f"/hooks/tally/{tally.endpoint.endpoint_id}", headers={"Content-Type": "application/json"}, body=tally_body
        ),
        post(
            f"/hooks/tally/{tally.endpoint.endpoint_id}",
            body=typeform_body,
            headers={
                "Content-Type": "application/json",
                "Typeform-Signature": typeform_vendor.SIGNING.sign(tally.secret, typeform_body),
            },
        ),
        post(
            f"/hooks/jotform/{jotform.endpoint.endpoint_id}", headers={"Content-Type": jotform_type}, body=jotform_body
        ),
        post(
            f"/hooks/jotform/{jotform.endpoint.endpoint_id}?token=guess",
            headers={"Content-Type": jotform_type},
            body=jotform_body,
        ),
        post(
            f"/hooks/google-forms/{google.endpoint.endpoint_id}",
            body=gf_body,
            headers=signed_standard(google.secret, gf_body, msg_id="m", at=world.clock.now() - timedelta(minutes=6)),
        ),
        post(
            f"/hooks/google-forms/{google.endpoint.endpoint_id}",
            body=gf_body,
            headers={"Content-Type": "application/json"},
        ),
    ]

    # THEN every one is 401 and nothing is stored
    assert [a.status_code for a in answers] == [401] * len(answers)
    for endpoint in (typeform, tally, jotform, google):
        assert world.storage.deliveries.for_endpoint(endpoint.endpoint.endpoint_id) == []
    assert _participants(world, coordinator, programme_id) == []


def test_a_truncated_but_signed_body_is_kept_for_attention_and_an_unsigned_one_refused(world: World) -> None:
    # GIVEN a Typeform body cut off in transit, once signed as cut and once not
    _, issued = _setup(world, "typeform", TYPEFORM_MAPPING)
    truncated = load_event("typeform_form_response.json")[:700]

    # WHEN both arrive
    signed = _typeform(world, issued, truncated)
    unsigned = _typeform(world, issued, truncated, signature="sha256=AAAA")

    # THEN the signed one is kept with its reason under the body's hash; the other refused
    assert (signed.status_code, signed.json_body["state"]) == (202, "needs_attention")
    assert unsigned.status_code == 401
    [kept] = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)
    assert kept.delivery_id.startswith("sha256:")
    assert kept.state is DeliveryState.NEEDS_ATTENTION
    assert (kept.last_error or "").startswith("the submission cannot be read: Typeform body is not valid JSON")
    assert kept.body == truncated


# --- Idempotency and ordering ------------------------------------------------------------------------


def test_the_same_delivery_five_times_is_one_participant_and_one_message(world: World) -> None:
    coordinator, issued = _setup(world, "typeform", TYPEFORM_MAPPING)
    body = load_event("typeform_form_response.json")

    answers = [_typeform(world, issued, body) for _ in range(5)]

    assert [a.json_body["duplicate"] for a in answers] == [False, True, True, True, True]
    [laura] = _participants(world, coordinator, issued.endpoint.programme_id)
    assert len(_messages(world, laura)) == 1


def test_the_same_delivery_posted_concurrently_is_one_participant_and_one_message(world: World) -> None:
    # GIVEN five vendor retries racing each other
    coordinator, issued = _setup(world, "typeform", TYPEFORM_MAPPING)
    body = load_event("typeform_form_response.json")
    signature = typeform_vendor.SIGNING.sign(issued.secret, body)
    barrier = threading.Barrier(5)
    statuses: list[int] = []
    lock = threading.Lock()

    def post() -> None:
        barrier.wait()
        answer = _typeform(world, issued, body, signature=signature)
        with lock:
            statuses.append(answer.status_code)

    # WHEN they arrive at once
    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN
    assert len(statuses) == 5
    assert set(statuses) <= {200, 202}
    [laura] = _participants(world, coordinator, issued.endpoint.programme_id)
    assert len(_messages(world, laura)) == 1
    assert len(world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)) == 1


def test_deliveries_arriving_out_of_order_leave_the_newest_answers(world: World) -> None:
    # GIVEN Laura answered twice; the later answer is delivered first
    coordinator, issued = _setup(world, "typeform", TYPEFORM_MAPPING)
    newer = _typeform_body("ev_new", "tok_new", "2026-08-31T12:00:00Z", "Laura Palmer")
    older = _typeform_body("ev_old", "tok_old", "2026-08-30T12:00:00Z", "Laura")

    # WHEN both arrive
    first = _typeform(world, issued, newer)
    second = _typeform(world, issued, older)

    # THEN both are done, the newest answers stay, and one welcome was sent
    assert (first.json_body["state"], second.json_body["state"]) == ("done", "done")
    [laura] = _participants(world, coordinator, issued.endpoint.programme_id)
    assert laura.profile.name == "Laura Palmer"
    assert laura.profile_submitted_at == datetime(2026, 8, 31, 12, 0, tzinfo=UTC)
    old = world.storage.deliveries.get(issued.endpoint.endpoint_id, "ev_old")
    assert old is not None
    assert old.result is not None
    assert old.result["outcome"] == "stale"
    assert len(_messages(world, laura)) == 1


def test_a_full_programme_waitlists_a_new_mentee_through_the_route(world: World) -> None:
    # GIVEN a programme with no mentee places
    coordinator, issued = _setup(world, "typeform", TYPEFORM_MAPPING, max_mentees=0)

    # WHEN Laura signs up
    _typeform(world, issued, load_event("typeform_form_response.json"))

    # THEN she is waitlisted and told so
    [laura] = _participants(world, coordinator, issued.endpoint.programme_id)
    assert laura.status is ParticipantStatus.WAITLISTED
    assert laura.participant_id == participant_id_for(
        coordinator.tenant_id, issued.endpoint.programme_id, "laura@example.com"
    )
    assert [m.template for m in _messages(world, laura)] == ["waitlisted"]


def test_no_name_e_mail_answer_or_token_of_a_signup_reaches_the_logs(
    world: World, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a Jotform endpoint (its secret travels in the URL) and a Typeform one whose mapping fails
    caplog.set_level(logging.DEBUG, logger="mentorflow")
    caplog.set_level(logging.DEBUG, logger="chalicelib")
    caplog.set_level(logging.INFO)
    coordinator, jotform = _setup(world, "jotform", JOTFORM_MAPPING)
    typeform = coordinator.endpoint(jotform.endpoint.programme_id, "typeform")
    _put_mapping(world, coordinator, typeform.endpoint.endpoint_id, TYPEFORM_MAPPING | {"role": {"ref": "nope"}})
    body, content_type = multipart(jotform_fields(JOTFORM_SIGNUP))

    # WHEN a signup is onboarded and another fails its mapping
    world.client.http.post(
        f"/hooks/jotform/{jotform.endpoint.endpoint_id}?token={jotform.secret}",
        headers={"Content-Type": content_type},
        body=body,
    )
    _typeform(world, typeform, load_event("typeform_form_response.json"))

    # THEN the logs hold none of it
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert (
        world.storage.deliveries.for_endpoint(typeform.endpoint.endpoint_id)[0].state is DeliveryState.NEEDS_ATTENTION
    )
    for sensitive in (
        jotform.secret,
        typeform.secret,
        "Eglė",
        "Čiurlionytė",
        "egle.ciurlionyte@example.lt",
        "Egle.Ciurlionyte",
        "laura@example.com",
        "Leadership",
        "It's cold right now",
    ):
        assert sensitive not in logged


def test_a_huge_answer_is_kept_for_attention_with_a_short_reason(world: World) -> None:
    # GIVEN a Tally signup whose name answer holds 450 000 characters (900 kB, under the 1 MB body limit)
    coordinator, issued = _setup(world, "tally", TALLY_MAPPING, languages=["en"], default_language="en")
    event = load_event_json("tally_FORM_RESPONSE.json")
    for field in event["data"]["fields"]:
        if field["label"] == "Payment (name)":
            field["value"] = "Ø" * 450_000
    body = json.dumps(event, ensure_ascii=False).encode()

    # WHEN it is posted
    answer = world.client.http.post(
        f"/hooks/tally/{issued.endpoint.endpoint_id}",
        headers={"Content-Type": "application/json", "Tally-Signature": tally_vendor.SIGNING.sign(issued.secret, body)},
        body=body,
    )

    # THEN it is kept with a reason that names the limit, and nobody is created
    assert answer.json_body["state"] == "needs_attention"
    [kept] = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)
    assert kept.last_error == (
        "the answers do not fit the field mapping: name: the answer is 450000 characters long; name takes at most 200"
    )
    assert _participants(world, coordinator, issued.endpoint.programme_id) == []

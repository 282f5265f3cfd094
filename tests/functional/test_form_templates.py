"""The shipped Tally templates map forms written in any of the five languages, through the real webhook route.

The payloads are Tally's published example (``tests/events/tally_FORM_RESPONSE.json``) with its
questions replaced by the template's, titled as a Slovenian and a Danish coordinator would write them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.participant import Participant, ParticipantStatus
from chalicelib.services.endpoints import IssuedEndpoint
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import tally as tally_vendor
from tests.support.events import INTEGRATIONS, load_event_json
from tests.support.world import V1, TenantHandle, World, world_with


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with world_with(storage) as built:
        yield built


def _choice(key: str, label: str, kind: str, picked: list[str], options: list[str]) -> dict[str, Any]:
    ids = {text: f"opt-{key}-{i}" for i, text in enumerate(options)}
    return {
        "key": key,
        "label": label,
        "type": kind,
        "value": [ids[text] for text in picked],
        "options": [{"id": ids[text], "text": text} for text in options],
    }


def _tally_body(fields: list[dict[str, Any]], response_id: str) -> bytes:
    event = load_event_json("tally_FORM_RESPONSE.json")
    event["eventId"] = f"evt-{response_id}"
    event["data"]["responseId"] = event["data"]["submissionId"] = response_id
    event["data"]["fields"] = fields
    return json.dumps(event, ensure_ascii=False).encode()


SLOVENIAN_MENTOR = [
    {"key": "question_ime", "label": "Ime in priimek", "type": "INPUT_TEXT", "value": "Špela Žagar"},
    {"key": "question_mail", "label": "E-poštni naslov", "type": "INPUT_EMAIL", "value": "spela.zagar@example.si"},
    _choice(
        "question_jezik",
        "V katerem jeziku naj vam pišemo?",
        "MULTIPLE_CHOICE",
        ["Slovenščina"],
        ["Slovenščina", "Angleščina"],
    ),
    _choice(
        "question_jeziki",
        "V katerih jezikih lahko mentorirate?",
        "CHECKBOXES",
        ["Slovenščina", "Angleščina"],
        ["Slovenščina", "Angleščina", "Nemščina"],
    ),
    {"key": "question_pas", "label": "Vaš časovni pas", "type": "INPUT_TEXT", "value": "Europe/Ljubljana"},
    {"key": "question_leta", "label": "Leta delovnih izkušenj", "type": "INPUT_NUMBER", "value": 14},
    {
        "key": "question_koliko",
        "label": "Koliko mentorirancev lahko sprejmete hkrati?",
        "type": "INPUT_NUMBER",
        "value": 2,
    },
    {
        "key": "question_soglasje",
        "label": "Strinjam se, da se moji odgovori uporabijo za povezovanje v tem programu.",
        "type": "CHECKBOX",
        "value": True,
    },
]
DANISH_MENTEE = [
    {"key": "question_navn", "label": "Fulde navn", "type": "INPUT_TEXT", "value": "Mette Sørensen"},
    {"key": "question_mail", "label": "E-mailadresse", "type": "INPUT_EMAIL", "value": "mette.sorensen@example.dk"},
    _choice("question_sprog", "Hvilket sprog skal vi skrive til dig på?", "DROPDOWN", ["Dansk"], ["Dansk", "Engelsk"]),
    _choice(
        "question_taler", "Hvilke sprog taler du?", "MULTI_SELECT", ["Dansk", "Engelsk"], ["Dansk", "Engelsk", "Tysk"]
    ),
    {"key": "question_firma", "label": "Virksomhed eller organisation", "type": "INPUT_TEXT", "value": "Novo Nordisk"},
    {"key": "question_afd", "label": "Afdeling eller team", "type": "INPUT_TEXT", "value": "Data"},
    _choice(
        "question_emner",
        "Hvad vil du gerne arbejde med?",
        "CHECKBOXES",
        ["Ledelse", "Karriere"],
        ["Ledelse", "Karriere", "Netværk"],
    ),
    {
        "key": "question_samtykke",
        "label": "Jeg accepterer, at mine svar bruges til at matche mig i dette program.",
        "type": "CHECKBOX",
        "value": True,
    },
]


def _tally_endpoint(world: World, template: str, language: str) -> tuple[TenantHandle, IssuedEndpoint]:
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(languages=[language], default_language=language), "tally")
    mapping = (INTEGRATIONS / "tally" / template).read_text(encoding="utf-8")
    put = world.client.http.put(
        f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping", headers=coordinator.headers(), body=mapping
    )
    assert put.status_code == 200, put.json_body
    return coordinator, issued


def _post(world: World, issued: IssuedEndpoint, fields: list[dict[str, Any]], response_id: str) -> dict[str, Any]:
    body = _tally_body(fields, response_id=response_id)
    answer = world.client.http.post(
        f"/hooks/tally/{issued.endpoint.endpoint_id}",
        headers={"Content-Type": "application/json", "Tally-Signature": tally_vendor.SIGNING.sign(issued.secret, body)},
        body=body,
    )
    # A delivery kept for a coordinator's attention is accepted as 202.
    assert answer.status_code in (200, 202), answer.json_body
    return dict(answer.json_body)


def _signup_through_template(world: World, template: str, fields: list[dict[str, Any]], language: str) -> Participant:
    coordinator, issued = _tally_endpoint(world, template, language)
    assert _post(world, issued, fields, f"resp-{language}")["state"] == "done"
    [person] = world.storage.participants.list(coordinator.tenant_id, issued.endpoint.programme_id).items
    return person


def test_a_slovenian_tally_form_maps_through_the_shipped_mentor_template(world: World) -> None:
    # GIVEN a Slovenian programme whose Tally form titles the template's questions in Slovenian
    # WHEN Špela signs up through it, signed, and the shipped mentor template is the mapping
    spela = _signup_through_template(world, "mapping.mentor-signup.json", SLOVENIAN_MENTOR, "sl")

    # THEN she is an accepted mentor with every answer in place
    assert spela.status is ParticipantStatus.ACCEPTED
    profile = spela.profile
    assert (profile.role.value, profile.name, profile.email) == ("mentor", "Špela Žagar", "spela.zagar@example.si")
    assert (profile.language, profile.languages) == ("sl", ["sl", "en"])
    assert (profile.timezone, profile.seniority, profile.capacity) == ("Europe/Ljubljana", 14, 2)
    assert profile.consent is not None
    assert profile.consent.given


def test_a_danish_tally_form_maps_through_the_shipped_mentee_template(world: World) -> None:
    # GIVEN a Danish programme whose Tally form titles the template's questions and languages in Danish
    # WHEN Mette signs up through it, signed, and the shipped mentee template is the mapping
    mette = _signup_through_template(world, "mapping.mentee-signup.json", DANISH_MENTEE, "da")

    # THEN she is an accepted mentee with every answer in place
    assert mette.status is ParticipantStatus.ACCEPTED
    profile = mette.profile
    assert (profile.role.value, profile.name, profile.email) == (
        "mentee",
        "Mette Sørensen",
        "mette.sorensen@example.dk",
    )
    assert (profile.language, profile.languages) == ("da", ["da", "en"])
    assert (profile.company, profile.department, profile.tags) == ("Novo Nordisk", "Data", ["Ledelse", "Karriere"])
    assert profile.consent is not None
    assert profile.consent.given


def _renamed(fields: list[dict[str, Any]], key: str, label: str, **answers: Any) -> list[dict[str, Any]]:
    renamed = [{**f, "label": label} if f["key"] == key else f for f in fields]
    return [{**f, **answers.get(f["key"], {})} for f in renamed]


def test_a_mapping_bound_to_the_first_signup_still_maps_after_the_coordinator_renames_a_question(world: World) -> None:
    # GIVEN the shipped mentor template on a Slovenian Tally form, and Špela's signup through it
    coordinator, issued = _tally_endpoint(world, "mapping.mentor-signup.json", "sl")
    first = _post(world, issued, SLOVENIAN_MENTOR, "resp-spela")
    endpoint_id = issued.endpoint.endpoint_id

    # WHEN the coordinator binds the mapping to that delivery, then renames the name question in Tally
    bound = world.client.http.post(
        f"{V1}/endpoints/{endpoint_id}/deliveries/{first['delivery_id']}/bind", headers=coordinator.headers()
    )
    renamed = _renamed(
        SLOVENIAN_MENTOR,
        "question_ime",
        "Kako vam je ime?",
        question_mail={"value": "jure.kos@example.si"},
        question_ime={"value": "Jure Kos"},
    )
    second = _post(world, issued, renamed, "resp-jure")

    # THEN the binding recorded the name question's key, and Jure's signup maps by it
    assert bound.status_code == 200, bound.json_body
    assert bound.json_body["field_mapping"]["name"]["key"] == "question_ime"
    assert second["state"] == "done", second
    names = {
        p.profile.name
        for p in world.storage.participants.list(coordinator.tenant_id, issued.endpoint.programme_id).items
    }
    assert names == {"Špela Žagar", "Jure Kos"}


def test_without_a_binding_a_renamed_question_is_kept_for_attention(world: World) -> None:
    # GIVEN the shipped mentor template on a Slovenian Tally form, never bound
    _coordinator, issued = _tally_endpoint(world, "mapping.mentor-signup.json", "sl")

    # WHEN a signup arrives after the name question was renamed to a title the template does not list
    answer = _post(world, issued, _renamed(SLOVENIAN_MENTOR, "question_ime", "Kako vam je ime?"), "resp-renamed")

    # THEN it waits for a coordinator, naming the unanswered name question
    assert answer["state"] == "needs_attention"

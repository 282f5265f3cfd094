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
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import tally as tally_vendor
from tests.support.events import INTEGRATIONS, load_event_json
from tests.support.world import V1, World, world_with


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


def _signup_through_template(world: World, template: str, fields: list[dict[str, Any]], language: str) -> Participant:
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(languages=[language], default_language=language), "tally")
    mapping = (INTEGRATIONS / "tally" / template).read_text(encoding="utf-8")
    put = world.client.http.put(
        f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping", headers=coordinator.headers(), body=mapping
    )
    assert put.status_code == 200, put.json_body
    body = _tally_body(fields, response_id=f"resp-{language}")
    answer = world.client.http.post(
        f"/hooks/tally/{issued.endpoint.endpoint_id}",
        headers={"Content-Type": "application/json", "Tally-Signature": tally_vendor.SIGNING.sign(issued.secret, body)},
        body=body,
    )
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["state"] == "done", answer.json_body
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

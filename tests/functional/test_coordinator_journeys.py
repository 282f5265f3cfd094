"""Two programmes run end to end as a coordinator lives them, through the real routes and jobs.

A Slovenian community programme signs people up through Tally, a Danish cross-company
programme through Typeform; 30 mentees and 12 mentors each (two places per mentor, so
six mentees wait). Signups arrive as signed webhooks; the coordinator matches, approves,
ends a pair early, withdraws a mentee and completes a pair through the admin API; the
``send-messages`` job sends between the steps. Every person receives each message once,
in their language, in the order things happened.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.message import Message
from chalicelib.jobs import run_job
from chalicelib.notify.channels import RecordingChannel
from chalicelib.storage.repositories import in_memory_storage
from chalicelib.webhooks.sources import tally as tally_vendor
from chalicelib.webhooks.sources import typeform as typeform_vendor
from tests.support.world import TenantHandle, World, world_with

V1 = "/api/v1"
MENTORS = 12
MENTEES = 30


@pytest.fixture
def world() -> Iterator[World]:
    # Storage itself is held to its contract on moto and DynamoDB Local; the journeys are about behaviour.
    with world_with(in_memory_storage()) as built:
        built.container._channel = RecordingChannel()
        yield built


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    role: str
    company: str
    goals: tuple[str, ...]


@dataclass(frozen=True)
class Kit:
    """One programme's form tool and language: its mapping and how it posts a signup."""

    source: str
    language: str
    mapping: dict[str, Any]
    post: Callable[[World, Any, int, Person], Any]
    people: list[Person]
    programme: dict[str, Any]
    words: dict[str, str]


def _tally_post(world: World, issued: Any, number: int, person: Person) -> Any:
    fields = [
        {"key": "question_ime", "label": "Ime in priimek", "type": "INPUT_TEXT", "value": person.name},
        {"key": "question_eposta", "label": "E-pošta", "type": "INPUT_EMAIL", "value": person.email},
        {"key": "question_vloga", "label": "Sodelujem kot", "type": "INPUT_TEXT", "value": person.role},
        {"key": "question_cilji", "label": "Področja", "type": "INPUT_TEXT", "value": ", ".join(person.goals)},
        {"key": "question_soglasje", "label": "Soglasje", "type": "INPUT_TEXT", "value": "Da"},
    ]
    if person.role == "Mentor":
        fields.append({"key": "question_mesta", "label": "Koliko oseb", "type": "INPUT_NUMBER", "value": 2})
    body = json.dumps(
        {
            "eventId": f"evt-sl-{number}",
            "eventType": "FORM_RESPONSE",
            "createdAt": f"2026-09-01T08:{number:02d}:00.000Z",
            "data": {
                "responseId": f"sl{number}",
                "submissionId": f"sl{number}",
                "respondentId": f"resp{number}",
                "formId": "skupnost",
                "formName": "Prijava v mentorski program",
                "createdAt": f"2026-09-01T08:{number:02d}:00.000Z",
                "fields": fields,
            },
        },
        ensure_ascii=False,
    ).encode()
    return world.client.http.post(
        f"/hooks/tally/{issued.endpoint.endpoint_id}",
        headers={"Content-Type": "application/json", "Tally-Signature": tally_vendor.SIGNING.sign(issued.secret, body)},
        body=body,
    )


def _typeform_post(world: World, issued: Any, number: int, person: Person) -> Any:
    def field(ref: str, kind: str) -> dict[str, str]:
        return {"id": f"f_{ref}", "type": kind, "ref": ref}

    answers: list[dict[str, Any]] = [
        {"type": "text", "text": person.name, "field": field("navn", "short_text")},
        {"type": "email", "email": person.email, "field": field("email", "email")},
        {"type": "choice", "choice": {"label": person.role}, "field": field("rolle", "multiple_choice")},
        {"type": "text", "text": person.company, "field": field("virksomhed", "short_text")},
        {"type": "text", "text": ", ".join(person.goals), "field": field("maal", "short_text")},
        {"type": "boolean", "boolean": True, "field": field("samtykke", "legal")},
    ]
    if person.role == "Mentor":
        answers.append({"type": "number", "number": 2, "field": field("pladser", "number")})
    body = json.dumps(
        {
            "event_id": f"evt-da-{number}",
            "event_type": "form_response",
            "form_response": {
                "form_id": "netvaerk",
                "token": f"da{number}",
                "submitted_at": f"2026-09-01T08:{number:02d}:00Z",
                "landed_at": f"2026-09-01T08:{number:02d}:00Z",
                "answers": answers,
            },
        },
        ensure_ascii=False,
    ).encode()
    return world.client.http.post(
        f"/hooks/typeform/{issued.endpoint.endpoint_id}",
        headers={
            "Content-Type": "application/json",
            "Typeform-Signature": typeform_vendor.SIGNING.sign(issued.secret, body),
        },
        body=body,
    )


def _people(first: list[str], last: list[str], domain: str, companies: list[str], goals: list[str]) -> list[Person]:
    people = []
    for number in range(MENTORS + MENTEES):
        role = "Mentor" if number < MENTORS else "Mentee"
        name = f"{first[number % len(first)]} {last[(number * 7) % len(last)]}"
        people.append(
            Person(
                name=name,
                email=f"person{number}@{domain}",
                role=role,
                company=companies[number % len(companies)],
                goals=(goals[number % len(goals)], goals[(number + 1) % len(goals)]),
            )
        )
    return people


SLOVENIAN = Kit(
    source="tally",
    language="sl",
    mapping={
        "role": {"label": "Sodelujem kot", "choices": {"Mentor": "mentor", "Mentee": "mentee"}},
        "email": {"label": "E-pošta"},
        "name": {"label": "Ime in priimek"},
        "language": {"constant": "sl"},
        "languages": {"constant": ["sl"]},
        "tags": {"label": "Področja", "separator": ",", "pass_through": True},
        "capacity": {"label": "Koliko oseb"},
        "consent": {"label": "Soglasje", "required": True},
    },
    post=_tally_post,
    people=_people(
        ["Ana", "Luka", "Maja", "Nik", "Eva", "Jure", "Nina", "Tilen", "Špela", "Žiga"],
        ["Novak", "Horvat", "Krajnc", "Zupančič", "Kovač", "Potočnik", "Mlakar", "Vidmar", "Kos", "Golob", "Turk"],
        "skupnost.example.si",
        ["Skupnost"],
        ["vodenje", "komunikacija", "prostovoljstvo", "financiranje"],
    ),
    programme={
        "name": "Povezani 2026",
        "languages": ["sl"],
        "default_language": "sl",
        "timezone": "Europe/Ljubljana",
        "coordinators": [{"name": "Mojca Kranjc", "email": "mojca@skupnost.example.si", "language": "sl"}],
    },
    words={"coordinator": "Mojca Kranjc", "looking": "Iščemo vam novega mentorja"},
)

DANISH = Kit(
    source="typeform",
    language="da",
    mapping={
        "role": {"ref": "rolle", "choices": {"Mentor": "mentor", "Mentee": "mentee"}},
        "email": {"ref": "email"},
        "name": {"ref": "navn"},
        "language": {"constant": "da"},
        "languages": {"constant": ["da"]},
        "company": {"ref": "virksomhed"},
        "tags": {"ref": "maal", "separator": ",", "pass_through": True},
        "capacity": {"ref": "pladser"},
        "consent": {"ref": "samtykke", "required": True},
    },
    post=_typeform_post,
    people=_people(
        ["Søren", "Mette", "Anders", "Freja", "Mads", "Ida", "Rasmus", "Sofie", "Jonas", "Emma"],
        ["Ærø", "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Møller"],
        "ledernetvaerk.example.dk",
        ["Nordlys A/S", "Havn ApS", "Vindkraft A/S"],
        ["ledelse", "strategi", "kommunikation", "forhandling"],
    ),
    programme={
        "name": "Ledernetværket 2026",
        "languages": ["da"],
        "default_language": "da",
        "timezone": "Europe/Copenhagen",
        "matching": {"cross_company": True},
        "coordinators": [{"name": "Helle Holm", "email": "helle@ledernetvaerk.example.dk", "language": "da"}],
    },
    words={"coordinator": "Helle Holm", "looking": "Vi leder efter en ny mentor til dig"},
)


class Journey:
    """The coordinator's view: the API with her key, the jobs, and what went out."""

    def __init__(self, world: World, coordinator: TenantHandle, programme_id: str) -> None:
        self.world = world
        self.coordinator = coordinator
        self.programme_id = programme_id

    @property
    def sent(self) -> list[Message]:
        channel = self.world.container.channel
        assert isinstance(channel, RecordingChannel)
        return channel.sent

    def send(self) -> None:
        """Ten minutes pass and the sender runs, as its schedule would."""
        self.world.clock.advance(timedelta(minutes=10))
        run_job("send-messages", self.world.container)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """The coordinator's next click, a minute after her last."""
        self.world.clock.advance(timedelta(minutes=1))
        answer = self.coordinator.post(f"{V1}/programmes/{self.programme_id}{path}", body or {})
        assert answer.status_code in (200, 201), answer.json_body
        return answer.json_body

    def pairs(self, status: str) -> list[dict[str, Any]]:
        answer = self.coordinator.get(f"{V1}/programmes/{self.programme_id}/pairs?status={status}&limit=500")
        return list(answer.json_body["items"])

    def templates_by_person(self) -> dict[str, list[str]]:
        received: dict[str, list[str]] = defaultdict(list)
        for message in self.sent:
            received[message.recipient].append(message.template)
        return received


def _journey(world: World, kit: Kit) -> None:
    # GIVEN a programme with its coordinator and its form connected, and 42 signed signups
    coordinator = world.tenant()
    created = coordinator.post(f"{V1}/programmes", kit.programme)
    assert created.status_code == 201, created.json_body
    programme_id = created.json_body["programme_id"]
    issued = coordinator.endpoint(programme_id, kit.source)
    mapped = world.client.http.put(
        f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping",
        headers=coordinator.headers(),
        body=json.dumps(kit.mapping),
    )
    assert mapped.status_code == 200, mapped.json_body
    journey = Journey(world, coordinator, programme_id)
    for number, person in enumerate(kit.people):
        answer = kit.post(world, issued, number, person)
        assert answer.json_body["state"] == "done", answer.json_body
    journey.send()

    # WHEN the coordinator matches and approves everything, then ends one pair early,
    # withdraws a matched mentee, approves the rematches and completes a pair
    report = journey.post("/matching-runs", {"dry_run": False})
    assert len(report["proposals"]) == 2 * MENTORS
    run_id = report["run"]["run_id"]
    journey.post(f"/matching-runs/{run_id}/approve-all")
    journey.send()

    approved = sorted(journey.pairs("approved"), key=lambda p: p["pair_id"])
    # Ties fall differently each round, so who waits varies: end pairs whose mentor someone waiting may take.
    waiting = [u["participant_id"] for u in report["run"]["unmatched"] if u["role"] == "mentee"]
    company = {p["participant_id"]: p["profile"]["company"] for p in _participants(journey)}
    cross_company = kit.programme.get("matching", {}).get("cross_company", False)
    open_to_waiting = [
        p for p in approved if not cross_company or any(company[m] != company[p["mentor_id"]] for m in waiting)
    ]
    ended, withdrawn_from, completed = _three_mentors_apart(open_to_waiting)
    early = journey.post(f"/pairs/{ended['pair_id']}/end", {"reason": "se ne ujemata", "outcome": "ended_early"})
    assert early["rematch"]["proposals"], "the freed place is offered at once"
    freed_to = early["rematch"]["proposals"][0]
    assert freed_to["mentor_id"] == ended["mentor_id"]
    assert freed_to["mentee_id"] != ended["mentee_id"]
    journey.post(f"/pairs/{freed_to['pair_id']}/approve")
    journey.send()

    leaver = withdrawn_from["mentee_id"]
    journey.post(f"/participants/{leaver}/withdraw", {"reason": "selitev"})
    (second_offer,) = [p for p in journey.pairs("proposed") if p["mentor_id"] == withdrawn_from["mentor_id"]]
    journey.post(f"/pairs/{second_offer['pair_id']}/approve")
    journey.send()

    journey.post(f"/pairs/{completed['pair_id']}/end", {"reason": "cilji doseženi", "outcome": "completed"})
    journey.send()

    # THEN every message went out once, in the programme's language
    sent = journey.sent
    assert len({m.message_id for m in sent}) == len(sent)
    assert {m.language for m in sent} == {kit.language}
    received = journey.templates_by_person()
    emails = {p["participant_id"]: p for p in _participants(journey)}

    def of(participant_id: str) -> list[str]:
        return received[emails[participant_id]["profile"]["email"]]

    # ... and each person heard of their own story in the order it happened
    second_mentee = second_offer["mentee_id"]
    rematched = ["match_approved_mentee"] if second_mentee == ended["mentee_id"] else []
    assert of(ended["mentee_id"]) == ["welcome", "match_approved_mentee", "pair_ended", *rematched]
    if not rematched:
        assert of(second_mentee) == ["welcome", "waitlisted", "match_approved_mentee"]
    assert of(ended["mentor_id"]) == [
        "welcome",
        "match_approved_mentor",
        "match_approved_mentor",
        "pair_ended",
        "match_approved_mentor",
    ]
    assert of(freed_to["mentee_id"]) == ["welcome", "waitlisted", "match_approved_mentee"]
    assert of(withdrawn_from["mentor_id"]) == [
        "welcome",
        "match_approved_mentor",
        "match_approved_mentor",
        "pair_ended",
        "match_approved_mentor",
    ]
    assert of(leaver) == ["welcome", "match_approved_mentee"]
    assert of(completed["mentee_id"]) == ["welcome", "match_approved_mentee", "pair_completed"]
    assert of(completed["mentor_id"])[-1] == "pair_completed"
    waiting = [pid for pid, p in emails.items() if p["status"] == "waitlisted"]
    assert all(of(pid) == ["welcome", "waitlisted"] for pid in waiting)

    # ... the texts name the coordinator and tell the freed mentee a new mentor is sought
    (ended_text,) = [m for m in sent if m.template == "pair_ended" and m.participant_id == ended["mentee_id"]]
    assert kit.words["looking"] in ended_text.body_text
    assert kit.words["coordinator"] in ended_text.body_text
    assert all(m.reply_to == kit.programme["coordinators"][0]["email"] for m in sent)


def _three_mentors_apart(pairs: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    chosen: list[dict[str, Any]] = []
    for pair in pairs:
        if all(pair["mentor_id"] != other["mentor_id"] for other in chosen):
            chosen.append(pair)
    return tuple(chosen[:3])


def _participants(journey: Journey) -> list[dict[str, Any]]:
    answer = journey.coordinator.get(f"{V1}/programmes/{journey.programme_id}/participants?limit=500")
    assert answer.status_code == 200, answer.json_body
    return list(answer.json_body["items"])


def test_a_slovenian_community_programme_through_tally_runs_from_signup_to_completion(world: World) -> None:
    _journey(world, SLOVENIAN)


def test_a_danish_cross_company_programme_through_typeform_runs_from_signup_to_completion(world: World) -> None:
    _journey(world, DANISH)

"""Matching means what the forms mean: sign-ups through the shipped Google Forms templates, then a run.

Each person signs up as the Google Forms kit posts a response (signed, Standard Webhooks),
through the shipped mentor and mentee templates; the coordinator then matches through
the admin API and reads the proposals as the API answers them. The last test enrols
through the admin API: ties rotating from round to round needs no form.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.storage.repositories import Storage
from tests.support.events import INTEGRATIONS
from tests.support.world import V1, TenantHandle, World, signed_standard, world_with

_responses = itertools.count(1)
CONSENT = "I agree that my answers are used to match me within this programme."


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with world_with(storage) as built:
        yield built


class Programme:
    """A programme with one Google Forms endpoint per role, each mapped by its shipped template."""

    def __init__(self, world: World, **policy: Any) -> None:
        self.world = world
        self.coordinator: TenantHandle = world.tenant()
        self.programme_id = self.coordinator.programme(languages=["en"], default_language="en", matching=policy)
        self.endpoints = {role: self._endpoint(role) for role in ("mentor", "mentee")}

    def _endpoint(self, role: str) -> Any:
        issued = self.coordinator.endpoint(self.programme_id, "google-forms")
        template = (INTEGRATIONS / "google-forms" / f"mapping.{role}-signup.json").read_text(encoding="utf-8")
        answer = self.world.client.http.put(
            f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping", headers=self.coordinator.headers(), body=template
        )
        assert answer.status_code == 200, answer.json_body
        return issued

    def sign_up(self, role: str, name: str, email: str, **answers: Any) -> None:
        """One kit response: ``answers`` by question title; English spoken, and one place for a mentor."""
        languages = "Which languages can you mentor in?" if role == "mentor" else "Which languages do you speak?"
        titled: dict[str, Any] = {"Full name": name, "Email address": email, languages: ["English"], CONSENT: ["Yes"]}
        if role == "mentor":
            titled["How many mentees can you take on at once?"] = 1
        titled |= answers
        number = next(_responses)
        body = json.dumps(
            {
                "type": "form.submitted",
                "timestamp": "2026-09-01T08:58:13Z",
                "data": {
                    "form_id": f"form-{role}",
                    "platform": "google-forms",
                    "response_id": f"response-{number}",
                    "submitted_at": "2026-09-01T08:58:12Z",
                    "respondent_email": email,
                    "answers": [
                        {"id": str(k), "title": title, "type": _type_of(title, value), "value": value}
                        for k, (title, value) in enumerate(titled.items())
                    ],
                },
            },
            ensure_ascii=False,
        ).encode()
        issued = self.endpoints[role]
        answer = self.world.client.http.post(
            f"/hooks/google-forms/{issued.endpoint.endpoint_id}",
            headers=signed_standard(issued.secret, body, msg_id=f"msg_{number}", at=self.world.clock.now()),
            body=body,
        )
        assert answer.json_body["state"] == "done", answer.json_body

    def run(self) -> dict[str, Any]:
        response = self.coordinator.post(f"{V1}/programmes/{self.programme_id}/matching-runs", {})
        assert response.status_code == 201, response.json_body
        return dict(response.json_body)

    def pairs_by_name(self, report: dict[str, Any]) -> dict[str, str]:
        """Mentee name → mentor name of each proposal."""
        names = report["names"]
        return {names[p["mentee_id"]]: names[p["mentor_id"]] for p in report["proposals"]}

    def explanation_of(self, report: dict[str, Any], mentee: str) -> str:
        names = report["names"]
        return next(p["explanation"] for p in report["proposals"] if names[p["mentee_id"]] == mentee)


def _type_of(title: str, value: Any) -> str:
    if title == "Rank these topics by importance to you":
        return "ranking"
    if isinstance(value, list):
        return "choices"
    return "number" if isinstance(value, int) else "text"


def test_a_mentee_is_matched_with_the_mentor_of_the_topic_they_ranked_first(world: World) -> None:
    # GIVEN Ona ranks leadership above writing; Jelena mentors writing, Søren leadership
    programme = Programme(world)
    programme.sign_up(
        "mentor", "Jelena Đorđević", "jelena@example.rs", **{"What can you help mentees with?": ["Writing"]}
    )
    programme.sign_up("mentor", "Søren Ærø", "soren@example.dk", **{"What can you help mentees with?": ["Leadership"]})
    programme.sign_up(
        "mentee",
        "Ona Čiurlionytė",
        "ona@example.lt",
        **{"Rank these topics by importance to you": ["Leadership", "Writing"]},
    )

    # WHEN the coordinator matches the cohort
    report = programme.run()

    # THEN Ona is proposed to Søren, and the explanation names her top-ranked topic
    assert programme.pairs_by_name(report) == {"Ona Čiurlionytė": "Søren Ærø"}
    assert "covers the mentee's ranked topics Leadership (best ranked no. 1)" in programme.explanation_of(
        report, "Ona Čiurlionytė"
    )


def test_seniority_is_compared_and_explained_in_years_of_experience(world: World) -> None:
    # GIVEN a mentee with 2 years of experience, a mentor with 8 and one with 30 (preferred gap 3-10 years)
    programme = Programme(world)
    years = "Years of professional experience"
    programme.sign_up("mentor", "Jelena Đorđević", "jelena@example.rs", **{years: 30})
    programme.sign_up("mentor", "Søren Ærø", "soren@example.dk", **{years: 8})
    programme.sign_up("mentee", "Ona Čiurlionytė", "ona@example.lt", **{years: 2})

    # WHEN matched
    report = programme.run()

    # THEN the mentor 6 years ahead is proposed, and the explanation says so in years
    assert programme.pairs_by_name(report) == {"Ona Čiurlionytė": "Søren Ærø"}
    assert "the mentor has 6 years more experience than the mentee (preferred 3–10)" in programme.explanation_of(
        report, "Ona Čiurlionytė"
    )


def test_a_cross_company_programme_treats_a_company_with_its_legal_form_as_the_same_company(world: World) -> None:
    # GIVEN a cross-company programme; Søren works at "Fjord Software" and the best fitting mentor,
    # Ida, at "Fjord Software A/S"; Jelena elsewhere
    programme = Programme(world, cross_company=True)
    company, helps = "Company or organisation", "What can you help mentees with?"
    programme.sign_up(
        "mentor", "Ida Lindqvist", "ida@fjord.example", **{company: "Fjord Software A/S", helps: ["Sales"]}
    )
    programme.sign_up("mentor", "Jelena Đorđević", "jelena@example.rs", **{company: "Kulturni centar Beograd"})
    programme.sign_up(
        "mentee",
        "Søren Ærø",
        "soren@fjord.example",
        **{company: "Fjord Software", "What would you like to work on?": ["Sales"]},
    )

    # WHEN matched
    report = programme.run()

    # THEN Søren is proposed to Jelena, never to his own company's mentor
    assert programme.pairs_by_name(report) == {"Søren Ærø": "Jelena Đorđević"}


def test_a_mentee_is_never_proposed_to_anyone_up_their_reporting_chain(world: World) -> None:
    # GIVEN Jovana names her manager Marko, Marko (a mentee too) names his manager Eglė, who mentors
    # Jovana's goal; Ida mentors nothing in particular; both have two places
    programme = Programme(world)
    manager, goals = "Your manager's email address", "What would you like to work on?"
    programme.sign_up(
        "mentor",
        "Eglė Šimkus",
        "egle@corp.example",
        **{"What can you help mentees with?": ["Strategy"], "How many mentees can you take on at once?": 2},
    )
    programme.sign_up("mentor", "Ida Lindqvist", "ida@example.dk", **{"How many mentees can you take on at once?": 2})
    programme.sign_up(
        "mentee", "Jovana Petrović", "jovana@corp.example", **{manager: "marko@corp.example", goals: ["Strategy"]}
    )
    programme.sign_up("mentee", "Marko Ilić", "marko@corp.example", **{manager: "egle@corp.example"})

    # WHEN matched
    report = programme.run()

    # THEN nobody is proposed to Eglė: she is Marko's manager and Jovana's manager's manager
    assert programme.pairs_by_name(report) == {"Jovana Petrović": "Ida Lindqvist", "Marko Ilić": "Ida Lindqvist"}


def test_a_second_sign_up_keeps_the_past_pair_and_goals_differing_by_case_are_listed_once(world: World) -> None:
    # GIVEN Ona, whose goals differ only by case, proposed to Søren and rejected
    programme = Programme(world)
    helps, goals = "What can you help mentees with?", "What would you like to work on?"
    programme.sign_up("mentor", "Søren Ærø", "soren@example.dk", **{helps: ["LEADERSHIP"]})
    programme.sign_up("mentor", "Jelena Đorđević", "jelena@example.rs", **{helps: ["Writing"]})
    programme.sign_up("mentee", "Ona Čiurlionytė", "ona@example.lt", **{goals: ["Leadership", "leadership"]})
    first = programme.run()
    assert programme.pairs_by_name(first) == {"Ona Čiurlionytė": "Søren Ærø"}
    assert "shared goals Leadership;" in programme.explanation_of(first, "Ona Čiurlionytė")
    (proposal,) = first["proposals"]
    rejected = programme.coordinator.post(
        f"{V1}/programmes/{programme.programme_id}/pairs/{proposal['pair_id']}/reject", {"reason": "not this time"}
    )
    assert rejected.status_code == 200, rejected.json_body

    # WHEN Ona signs up again, the same address typed differently, and the cohort is matched again
    programme.sign_up("mentee", "Ona Čiurlionytė", " ONA@Example.LT ", **{goals: ["leadership"]})
    second = programme.run()

    # THEN she is one participant, and Søren is not proposed to her again
    mentees = [
        p
        for p in world.storage.participants.list(programme.coordinator.tenant_id, programme.programme_id).items
        if p.profile.role.value == "mentee"
    ]
    assert len(mentees) == 1
    assert programme.pairs_by_name(second) == {"Ona Čiurlionytė": "Jelena Đorđević"}


def test_two_rounds_of_all_tied_mentees_do_not_leave_the_same_people_unmatched(world: World) -> None:
    # GIVEN twenty interchangeable mentees for ten interchangeable places, waiting time not counted
    coordinator = world.tenant()
    programme_id = coordinator.programme(matching={"weights": {"priority": 0}})
    for j in range(10):
        coordinator.enrol(programme_id, "mentor", f"Mentor {j}", f"mentor{j}@example.dk")
    for i in range(20):
        coordinator.enrol(programme_id, "mentee", f"Mentee {i}", f"mentee{i}@example.lt")
    runs = f"{V1}/programmes/{programme_id}/matching-runs"

    # WHEN a round is matched, its proposals are all rejected, and the next round is matched
    first = coordinator.post(runs, {}).json_body
    for proposal in first["proposals"]:
        path = f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}/reject"
        assert coordinator.post(path, {"reason": "another round"}).status_code == 200
    second = coordinator.post(runs, {}).json_body

    # THEN each round placed ten, and the ties fell on different people
    def left_out(report: dict[str, Any]) -> set[str]:
        return {u["participant_id"] for u in report["run"]["unmatched"] if u["role"] == "mentee"}

    assert len(first["proposals"]) == len(second["proposals"]) == 10
    assert len(left_out(first)) == len(left_out(second)) == 10
    assert left_out(first) != left_out(second)

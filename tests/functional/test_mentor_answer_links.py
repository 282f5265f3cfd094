"""The mentor answers a match request with one click, through the real routes: accept, decline, and refusals.

Where the programme asks mentors first, the match request carries signed, single-use
links that expire at the answer deadline. Opening one shows a page in the mentor's
language and changes nothing; pressing its button accepts or declines through the same
service as the admin API. A forged, expired, reused, other-tenant or other-mentor link
changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.services.links import issue_link
from chalicelib.settings import Settings
from chalicelib.storage.repositories import Storage
from tests.support.world import TEST_LINK_KEYS, V1, TenantHandle, World, world_with

BASE = "https://mentorflow.example.org"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    settings = Settings(link_keys=TEST_LINK_KEYS, public_base_url=BASE)
    with world_with(storage, settings=settings) as built:
        yield built


class Request:
    """A Danish programme where mentors accept first, with the match request Mikkel received."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.coordinator = world.tenant()
        self.programme_id = self.coordinator.programme(
            languages=["da"], default_language="da", matching={"mentor_acceptance_days": 7}
        )
        enrol = self.coordinator.enrol
        self.mikkel = enrol(self.programme_id, "mentor", "Mikkel Holm", "mikkel@example.dk", tags=["ledelse"])
        self.sofie = enrol(self.programme_id, "mentor", "Sofie Lund", "sofie@example.dk")
        self.mette = enrol(self.programme_id, "mentee", "Mette Sørensen", "mette@example.dk", tags=["ledelse"])
        report = self.coordinator.post(f"{V1}/programmes/{self.programme_id}/matching-runs", {}).json_body
        (proposal,) = report["proposals"]
        assert proposal["mentor_id"] == self.mikkel
        self.pair_id = str(proposal["pair_id"])
        self.pair_path = f"{V1}/programmes/{self.programme_id}/pairs/{self.pair_id}"
        assert self.coordinator.post(f"{self.pair_path}/approve").status_code == 200
        (request,) = [m for m in self._messages(self.mikkel) if m.template == "match_request_mentor"]
        self.body = request.body_text
        self.accept_path = re.findall(r"Ja, jeg accepterer: (\S+)", self.body)[0].removeprefix(BASE)
        self.decline_path = re.findall(r"Nej, jeg takker nej: (\S+)", self.body)[0].removeprefix(BASE)

    def _messages(self, participant_id: str) -> list[Any]:
        return self.world.storage.messages.for_participant(self.coordinator.tenant_id, participant_id)

    def templates_to(self, participant_id: str) -> list[str]:
        return sorted(m.template for m in self._messages(participant_id) if m.template != "welcome")

    def status(self) -> str:
        return str(self.coordinator.get(self.pair_path).json_body["status"])

    def proposed(self) -> list[tuple[str, str]]:
        pairs = self.coordinator.get(f"{V1}/programmes/{self.programme_id}/pairs?status=proposed").json_body
        return [(p["mentee_id"], p["mentor_id"]) for p in pairs["items"]]

    def press(self, path: str, decision: str) -> Any:
        return self.world.client.http.post(path, headers=FORM, body=urlencode({"decision": decision}))


def test_the_match_request_carries_accept_and_decline_links_in_the_mentors_language(world: World) -> None:
    # GIVEN / WHEN a pair is approved in a Danish programme where mentors accept first
    request = Request(world)

    # THEN Mikkel's request offers both answers as links to this deployment, and no "tell the coordinator" line
    assert "Kan du påtage dig opgaven? Svar med ét klik" in request.body
    assert request.accept_path.startswith("/links/")
    assert request.decline_path.startswith("/links/")
    assert request.accept_path != request.decline_path
    assert "Giv venligst programkoordinatoren besked" not in request.body


def test_the_mentor_accepts_by_link_once_and_both_people_are_told(world: World) -> None:
    # GIVEN Mikkel's match request
    request = Request(world)

    # WHEN a mail scanner opens the accept link, then Mikkel presses its button, then presses it again
    opened = world.client.http.get(request.accept_path)
    status_after_opening = request.status()
    pressed = request.press(request.accept_path, "accept")
    again = request.press(request.accept_path, "accept")

    # THEN the Danish page changed nothing, the press started the pair once, and both people were told
    assert opened.status_code == 200
    assert "Vil du være mentor for Mette Sørensen?" in opened.body.decode()
    assert status_after_opening == "approved"
    assert pressed.status_code == 200
    assert "Tak! Du og Mette Sørensen" in pressed.body.decode()
    assert request.status() == "active"
    assert again.status_code == 409
    assert request.templates_to(request.mette) == ["match_approved_mentee"]
    assert request.templates_to(request.mikkel) == ["match_approved_mentor", "match_request_mentor"]


def test_the_mentor_declines_by_link_and_the_freed_mentee_is_offered_the_next_mentor(world: World) -> None:
    # GIVEN Mikkel's match request and Sofie, a second mentor
    request = Request(world)

    # WHEN Mikkel opens the decline link and presses its button
    opened = world.client.http.get(request.decline_path)
    pressed = request.press(request.decline_path, "decline")

    # THEN the pair is declined, Mette is proposed to Sofie at once, and the accept link no longer works
    assert "Vil du takke nej til at være mentor for Mette Sørensen?" in opened.body.decode()
    assert pressed.status_code == 200
    assert "Vi finder en anden mentor til Mette Sørensen" in pressed.body.decode()
    assert request.status() == "declined"
    assert request.proposed() == [(request.mette, request.sofie)]
    assert request.press(request.accept_path, "accept").status_code == 409
    assert request.status() == "declined"


def _token(world: World, handle: TenantHandle, programme_id: str, pair_id: str, mentor_id: str, action: str) -> str:
    return issue_link(
        keys=world.container.link_keys,
        clock=world.clock,
        tenant_id=handle.tenant_id,
        programme_id=programme_id,
        action=action,
        subject_id=pair_id,
        participant_id=mentor_id,
        language="da",
    )


def test_forged_expired_reused_other_tenant_and_other_mentor_links_are_refused_and_change_nothing(
    world: World,
) -> None:
    # GIVEN Mikkel's match request, another tenant, and a link naming the pair for Sofie instead of Mikkel
    request = Request(world)
    intruder = world.tenant()
    intruder_programme = intruder.programme()
    token = request.decline_path.removeprefix("/links/")
    payload, mac = token.split(".")
    other_tenant = _token(world, intruder, intruder_programme, request.pair_id, request.mikkel, "decline-pair")
    other_mentor = _token(
        world, request.coordinator, request.programme_id, request.pair_id, request.sofie, "accept-pair"
    )
    used_accept = _token(
        world, request.coordinator, request.programme_id, request.pair_id, request.mikkel, "accept-pair"
    )
    assert request.press(f"/links/{used_accept}", "wrong answer").status_code == 409

    # WHEN each is pressed, and the real decline link after the answer deadline
    forged = request.press(f"/links/{payload}.{mac[::-1]}", "decline")
    reused = request.press(f"/links/{used_accept}", "accept")
    from_other_tenant = request.press(f"/links/{other_tenant}", "decline")
    for_other_mentor = request.press(f"/links/{other_mentor}", "accept")
    world.clock.advance(timedelta(days=7, seconds=1))
    expired = request.press(request.decline_path, "decline")

    # THEN each is refused, the pair still waits for Mikkel, and nobody was told anything new
    assert forged.status_code == 403
    assert reused.status_code == 409
    assert from_other_tenant.status_code == 409
    assert for_other_mentor.status_code == 409
    assert expired.status_code == 410
    assert request.status() == "approved"
    assert request.proposed() == []
    assert request.templates_to(request.mette) == []
    assert request.templates_to(request.mikkel) == ["match_request_mentor"]


def test_without_link_keys_the_request_asks_the_mentor_to_answer_the_coordinator_and_approval_works(
    storage: Storage,
) -> None:
    # GIVEN a deployment with a public address but no link signing keys
    with world_with(storage, settings=Settings(public_base_url=BASE)) as world:
        coordinator = world.tenant()
        programme_id = coordinator.programme(
            languages=["da"], default_language="da", matching={"mentor_acceptance_days": 7}
        )
        mikkel = coordinator.enrol(programme_id, "mentor", "Mikkel Holm", "mikkel@example.dk")
        coordinator.enrol(programme_id, "mentee", "Mette Sørensen", "mette@example.dk")
        (proposal,) = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body["proposals"]

        # WHEN the coordinator approves the proposal
        approved = coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}/approve")

        # THEN the pair waits for Mikkel, whose request has no links and asks him to tell the coordinator
        assert approved.status_code == 200, approved.json_body
        (request,) = [
            m
            for m in world.storage.messages.for_participant(coordinator.tenant_id, mikkel)
            if m.template == "match_request_mentor"
        ]
        assert "/links/" not in request.body_text
        assert "Giv venligst programkoordinatoren besked" in request.body_text

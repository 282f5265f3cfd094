"""The coordinator's daily digest and its one-click review links, through the real job and routes.

A link approves once; a forged, expired, reused or other-tenant link changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.jobs import run_job
from chalicelib.services.links import issue_link
from chalicelib.settings import Settings
from chalicelib.storage.repositories import in_memory_storage
from tests.support.world import TEST_LINK_KEYS, V1, TenantHandle, World, world_with

BASE = "https://mentorflow.example.org"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MOJCA = {"name": "Mojca Kranjc", "email": "mojca@skupnost.example.si", "language": "sl"}


@pytest.fixture
def world() -> Iterator[World]:
    settings = Settings(link_keys=TEST_LINK_KEYS, public_base_url=BASE)
    with world_with(in_memory_storage(), settings=settings) as built:
        yield built


def _programme_with_two_proposals(coordinator: TenantHandle) -> tuple[str, list[dict[str, Any]]]:
    created = coordinator.post(
        f"{V1}/programmes",
        {"name": "Povezani 2026", "languages": ["sl"], "default_language": "sl", "coordinators": [MOJCA]},
    )
    programme_id = created.json_body["programme_id"]
    coordinator.enrol(programme_id, "mentor", "Maja Krajnc", "maja@example.si", languages=["sl"], capacity=2)
    coordinator.enrol(programme_id, "mentee", "Ana Novak", "ana@example.si", languages=["sl"])
    coordinator.enrol(programme_id, "mentee", "Luka Horvat", "luka@example.si", languages=["sl"])
    report = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body
    return programme_id, sorted(report["proposals"], key=lambda p: p["pair_id"])


def _digest(world: World) -> str:
    run_job("send-coordinator-digests", world.container)
    (digest,) = [m for m in world.storage.messages.all if m.template == "coordinator_digest"]  # type: ignore[attr-defined]
    assert digest.recipient == MOJCA["email"]
    return digest.body_text


def _status(coordinator: TenantHandle, programme_id: str, pair_id: str) -> str:
    return str(coordinator.get(f"{V1}/programmes/{programme_id}/pairs/{pair_id}").json_body["status"])


def _press(world: World, path: str, decision: str) -> Any:
    return world.client.http.post(path, headers=FORM, body=urlencode({"decision": decision}))


def test_the_digest_links_approve_a_proposal_once_and_both_people_are_told(world: World) -> None:
    # GIVEN two proposals waiting and the coordinator's Slovenian digest with a link per proposal
    coordinator = world.tenant()
    programme_id, proposals = _programme_with_two_proposals(coordinator)
    body = _digest(world)
    assert "Predlogi parov, ki čakajo na vaš pregled" in body
    approve_paths = [u.removeprefix(BASE) for u in re.findall(r"Potrdi: (\S+)", body)]
    assert len(approve_paths) == 2

    # WHEN a mail scanner opens the first link, then Mojca presses its button, then presses it again
    opened = world.client.http.get(approve_paths[0])
    pair_id = _pair_of_link(coordinator, programme_id, proposals, opened.body.decode())
    assert _status(coordinator, programme_id, pair_id) == "proposed"
    pressed = _press(world, approve_paths[0], "approve")
    again = _press(world, approve_paths[0], "approve")

    # THEN the page was in Slovenian and changed nothing; the press approved once and the mentee was told
    assert opened.status_code == 200
    assert "Potrdite par" in opened.body.decode()
    assert pressed.status_code == 200
    assert "Potrjeno" in pressed.body.decode()
    assert _status(coordinator, programme_id, pair_id) == "approved"
    assert again.status_code == 409
    told = [m.template for m in world.storage.messages.all if m.template.startswith("match_approved")]  # type: ignore[attr-defined]
    assert sorted(told) == ["match_approved_mentee", "match_approved_mentor"]


def _pair_of_link(coordinator: TenantHandle, programme_id: str, proposals: list[dict[str, Any]], page: str) -> str:
    names = {"Ana Novak", "Luka Horvat"}
    (shown,) = [name for name in names if name in page]
    for proposal in proposals:
        person = coordinator.get(f"{V1}/programmes/{programme_id}/participants/{proposal['mentee_id']}").json_body
        if person["profile"]["name"] == shown:
            return str(proposal["pair_id"])
    raise AssertionError("the page names no proposed mentee")


def test_forged_expired_and_other_tenant_links_are_refused_and_change_nothing(world: World) -> None:
    # GIVEN proposals in Mojca's programme, her digest's reject link, and another tenant
    coordinator = world.tenant()
    programme_id, proposals = _programme_with_two_proposals(coordinator)
    reject_path = re.findall(r"Zavrni: (\S+)", _digest(world))[0].removeprefix(BASE)
    intruder = world.tenant()
    intruder_programme = intruder.programme()

    # WHEN a tampered link, a link of the other tenant naming her pair, and her own link after expiry are pressed
    token = reject_path.removeprefix("/links/")
    payload, mac = token.split(".")
    forged = _press(world, f"/links/{payload}.{mac[::-1]}", "reject")
    other_tenant_token = issue_link(
        keys=world.container.link_keys,
        clock=world.clock,
        tenant_id=intruder.tenant_id,
        programme_id=intruder_programme,
        action="approve-pair",
        subject_id=proposals[0]["pair_id"],
        language="sl",
    )
    other_tenant = _press(world, f"/links/{other_tenant_token}", "approve")
    world.clock.advance(timedelta(days=4))
    expired = _press(world, reject_path, "reject")

    # THEN each is refused, and both proposals are still waiting
    assert forged.status_code == 403
    assert other_tenant.status_code == 409
    assert expired.status_code == 410
    assert [_status(coordinator, programme_id, p["pair_id"]) for p in proposals] == ["proposed", "proposed"]

"""Specification of the coordinator's daily digest: in their language, naming people, once a day."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.pair import PairStatus
from chalicelib.domain.programme import Coordinator, Programme
from chalicelib.services import digest, matching

from .scene import TENANT, Scene

MOJCA = Coordinator(name="Mojca Kranjc", email="mojca@skupnost.example.org", language="sl")


def _name_coordinator(scene: Scene) -> None:
    scene.programme.coordinators = [MOJCA]
    scene.programme = scene.storage.programmes.save(scene.programme)


def _links(programme: Programme, coordinator: Coordinator, action: str, pair_id: str) -> str:
    return f"https://mentorflow.example.org/links/{action}.{pair_id}"


def test_the_digest_tells_the_coordinator_in_her_language_about_signups_proposals_and_early_ends(
    scene: Scene,
) -> None:
    # GIVEN a Slovenian coordinator, two signups, a proposal waiting, and a pair ended early today
    _name_coordinator(scene)
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentor("Søren Ærø", "soren@example.dk")
    ana = scene.mentee("Ana Novak", "ana@example.si")
    scene.mentee("Marko Marković", "marko@example.rs")
    scene.run()
    ended = scene.approve(scene.open_pair_of(ana).pair_id)
    matching.end_pair(
        scene.storage, scene.notifier, scene.clock, TENANT, scene.programme_id, ended.pair_id,
        reason="moved away", completed=False,
    )
    waiting = [p for p in scene.pairs() if p.status is PairStatus.PROPOSED]
    assert waiting

    # WHEN the daily job runs twice
    first = digest.send_digests(scene.storage, scene.notifier, scene.clock, links=_links)
    again = digest.send_digests(scene.storage, scene.notifier, scene.clock, links=_links)

    # THEN Mojca gets one digest in Slovenian naming people, with links for each waiting proposal
    assert (first["queued"], again["queued"]) == (1, 0)
    (sent,) = [m for m in scene.storage.messages.all if m.template == "coordinator_digest"]  # type: ignore[attr-defined]
    assert sent.recipient == MOJCA.email
    assert sent.language == "sl"
    assert "Novi mentoriranci:\n- Ana Novak\n- Marko Marković" in sent.body_text
    assert "Ana Novak" in sent.body_text
    assert "Predčasno zaključeni pari" in sent.body_text
    assert "par_" not in sent.body_text
    for pair in waiting:
        assert f"Potrdi: https://mentorflow.example.org/links/approve-pair.{pair.pair_id}" in sent.body_text
        assert f"Zavrni: https://mentorflow.example.org/links/reject-pair.{pair.pair_id}" in sent.body_text



def test_a_quiet_day_sends_no_digest(scene: Scene) -> None:
    # GIVEN a coordinator and a signup two days ago, and nothing since
    _name_coordinator(scene)
    scene.mentee("Ana Novak", "ana@example.si")
    scene.clock.advance(timedelta(days=2))

    # WHEN the daily job runs
    counts = digest.send_digests(scene.storage, scene.notifier, scene.clock)

    # THEN nothing is queued
    assert counts == {"programmes": 1, "quiet": 1, "queued": 0}

"""Specification of consent by invitation: a synced new hire is asked through a signed link, and joins or declines."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.links import read_link
from chalicelib.domain.participant import ParticipantStatus, participant_id_for
from chalicelib.domain.sync import ConsentPolicy
from chalicelib.errors import ConfigurationError
from chalicelib.services.links import LinkContext
from chalicelib.sync.engine import run_sync
from chalicelib.sync.invitations import JOIN_PROGRAMME, Inviter, sweep_invitations
from tests.unit.matching_service.scene import NOW, TENANT, Scene

from .fakes import FakeOrganisation, connector, employee

KEYS = (b"invitation-key-2026",)
INVITER = Inviter(keys=lambda: KEYS, base_url=lambda: "https://mentorflow.example.org")


def _invite_milica(scene: Scene, inviter: Inviter | None = INVITER) -> Any:
    scene.storage.connectors.save(connector(TENANT, scene.programme_id, consent=ConsentPolicy.INVITATION))
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs", preferredLanguage="sr"))
    stored = scene.storage.connectors.get(TENANT, "con_hr")
    assert stored is not None
    return run_sync(
        storage=scene.storage,
        notifier=scene.notifier,
        clock=scene.clock,
        connector=stored,
        source=org,
        inviter=inviter,
    )


def _milica(scene: Scene) -> Any:
    participant_id = participant_id_for(TENANT, scene.programme_id, "milica@kcb.rs")
    return scene.storage.participants.get(TENANT, scene.programme_id, participant_id)


def _answer(scene: Scene, answer: str) -> str:
    (invitation,) = [
        m
        for m in scene.storage.messages.for_participant(TENANT, _milica(scene).participant_id)
        if m.template == "sync_invitation"
    ]
    match = re.search(r"/links/(\S+)", invitation.body_text)
    assert match is not None
    claims = read_link(match.group(1), KEYS, scene.clock.now())
    page = JOIN_PROGRAMME.perform(claims, {"answer": answer}, LinkContext(scene.storage, scene.notifier, scene.clock))
    return page.title


def test_a_new_hire_is_invited_in_their_language_and_not_yet_enrolled(scene: Scene) -> None:
    # GIVEN a programme whose synced people consent by invitation
    # WHEN a new hire is synced
    figures = _invite_milica(scene)

    # THEN she is invited, in Serbian, with a link; she holds no place and has given no consent
    milica = _milica(scene)
    assert figures.invited == 1
    assert figures.enrolled == 0
    assert milica.status is ParticipantStatus.APPLIED
    assert milica.profile.consent is None
    messages = scene.storage.messages.for_participant(TENANT, milica.participant_id)
    assert [(m.template, m.language) for m in messages] == [("sync_invitation", "sr")]
    assert "https://mentorflow.example.org/links/" in messages[0].body_text


def test_joining_through_the_link_enrols_her_with_her_consent_and_welcomes_her(scene: Scene) -> None:
    # GIVEN an invited new hire
    _invite_milica(scene)

    # WHEN she chooses to join
    title = _answer(scene, "join")

    # THEN she is accepted with her consent recorded and welcomed, and the page says so in Serbian
    milica = _milica(scene)
    assert milica.status is ParticipantStatus.ACCEPTED
    assert milica.profile.consent.given
    assert milica.profile.consent.text_version == "accepted the invitation"
    templates = [m.template for m in scene.storage.messages.for_participant(TENANT, milica.participant_id)]
    assert sorted(templates) == ["sync_invitation", "welcome"]
    assert title.startswith("Dobro došli")


def test_declining_keeps_nothing_about_her(scene: Scene) -> None:
    # GIVEN an invited new hire
    _invite_milica(scene)

    # WHEN she declines
    _answer(scene, "decline")

    # THEN her record is gone
    assert _milica(scene) is None


def test_without_invitations_the_run_stops_before_storing_anyone_and_keeps_its_cursor(scene: Scene) -> None:
    # GIVEN a deployment that cannot send invitations
    # WHEN an invitation scope syncs
    with pytest.raises(ConfigurationError):
        _invite_milica(scene, inviter=None)

    # THEN nobody was stored and the next run reads the same people again
    assert _milica(scene) is None
    stored = scene.storage.connectors.get(TENANT, "con_hr")
    assert stored is not None
    assert (stored.cursor, stored.page) == (None, None)


def _sweep(scene: Scene) -> dict[str, int]:
    return sweep_invitations(storage=scene.storage, notifier=scene.notifier, clock=scene.clock, inviter=INVITER)


def _sent(scene: Scene, participant_id: str) -> list[tuple[str, str]]:
    messages = scene.storage.messages.for_participant(TENANT, participant_id)
    return [(m.template, m.language) for m in messages]


def test_an_unanswered_invitation_is_reminded_once_at_fourteen_days_in_her_language(scene: Scene) -> None:
    # GIVEN a new hire invited today, who does not answer
    _invite_milica(scene)
    participant_id = _milica(scene).participant_id

    # WHEN the sweep runs on day 13, twice on day 14, and again on day 20
    scene.clock.advance(timedelta(days=13))
    early = _sweep(scene)
    scene.clock.advance(timedelta(days=1))
    first, second = _sweep(scene), _sweep(scene)
    scene.clock.advance(timedelta(days=6))
    later = _sweep(scene)

    # THEN exactly one reminder went, on day 14, in Serbian, with a link open until the invitation closes
    assert early["reminded"] == 0
    assert (first["reminded"], second["reminded"], later["reminded"]) == (1, 0, 0)
    assert sorted(_sent(scene, participant_id)) == [("sync_invitation", "sr"), ("sync_invitation_reminder", "sr")]
    (reminder,) = [
        m
        for m in scene.storage.messages.for_participant(TENANT, participant_id)
        if m.template == "sync_invitation_reminder"
    ]
    match = re.search(r"/links/(\S+)", reminder.body_text)
    assert match is not None
    claims = read_link(match.group(1), KEYS, scene.clock.now())
    assert claims.expires_at == NOW + timedelta(days=30)
    stored = scene.storage.connectors.get(TENANT, "con_hr")
    assert stored is not None
    assert stored.invitations_reminded == 1


def test_an_invitation_unanswered_for_thirty_days_closes_and_its_link_stops_working(scene: Scene) -> None:
    # GIVEN a new hire invited and reminded, who never answers
    _invite_milica(scene)
    participant_id = _milica(scene).participant_id
    scene.clock.advance(timedelta(days=14))
    _sweep(scene)
    link = _link_of(scene, participant_id, "sync_invitation_reminder")

    # WHEN the sweep runs on day 30, and again after
    scene.clock.advance(timedelta(days=16))
    closing = _sweep(scene)
    again = _sweep(scene)

    # THEN her record is gone, she is not enrolled, the connector counts the expiry, and her link opens nothing
    assert (closing["expired"], again["expired"]) == (1, 0)
    assert _milica(scene) is None
    assert scene.storage.sync_invitations.get(TENANT, scene.programme_id, participant_id) is None
    stored = scene.storage.connectors.get(TENANT, "con_hr")
    assert stored is not None
    assert stored.invitations_expired == 1
    claims = read_link(link, KEYS, scene.clock.now() - timedelta(seconds=1))
    context = LinkContext(scene.storage, scene.notifier, scene.clock)
    page = JOIN_PROGRAMME.perform(claims, {"answer": "join"}, context)
    assert page.title == "Ovaj poziv više nije otvoren."
    assert _milica(scene) is None


def test_an_answered_invitation_is_neither_reminded_nor_closed(scene: Scene) -> None:
    # GIVEN a new hire who joined on her first day
    _invite_milica(scene)
    _answer(scene, "join")
    participant_id = _milica(scene).participant_id

    # WHEN the sweep runs on days 14 and 30
    scene.clock.advance(timedelta(days=14))
    reminded = _sweep(scene)
    scene.clock.advance(timedelta(days=16))
    closed = _sweep(scene)

    # THEN she is still enrolled and was sent no reminder
    assert (reminded["reminded"], closed["expired"]) == (0, 0)
    assert _milica(scene).status is ParticipantStatus.ACCEPTED
    assert sorted(t for t, _ in _sent(scene, participant_id)) == ["sync_invitation", "welcome"]


def _link_of(scene: Scene, participant_id: str, template: str) -> str:
    (message,) = [m for m in scene.storage.messages.for_participant(TENANT, participant_id) if m.template == template]
    match = re.search(r"/links/(\S+)", message.body_text)
    assert match is not None
    return match.group(1)

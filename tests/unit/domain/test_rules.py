"""Domain rules: status transitions, e-mail normalisation, programme consistency, secrets and back-off."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.domain.common import normalise_email
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.participant import Participant, ParticipantStatus, Profile, Role, participant_id_for
from chalicelib.domain.programme import Programme
from chalicelib.domain.webhook import EndpointSecret, WebhookEndpoint
from chalicelib.errors import IllegalTransition
from chalicelib.services.inbox import backoff

NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def _participant(role: Role = Role.MENTEE) -> Participant:
    profile = Profile(role=role, email="ona@example.lt", name="Ona Čiurlionytė")
    return Participant(
        participant_id=participant_id_for("ten", "prg", profile.email),
        tenant_id="ten",
        programme_id="prg",
        profile=profile,
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_participant_moves_along_allowed_transitions_and_records_why() -> None:
    # GIVEN
    person = _participant()
    # WHEN
    person.move_to(ParticipantStatus.ACCEPTED, at=NOW, reason="signed up")
    person.move_to(ParticipantStatus.MATCHED, at=NOW + timedelta(days=3), reason="matched with a mentor")
    # THEN
    assert person.status is ParticipantStatus.MATCHED
    assert [(h.status, h.reason) for h in person.history] == [
        ("accepted", "signed up"),
        ("matched", "matched with a mentor"),
    ]


def test_an_illegal_participant_transition_is_an_error_and_changes_nothing() -> None:
    # GIVEN
    person = _participant()
    person.move_to(ParticipantStatus.WITHDRAWN, at=NOW, reason="left")
    # WHEN / THEN
    with pytest.raises(IllegalTransition):
        person.move_to(ParticipantStatus.MATCHED, at=NOW)
    assert person.status is ParticipantStatus.WITHDRAWN
    assert len(person.history) == 1


def test_a_completed_pair_cannot_be_reopened_and_leaves_the_reminder_sweep() -> None:
    # GIVEN
    pair = Pair(tenant_id="t", programme_id="p", mentor_id="a", mentee_id="b", created_at=NOW, updated_at=NOW)
    pair.next_due_at = NOW + timedelta(days=30)
    pair.move_to(PairStatus.APPROVED, at=NOW)
    pair.move_to(PairStatus.ACTIVE, at=NOW)
    # WHEN
    pair.move_to(PairStatus.COMPLETED, at=NOW, reason="cycle ended")
    # THEN
    assert pair.next_due_at is None
    assert pair.end_reason == "cycle ended"
    with pytest.raises(IllegalTransition):
        pair.move_to(PairStatus.ACTIVE, at=NOW)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Dragana.DJORDJEVIC@Example.RS ", "dragana.djordjevic@example.rs"),
        ("SOREN@ÆRØ.dk", "soren@ærø.dk"),
        ("ona@example.lt", "ona@example.lt"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(typed: str, stored: str) -> None:
    assert normalise_email(typed) == stored


@pytest.mark.parametrize(
    "bad", ["", "no-at-sign", "two@@example.org", "a b@example.org", "x@localhost", "@example.org"]
)
def test_things_that_are_not_emails_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="e-mail"):
        normalise_email(bad)


def test_one_person_has_one_participant_id_per_programme_whatever_the_case_of_their_email() -> None:
    # GIVEN
    first = Profile(role=Role.MENTEE, email="Ana@Example.RS", name="Ana")
    second = Profile(role=Role.MENTEE, email="ana@example.rs ", name="Ana")
    # THEN
    assert participant_id_for("t", "p", first.email) == participant_id_for("t", "p", second.email)
    assert participant_id_for("t", "p", first.email) != participant_id_for("t", "other", first.email)


def test_names_in_any_script_are_kept_as_written() -> None:
    for name in ("Dragana Đorđević", "Ona Čiurlionytė", "Søren Ærø", "Žiga Šuštar"):
        assert Profile(role=Role.MENTOR, email="x@example.org", name=name).name == name


def test_a_mentee_cannot_have_mentor_capacity() -> None:
    with pytest.raises(ValidationError, match="capacity"):
        Profile(role=Role.MENTEE, email="x@example.org", name="X", capacity=2)


def test_a_programme_default_language_must_be_one_of_its_languages() -> None:
    with pytest.raises(ValidationError, match="default_language"):
        Programme(tenant_id="t", name="P", languages=["da"], default_language="sr", created_at=NOW, updated_at=NOW)


def test_a_programme_cycle_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="cycle_end"):
        Programme(
            tenant_id="t",
            name="P",
            cycle_start=date(2027, 1, 1),
            cycle_end=date(2026, 1, 1),
            created_at=NOW,
            updated_at=NOW,
        )


def test_messages_for_the_coordinators_go_to_the_named_ones_else_to_the_old_single_address() -> None:
    # GIVEN a programme naming two coordinators beside an old address, and one with the old address alone
    fields = {"tenant_id": "t", "name": "P", "languages": ["sr", "da"], "default_language": "sr"}
    named = Programme(
        **fields,
        coordinator_email="stari@example.rs",
        coordinators=[{"name": "Mette Holm", "email": "mette@example.dk", "language": "da"}],
        created_at=NOW,
        updated_at=NOW,
    )
    old = Programme(**fields, coordinator_email="stari@example.rs", created_at=NOW, updated_at=NOW)

    # WHEN their coordinators' addresses are asked
    # THEN the named ones win, each in their language; else the old address in the programme's language
    assert named.coordinator_addresses() == [("mette@example.dk", "da")]
    assert old.coordinator_addresses() == [("stari@example.rs", "sr")]


def test_rotating_a_secret_keeps_the_old_one_valid_only_for_the_grace_period() -> None:
    # GIVEN
    endpoint = WebhookEndpoint(
        tenant_id="t",
        programme_id="p",
        source="tally",
        secrets=[EndpointSecret(value="old", created_at=NOW)],
        created_at=NOW,
        updated_at=NOW,
    )
    # WHEN
    endpoint.rotate("new", at=NOW, grace=timedelta(hours=24))
    endpoint.rotate("newest", at=NOW + timedelta(hours=1), grace=timedelta(hours=24))
    # THEN
    assert endpoint.valid_secrets(NOW + timedelta(hours=2)) == ["newest", "new", "old"]
    assert endpoint.valid_secrets(NOW + timedelta(hours=24, minutes=1)) == ["newest", "new"]
    assert endpoint.valid_secrets(NOW + timedelta(hours=26)) == ["newest"]


def test_retry_back_off_doubles_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert backoff(30) == timedelta(hours=6)

"""Specification of enrolment by a coordinator (the admin API): a signup's places and confirmation, create only."""

from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.message import Message
from chalicelib.domain.participant import Participant, ParticipantStatus, Profile, Role
from chalicelib.errors import Conflict
from chalicelib.notify.outbox import Notifier
from chalicelib.services import participants as participant_service
from chalicelib.storage.repositories import Storage
from tests.support.forms import PROGRAMME, TENANT, make_programme


def _enrol(
    storage: Storage, notifier: Notifier, clock: FixedClock, email: str, name: str, **more: object
) -> Participant:
    profile = Profile.model_validate({"role": Role.MENTEE, "email": email, "name": name, **more})
    return participant_service.enrol(
        storage, tenant_id=TENANT, programme_id=PROGRAMME, profile=profile, clock=clock, notifier=notifier
    )


def _messages(storage: Storage) -> list[Message]:
    return list(storage.messages.all)  # type: ignore[attr-defined]


def test_a_coordinator_enrolling_past_the_places_waitlists_the_mentee_and_tells_them_once(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN a programme with two mentee places, both taken by mentees a coordinator enrolled
    storage.programmes.save(make_programme(max_mentees=2))
    _enrol(storage, notifier, clock, "ana@example.rs", "Ana Marković")
    _enrol(storage, notifier, clock, "ona@example.lt", "Ona Čiurlionytė", language="lt")

    # WHEN the coordinator enrols a third mentee
    third = _enrol(storage, notifier, clock, "soren@example.dk", "Søren Ærø", language="da")

    # THEN the third is waitlisted, through applied
    assert third.status is ParticipantStatus.WAITLISTED
    assert [h.status for h in third.history] == ["applied", "waitlisted"]
    # AND each person has exactly one confirmation, in their language, the third one saying they wait
    confirmations = sorted((m.recipient, m.template, m.language) for m in _messages(storage))
    assert confirmations == [
        ("ana@example.rs", "welcome", "sr"),
        ("ona@example.lt", "welcome", "lt"),
        ("soren@example.dk", "waitlisted", "da"),
    ]


def test_a_coordinator_enrolling_the_same_email_again_is_a_conflict_that_writes_nothing(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN a mentee a coordinator enrolled
    storage.programmes.save(make_programme())
    first = _enrol(storage, notifier, clock, "ana@example.rs", "Ana Marković")

    # WHEN the same e-mail, written differently, is enrolled again
    with pytest.raises(Conflict):
        _enrol(storage, notifier, clock, "  ANA@example.rs", "Ana M.")

    # THEN the record and its one confirmation are as they were
    stored = storage.participants.get(TENANT, PROGRAMME, first.participant_id)
    assert stored == first
    assert len(_messages(storage)) == 1


def test_a_coordinator_enrols_without_a_recorded_consent_and_the_person_is_accepted(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN a programme without a limit on places
    storage.programmes.save(make_programme())

    # WHEN a coordinator enrols a mentee whose profile records no consent
    person = _enrol(storage, notifier, clock, "ana@example.rs", "Ana Marković")

    # THEN the coordinator's word stands: the mentee is accepted and welcomed
    assert person.status is ParticipantStatus.ACCEPTED
    assert [m.template for m in _messages(storage)] == ["welcome"]

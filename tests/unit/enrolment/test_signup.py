"""Specification of enrolment by signup: one record per programme and e-mail, newest answers win, consent, places."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.message import Message
from chalicelib.domain.participant import Consent, Participant, ParticipantStatus, Profile, Role, participant_id_for
from chalicelib.errors import VersionConflict
from chalicelib.notify.outbox import Notifier
from chalicelib.services.enrolment import EnrolmentOutcome, onboard, places_taken
from chalicelib.storage.participants import InMemoryParticipants
from chalicelib.storage.repositories import Storage
from tests.support.forms import NOW, PROGRAMME, TENANT, make_programme


def _profile(
    *,
    email: str = "djordje@example.rs",
    name: str = "Đorđe Đorđević",
    role: Role = Role.MENTEE,
    language: str | None = "sr",
    consent: bool | None = True,
    at: object = NOW,
    **more: object,
) -> Profile:
    return Profile.model_validate(
        {
            "role": role,
            "email": email,
            "name": name,
            "language": language,
            "consent": None if consent is None else {"given": consent, "at": at},
            **more,
        }
    )


def _onboard(storage: Storage, notifier: Notifier, clock: FixedClock, profile: Profile, at: object = None):  # type: ignore[no-untyped-def]
    return onboard(
        storage=storage,
        notifier=notifier,
        clock=clock,
        tenant_id=TENANT,
        programme_id=PROGRAMME,
        profile=profile,
        submitted_at=at or (profile.consent.at if profile.consent and profile.consent.at else NOW),  # type: ignore[arg-type]
    )


def _messages(storage: Storage) -> list[Message]:
    return list(storage.messages.all)  # type: ignore[attr-defined]


def _participants(storage: Storage) -> list[Participant]:
    return storage.participants.list(TENANT, PROGRAMME).items


@pytest.fixture(autouse=True)
def programme(storage: Storage) -> None:
    storage.programmes.save(make_programme())


def test_a_new_signup_is_accepted_and_welcomed_in_the_persons_language(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN a consenting Serbian mentee
    profile = _profile()

    # WHEN onboarded
    result = _onboard(storage, notifier, clock, profile)

    # THEN one accepted participant exists, keyed by programme and e-mail, through applied
    participant_id = participant_id_for(TENANT, PROGRAMME, "djordje@example.rs")
    stored = storage.participants.get(TENANT, PROGRAMME, participant_id)
    assert result.outcome is EnrolmentOutcome.CREATED
    assert stored is not None
    assert stored.status is ParticipantStatus.ACCEPTED
    assert [h.status for h in stored.history] == ["applied", "accepted"]
    assert stored.profile == profile
    assert stored.profile_submitted_at == NOW
    # AND a welcome in Serbian is queued with the participant's idempotency key
    [message] = _messages(storage)
    assert result.message_id == message.message_id
    assert (message.template, message.language, message.recipient) == ("welcome", "sr", "djordje@example.rs")
    assert message.idempotency_key == f"welcome:{participant_id}"
    assert "Đorđe Đorđević" in message.body_text


def test_the_same_signup_five_times_is_one_participant_and_one_message(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # WHEN one signup is onboarded five times
    results = [_onboard(storage, notifier, clock, _profile()) for _ in range(5)]

    # THEN
    assert [r.outcome for r in results] == [EnrolmentOutcome.CREATED] + [EnrolmentOutcome.UNCHANGED] * 4
    assert len(_participants(storage)) == 1
    assert len(_messages(storage)) == 1


def test_the_same_signup_onboarded_concurrently_is_one_participant_and_one_message(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN eight workers holding the same signup
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            _onboard(storage, notifier, clock, _profile())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    # WHEN they onboard it at once
    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN
    assert errors == []
    assert len(_participants(storage)) == 1
    assert len(_messages(storage)) == 1


def test_a_newer_submission_updates_the_profile_without_a_second_welcome(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN an onboarded mentee
    _onboard(storage, notifier, clock, _profile(company="Prvi posao"))

    # WHEN they submit again an hour later with the e-mail typed differently
    later = NOW + timedelta(hours=1)
    clock.set(later)
    result = _onboard(storage, notifier, clock, _profile(email="  Djordje@EXAMPLE.rs", company="Drugi posao", at=later))

    # THEN the same record holds the new answers
    [stored] = _participants(storage)
    assert result.outcome is EnrolmentOutcome.UPDATED
    assert (stored.profile.company, stored.profile_submitted_at) == ("Drugi posao", later)
    assert stored.status is ParticipantStatus.ACCEPTED
    assert len(_messages(storage)) == 1


def test_an_older_submission_arriving_late_never_overwrites_newer_answers(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN the newer of two submissions arrived first
    newer, older = NOW, NOW - timedelta(minutes=10)
    _onboard(storage, notifier, clock, _profile(company="Novo", at=newer))

    # WHEN the older one arrives
    result = _onboard(storage, notifier, clock, _profile(company="Staro", at=older))

    # THEN the newer answers stay
    [stored] = _participants(storage)
    assert result.outcome is EnrolmentOutcome.STALE
    assert (stored.profile.company, stored.profile_submitted_at) == ("Novo", newer)
    assert len(_messages(storage)) == 1


def test_on_a_tie_the_stored_answers_are_kept(storage: Storage, notifier: Notifier, clock: FixedClock) -> None:
    # GIVEN a stored submission
    _onboard(storage, notifier, clock, _profile(company="Prvi"))

    # WHEN a different submission with the same time arrives
    result = _onboard(storage, notifier, clock, _profile(company="Drugi"))

    # THEN the first stays
    assert result.outcome is EnrolmentOutcome.STALE
    assert _participants(storage)[0].profile.company == "Prvi"


def test_an_identical_redelivery_queues_a_welcome_lost_by_a_crash(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN the participant was saved but the process died before the welcome was queued
    _onboard(storage, notifier, clock, _profile())
    for message in _messages(storage):
        storage.messages.items.pop((message.tenant_id, message.message_id))  # type: ignore[attr-defined]

    # WHEN the delivery is processed again
    result = _onboard(storage, notifier, clock, _profile())

    # THEN the welcome is queued now
    assert result.outcome is EnrolmentOutcome.UNCHANGED
    assert [m.template for m in _messages(storage)] == ["welcome"]


@pytest.mark.parametrize("consent", [None, False])
def test_without_consent_nobody_is_stored_or_written_to(
    storage: Storage, notifier: Notifier, clock: FixedClock, consent: bool | None
) -> None:
    result = _onboard(storage, notifier, clock, _profile(consent=consent))
    assert result.outcome is EnrolmentOutcome.NO_CONSENT
    assert _participants(storage) == []
    assert _messages(storage) == []


def _enrol(storage: Storage, email: str, status: ParticipantStatus, role: Role = Role.MENTEE) -> None:
    participant = Participant(
        participant_id=participant_id_for(TENANT, PROGRAMME, email),
        tenant_id=TENANT,
        programme_id=PROGRAMME,
        profile=_profile(email=email, role=role, name="Ana Anić"),
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )
    storage.participants.save(participant)


def test_a_new_mentee_is_waitlisted_once_the_places_are_taken(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN two places, one accepted and one active mentee, and people who hold no place
    storage.programmes.save(make_programme(max_mentees=2).model_copy(update={"version": 1}))
    _enrol(storage, "a@example.org", ParticipantStatus.ACCEPTED)
    _enrol(storage, "b@example.org", ParticipantStatus.ACTIVE)
    _enrol(storage, "c@example.org", ParticipantStatus.WAITLISTED)
    _enrol(storage, "d@example.org", ParticipantStatus.WITHDRAWN)
    _enrol(storage, "e@example.org", ParticipantStatus.COMPLETED)
    _enrol(storage, "m@example.org", ParticipantStatus.MATCHED, role=Role.MENTOR)

    # WHEN a mentee and a mentor sign up
    mentee = _onboard(storage, notifier, clock, _profile(email="new@example.org", language="lt"))
    mentor = _onboard(storage, notifier, clock, _profile(email="mentor@example.org", role=Role.MENTOR))

    # THEN the mentee is waitlisted and told so in their language; the mentor is accepted
    assert mentee.participant is not None
    assert mentor.participant is not None
    assert mentee.participant.status is ParticipantStatus.WAITLISTED
    assert mentor.participant.status is ParticipantStatus.ACCEPTED
    by_recipient = {m.recipient: m for m in _messages(storage)}
    assert (by_recipient["new@example.org"].template, by_recipient["new@example.org"].language) == ("waitlisted", "lt")
    assert by_recipient["new@example.org"].idempotency_key == f"waitlisted:{mentee.participant.participant_id}"
    assert by_recipient["mentor@example.org"].template == "welcome"
    assert places_taken(storage, make_programme(max_mentees=2)) == 2


def test_a_mentee_is_accepted_while_a_place_is_free(storage: Storage, notifier: Notifier, clock: FixedClock) -> None:
    storage.programmes.save(make_programme(max_mentees=2).model_copy(update={"version": 1}))
    _enrol(storage, "a@example.org", ParticipantStatus.MATCHED)
    result = _onboard(storage, notifier, clock, _profile())
    assert result.participant is not None
    assert result.participant.status is ParticipantStatus.ACCEPTED


def test_a_person_who_withdrew_and_signs_up_again_is_accepted_and_welcomed_again(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN a mentee who was welcomed and then withdrew
    first = _onboard(storage, notifier, clock, _profile())
    assert first.participant is not None
    withdrawn = storage.participants.get(TENANT, PROGRAMME, first.participant.participant_id)
    assert withdrawn is not None
    withdrawn.move_to(ParticipantStatus.WITHDRAWN, at=NOW + timedelta(days=1), reason="moved abroad")
    storage.participants.save(withdrawn)

    # WHEN they sign up again a month later
    later = NOW + timedelta(days=30)
    clock.set(later)
    again = _onboard(storage, notifier, clock, _profile(at=later, company="Novi posao"))

    # THEN they go through applied to accepted and get a second welcome
    assert again.outcome is EnrolmentOutcome.REAPPLIED
    assert again.participant is not None
    assert [h.status for h in again.participant.history] == ["applied", "accepted", "withdrawn", "applied", "accepted"]
    keys = sorted(m.idempotency_key for m in _messages(storage))
    pid = first.participant.participant_id
    assert keys == [f"welcome:{pid}", f"welcome:{pid}:2"]


def test_a_record_someone_else_saved_meanwhile_is_read_again_and_the_signup_reapplied(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN a coordinator who enrols the same person just before onboarding saves
    class RacingParticipants(InMemoryParticipants):
        raced = False

        def save(self, participant: Participant) -> Participant:
            if not self.raced:
                self.raced = True
                rival = participant.model_copy(
                    update={
                        "profile": _profile(company="Od koordinatora"),
                        "profile_submitted_at": NOW - timedelta(days=1),
                    }
                )
                super().save(rival)
            return super().save(participant)

    storage.participants = RacingParticipants()

    # WHEN the signup is onboarded
    result = _onboard(storage, notifier, clock, _profile(company="Iz forme"))

    # THEN the newer signup is applied on top of the rival record
    assert result.outcome is EnrolmentOutcome.UPDATED
    [stored] = _participants(storage)
    assert stored.profile.company == "Iz forme"
    assert stored.version == 2


def test_a_record_that_keeps_changing_gives_up_with_a_conflict_to_retry_later(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    class AlwaysConflicting(InMemoryParticipants):
        def save(self, participant: Participant) -> Participant:
            raise VersionConflict("someone else was faster")

    storage.participants = AlwaysConflicting()
    with pytest.raises(VersionConflict):
        _onboard(storage, notifier, clock, _profile())
    assert _messages(storage) == []


def test_a_programme_that_no_longer_exists_stores_nothing(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    result = onboard(
        storage=storage,
        notifier=notifier,
        clock=clock,
        tenant_id=TENANT,
        programme_id="prg_gone",
        profile=_profile(),
        submitted_at=NOW,
    )
    assert result.outcome is EnrolmentOutcome.NO_PROGRAMME
    assert _messages(storage) == []


@pytest.mark.parametrize(
    ("name", "language", "greeting"),
    [
        ("Ђорђе Ђорђевић", "sr", "Ђорђе Ђорђевић"),
        ("Eglė Čiurlionytė", "lt", "Eglė Čiurlionytė"),
        ("Søren Ærø", "da", "Søren Ærø"),
        ("Špela Žagar", "sl", "Špela Žagar"),
        ("Ann O'Neil", "en", "Ann O'Neil"),
    ],
)
def test_names_in_any_script_reach_the_welcome_unchanged(
    storage: Storage, notifier: Notifier, clock: FixedClock, name: str, language: str, greeting: str
) -> None:
    result = _onboard(storage, notifier, clock, _profile(name=name, language=language))
    assert result.participant is not None
    assert result.participant.profile.name == name
    [message] = _messages(storage)
    assert message.language == language
    assert greeting in message.body_text


def test_consent_is_stored_with_its_time(storage: Storage, notifier: Notifier, clock: FixedClock) -> None:
    result = _onboard(storage, notifier, clock, _profile())
    assert result.participant is not None
    assert result.participant.profile.consent == Consent(given=True, at=NOW)


def test_mentees_accepted_while_the_programme_had_no_limit_count_once_a_limit_is_set_again(
    storage: Storage, notifier: Notifier, clock: FixedClock
) -> None:
    # GIVEN a programme of two places that one mentee joined, then lost its limit and took two more
    stored = storage.programmes.save(make_programme(max_mentees=2).model_copy(update={"version": 1}))
    _onboard(storage, notifier, clock, _profile(email="first@example.org"))
    stored = storage.programmes.save(stored.model_copy(update={"max_mentees": None}))
    _onboard(storage, notifier, clock, _profile(email="second@example.org"))
    _onboard(storage, notifier, clock, _profile(email="third@example.org"))

    # WHEN the limit is set to three and one more mentee signs up
    storage.programmes.save(stored.model_copy(update={"max_mentees": 3}))
    late = _onboard(storage, notifier, clock, _profile(email="late@example.org"))

    # THEN the three who hold a place keep it and the newcomer waits, however few slots existed
    assert late.participant is not None
    assert late.participant.status is ParticipantStatus.WAITLISTED
    holders = {s.holder_id for s in storage.places.slots(TENANT, PROGRAMME)}
    accepted = {p.participant_id for p in _participants(storage) if p.status is ParticipantStatus.ACCEPTED}
    assert holders == accepted
    assert len(accepted) == 3

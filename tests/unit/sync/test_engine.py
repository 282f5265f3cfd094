"""Specification of a sync run: who enters, what is written, what a change or a leaver does, and resuming."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.pair import PairStatus
from chalicelib.domain.participant import ParticipantStatus, Role, participant_id_for
from chalicelib.domain.sync import (
    ConsentPolicy,
    CredentialRef,
    SecretStore,
    SyncConnector,
    SyncFigures,
    reporting_chain,
)
from chalicelib.notify.outbox import Notifier
from chalicelib.services import programmes as programme_service
from chalicelib.storage.repositories import Storage, in_memory_storage
from chalicelib.sync import service as sync_service
from chalicelib.sync.engine import run_sync
from chalicelib.sync.invitations import Inviter
from tests.unit.matching_service.scene import NOW, TENANT, Scene

from .fakes import FakeOrganisation, Interrupted, connector, employee

INVITER = Inviter(keys=lambda: (b"invitation-key-2026",), base_url=lambda: "https://mentorflow.example.org")


def _sync(scene: Scene, org: FakeOrganisation, **kwargs: Any) -> SyncFigures:
    stored = scene.storage.connectors.get(TENANT, "con_hr")
    assert stored is not None
    return run_sync(
        storage=scene.storage, notifier=scene.notifier, clock=scene.clock, connector=stored, source=org, **kwargs
    )


def _connect(scene: Scene, **scope: Any) -> SyncConnector:
    return scene.storage.connectors.save(connector(TENANT, scene.programme_id, **scope))


def _participant(scene: Scene, email: str) -> Any:
    return scene.storage.participants.get(
        TENANT, scene.programme_id, participant_id_for(TENANT, scene.programme_id, email)
    )


def test_a_new_hire_in_scope_is_enrolled_by_agreement_and_welcomed_in_their_language(scene: Scene) -> None:
    # GIVEN an onboarding rule (started in the last 30 days, in Umetnost) and a recent hire there
    _connect(scene, departments=["Umetnost"], started_within_days=30)
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs", hireDate="2026-08-20"))

    # WHEN the connector syncs
    figures = _sync(scene, org)

    # THEN she is an accepted mentee with the mapped fields, consent by agreement, and a welcome in Serbian
    milica = _participant(scene, "milica@kcb.rs")
    assert figures.enrolled == 1
    assert milica.status is ParticipantStatus.ACCEPTED
    assert milica.profile.name == "Milica Đorđević"
    assert (milica.profile.department, milica.profile.company) == ("Umetnost", "Kulturni centar")
    assert milica.profile.consent.given
    assert milica.profile.consent.text_version == "organisational agreement"
    welcome = scene.storage.messages.for_participant(TENANT, milica.participant_id)
    assert [(m.template, m.language) for m in welcome] == [("welcome", "sr")]


def test_people_outside_every_scope_are_dropped_with_nothing_stored(scene: Scene) -> None:
    # GIVEN an onboarding rule, a long-serving employee and a new hire of another department
    _connect(scene, departments=["Umetnost"], started_within_days=30)
    org = FakeOrganisation()
    org.add(
        employee(1, "Petar Petrović", "petar@kcb.rs", hireDate="2019-01-07"),
        employee(2, "Ana Novak", "ana@kcb.rs", department="Finansije"),
    )

    # WHEN the connector syncs
    figures = _sync(scene, org)

    # THEN neither is a participant, and no fingerprint of them is kept
    assert figures.out_of_scope == 2
    assert scene.storage.participants.list(TENANT, scene.programme_id).items == []
    assert scene.storage.synced_people.list(TENANT, "con_hr") == []


def test_an_unchanged_person_costs_no_write_on_the_next_run(scene: Scene) -> None:
    # GIVEN a synced organisation
    _connect(scene)
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs"), employee(2, "Jonas Jonaitis", "jonas@kcb.rs"))
    _sync(scene, org)
    before = _participant(scene, "milica@kcb.rs")

    # WHEN it syncs again with nothing changed
    figures = _sync(scene, org)

    # THEN both are unchanged and Milica's record is the same version
    assert figures.unchanged == 2
    assert (figures.enrolled, figures.updated) == (0, 0)
    assert _participant(scene, "milica@kcb.rs").version == before.version


def test_a_new_department_and_manager_update_the_participant_and_so_the_matching_rules(scene: Scene) -> None:
    # GIVEN a synced employee
    _connect(scene)
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs"))
    _sync(scene, org)

    # WHEN she moves to another department under a new manager
    org.update(1, department="Muzika", supervisorEmail="Jelena@KCB.rs")
    figures = _sync(scene, org)

    # THEN her profile follows, the manager's e-mail normalised
    milica = _participant(scene, "milica@kcb.rs")
    assert figures.updated == 1
    assert (milica.profile.department, milica.profile.manager_email) == ("Muzika", "jelena@kcb.rs")


def test_a_mentor_who_leaves_is_withdrawn_and_the_mentee_told_and_rematched(scene: Scene) -> None:
    # GIVEN mentors from the HR system, an approved pair with a mentee who signed up, and another mentor
    scene.programme = programme_service.update_programme(
        scene.storage,
        tenant_id=TENANT,
        programme_id=scene.programme_id,
        changes={"coordinator_email": "koordinator@kcb.rs"},
        expected_version=None,
        clock=scene.clock,
    )
    _connect(scene, role=Role.MENTOR)
    org = FakeOrganisation()
    org.add(employee(1, "Jelena Đorđević", "jelena@kcb.rs"), employee(2, "Søren Ærø", "soren@kcb.rs"))
    _sync(scene, org)
    ana = scene.mentee("Ana Novak", "ana@example.si", language="sl", languages=["sr"])
    scene.run()
    pair = scene.approve(scene.open_pair_of(ana).pair_id)
    leaver = pair.mentor_id

    # WHEN the mentor's termination reaches the HR system and the next sync
    left = "jelena@kcb.rs" if leaver == _participant(scene, "jelena@kcb.rs").participant_id else "soren@kcb.rs"
    number = 1 if left == "jelena@kcb.rs" else 2
    org.update(number, terminationDate="2026-08-31", status="Inactive")
    figures = _sync(scene, org)

    # THEN the mentor is withdrawn, the pair ended early, Ana told in Slovenian and proposed the other mentor
    assert figures.withdrawn == 1
    assert _participant(scene, left).status is ParticipantStatus.WITHDRAWN
    assert scene.pair(pair.pair_id).status is PairStatus.ENDED_EARLY
    assert [m.language for m in scene.messages_to(ana) if m.template == "pair_ended"] == ["sl"]
    assert scene.open_pair_of(ana).mentor_id != leaver
    # and the coordinator is told in the programme's language
    told = [m for m in scene.storage.messages.all if m.template == "sync_participant_left"]  # type: ignore[attr-defined]
    assert [(m.recipient, m.language) for m in told] == [("koordinator@kcb.rs", "sr")]
    assert "Njen mentorski par je završen" in told[0].body_text


def test_a_leaver_is_told_to_each_named_coordinator_in_their_language(scene: Scene) -> None:
    # GIVEN a programme run by a Serbian and a Slovenian coordinator, and a mentee enrolled by the HR sync
    scene.programme = programme_service.update_programme(
        scene.storage,
        tenant_id=TENANT,
        programme_id=scene.programme_id,
        changes={
            "coordinator_email": "stari@kcb.rs",
            "coordinators": [
                {"name": "Vesna Ilić", "email": "vesna@kcb.rs", "language": "sr"},
                {"name": "Mojca Kranjc", "email": "mojca@kcb.si", "language": "sl"},
            ],
        },
        expected_version=None,
        clock=scene.clock,
    )
    _connect(scene, departments=["Umetnost"], started_within_days=30)
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs", hireDate="2026-08-20"))
    _sync(scene, org)

    # WHEN her termination reaches the next sync, which then runs again
    org.update(1, terminationDate="2026-08-31", status="Inactive")
    _sync(scene, org)
    _sync(scene, org)

    # THEN each named coordinator is told once, in their language, and the old address is not
    told = [m for m in scene.storage.messages.all if m.template == "sync_participant_left"]  # type: ignore[attr-defined]
    assert sorted((m.recipient, m.language) for m in told) == [("mojca@kcb.si", "sl"), ("vesna@kcb.rs", "sr")]


def test_a_termination_of_someone_who_signed_up_by_form_is_found_by_e_mail(scene: Scene) -> None:
    # GIVEN a mentee who joined through the signup form, whom the HR sync has never seen
    _connect(scene, departments=["Nobody"])
    ana = scene.mentee("Ana Novak", "ana@kcb.rs")
    org = FakeOrganisation()
    org.add(employee(7, "Ana Novak", "ana@kcb.rs", terminationDate="2026-08-15"))

    # WHEN the sync reads her termination
    _sync(scene, org)

    # THEN she is withdrawn
    assert scene.person(ana).status is ParticipantStatus.WITHDRAWN


def test_bad_records_are_counted_and_skipped_without_stopping_the_run(scene: Scene) -> None:
    # GIVEN a page repeating a record, an employee without e-mail, two sharing one, and one managing herself
    _connect(scene)
    org = FakeOrganisation(page_size=10)
    org.add(
        employee(1, "Milica Đorđević", "milica@kcb.rs", supervisorEmail="milica@kcb.rs"),
        employee(2, "Bez Adrese", None),
        employee(3, "Jonas Jonaitis", "shared@kcb.rs"),
        employee(4, "Jonas Dvojnik", "shared@kcb.rs"),
    )
    page = org.pull(since=None, page=None)
    org.pulls.clear()
    repeated = FakeOrganisation(page_size=10)
    repeated.add(*page.records, page.records[0])

    # WHEN it syncs
    figures = _sync(scene, repeated)

    # THEN the repeat is read once, the others are skipped by reason, and a self-manager is dropped
    assert figures.read == 4
    assert figures.skipped == {"no work e-mail": 1, "e-mail shared with another employee": 1}
    assert figures.enrolled == 2
    assert _participant(scene, "milica@kcb.rs").profile.manager_email is None


def test_a_cursor_the_vendor_no_longer_accepts_starts_a_full_sync(scene: Scene) -> None:
    # GIVEN a synced organisation whose vendor forgot the stored cursor
    _connect(scene)
    org = FakeOrganisation(changed=set())
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs"))
    _sync(scene, org)
    org.reject_cursor = True
    org.add(employee(2, "Jonas Jonaitis", "jonas@kcb.rs"))

    # WHEN it syncs again
    figures = _sync(scene, org)

    # THEN the run starts over from nothing and still enrols the newcomer
    assert figures.full
    assert figures.enrolled == 1
    assert org.pulls[-1] == (None, None)


def _table(storage: Storage) -> dict[str, Any]:
    participants = storage.participants.list(TENANT, storage.programmes.list(TENANT)[0].programme_id, limit=1000)
    return {
        "participants": sorted(p.model_dump_json(exclude={"version"}) for p in participants.items),
        "people": sorted(p.model_dump_json(exclude={"version"}) for p in storage.synced_people.list(TENANT, "con_hr")),
        "messages": sorted(m.model_dump_json(exclude={"version"}) for m in storage.messages.all),  # type: ignore[attr-defined]
        "cursor": [c.cursor for c in storage.connectors.list(TENANT)],
    }


@pytest.fixture
def organisation() -> FakeOrganisation:
    org = FakeOrganisation(page_size=2)
    org.add(*(employee(n, f"Zaposleni Broj{n}", f"zaposleni{n}@kcb.rs") for n in range(1, 10)))
    return org


def test_a_sync_killed_halfway_and_restarted_ends_with_the_same_table(
    scene: Scene, organisation: FakeOrganisation
) -> None:
    # GIVEN the same organisation synced twice: once straight through, once stopped after two pages
    storage = in_memory_storage()
    storage.programmes.save(scene.programme.model_copy(update={"version": 0}))
    straight = Scene(storage, FixedClock(NOW), Notifier(storage.messages, scene.clock), scene.programme)
    _connect(straight)
    _sync(straight, organisation)
    _connect(scene)
    interrupted = FakeOrganisation(employees=organisation.employees, page_size=2, stop_after_pages=2)

    # WHEN the stopped run is restarted
    with pytest.raises(Interrupted):
        _sync(scene, interrupted)
    position = scene.storage.connectors.get(TENANT, "con_hr")
    interrupted.stop_after_pages = None
    figures = _sync(scene, interrupted)

    # THEN it resumed at the third page, and the table is the one the uninterrupted run left
    assert position is not None
    assert position.page == "4"
    assert interrupted.pulls[-figures.pages] == (None, "4")
    assert _table(scene.storage) == _table(straight.storage)


def test_a_changed_work_e_mail_follows_the_same_participant_with_her_pair_and_consent(scene: Scene) -> None:
    # GIVEN a synced mentor in an approved pair
    _connect(scene, role=Role.MENTOR)
    org = FakeOrganisation()
    org.add(employee(1, "Jelena Đorđević", "jelena@kcb.rs"))
    _sync(scene, org)
    jelena = _participant(scene, "jelena@kcb.rs")
    ana = scene.mentee("Ana Novak", "ana@example.si", languages=["sr"])
    scene.run()
    pair = scene.approve(scene.open_pair_of(ana).pair_id)

    # WHEN the HR system gives her a new work e-mail
    org.update(1, workEmail="Jelena.Djordjevic@kcb.rs")
    figures = _sync(scene, org)

    # THEN the same participant carries the new address; nobody new is enrolled, her pair and consent stay
    moved = scene.storage.participants.get(TENANT, scene.programme_id, jelena.participant_id)
    assert (figures.enrolled, figures.updated) == (0, 1)
    assert moved.profile.email == "jelena.djordjevic@kcb.rs"
    assert moved.profile.consent == jelena.profile.consent
    assert scene.pair(pair.pair_id).status is PairStatus.APPROVED
    assert _participant(scene, "jelena.djordjevic@kcb.rs") is None
    assert [p.participant_id for p in scene.storage.participants.by_email(TENANT, "jelena.djordjevic@kcb.rs")] == [
        jelena.participant_id
    ]


def test_a_changed_e_mail_already_held_by_another_participant_is_not_merged(scene: Scene) -> None:
    # GIVEN a synced employee, and someone else who signed up with the address she is about to get
    _connect(scene)
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs"))
    _sync(scene, org)
    scene.mentee("Milica Druga", "milica.d@kcb.rs")

    # WHEN the HR system gives her that address
    org.update(1, workEmail="milica.d@kcb.rs")
    figures = _sync(scene, org)

    # THEN her record keeps its address and the run says why
    assert _participant(scene, "milica@kcb.rs").profile.email == "milica@kcb.rs"
    assert figures.skipped == {"new e-mail already used by another participant": 1}


def test_a_new_mapping_resyncs_everyone_and_still_knows_who_is_whom(scene: Scene) -> None:
    # GIVEN a synced employee
    stored = _connect(scene)
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs"))
    _sync(scene, org)
    milica = _participant(scene, "milica@kcb.rs")

    # WHEN the coordinator changes the mapping, and her e-mail changes before the full sync that follows
    settings = sync_service.ConnectorSettings(
        vendor=stored.vendor,
        credentials=CredentialRef(store=SecretStore.SSM, name="/mentorflow/local/hr/bamboohr"),
        settings=stored.settings,
        mapping=stored.mapping.model_copy(update={"inactive_statuses": ["inactive", "terminated", "left"]}),
        scopes=stored.scopes,
    )
    sync_service.configure(
        scene.storage,
        tenant_id=TENANT,
        connector_id=stored.connector_id,
        settings=settings,
        clock=scene.clock,
        stage="local",
    )
    org.update(1, workEmail="milica.nova@kcb.rs")
    figures = _sync(scene, org)

    # THEN the full sync updates the same participant rather than enrolling her again
    assert (figures.full, figures.enrolled) == (True, 0)
    assert scene.storage.participants.get(TENANT, scene.programme_id, milica.participant_id).profile.email == (
        "milica.nova@kcb.rs"
    )


def test_a_second_employee_reporting_an_address_already_synced_in_an_earlier_run_is_skipped(scene: Scene) -> None:
    # GIVEN an employee synced yesterday
    _connect(scene)
    org = FakeOrganisation(changed=set())
    org.add(employee(1, "Jonas Jonaitis", "jonas@kcb.rs", department="Umetnost"))
    _sync(scene, org)
    jonas = _participant(scene, "jonas@kcb.rs")

    # WHEN today's delta brings another employee id with the same address, in another department, and then gone
    org.changed = set()
    org.add(employee(2, "Jonas Dvojnik", "jonas@kcb.rs", department="Finansije"))
    shared = _sync(scene, org)
    org.update(2, terminationDate="2026-08-31", status="Inactive")
    terminated = _sync(scene, org)

    # THEN the second is skipped both times, naming no address, and the first keeps his place and his fields
    assert shared.skipped == {"e-mail shared with another employee": 1}
    assert terminated.skipped == {"e-mail shared with another employee": 1}
    assert "jonas@kcb.rs" not in shared.model_dump_json()
    kept = _participant(scene, "jonas@kcb.rs")
    assert (kept.participant_id, kept.status, kept.profile.department) == (
        jonas.participant_id,
        ParticipantStatus.ACCEPTED,
        "Umetnost",
    )
    assert scene.storage.synced_people.get(TENANT, "con_hr", "2") is None


def test_a_rehired_leaver_is_enrolled_again_by_agreement_and_welcomed(scene: Scene) -> None:
    # GIVEN an employee withdrawn when she left
    _connect(scene)
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs"))
    _sync(scene, org)
    org.update(1, terminationDate="2026-08-31", status="Inactive")
    _sync(scene, org)
    assert _participant(scene, "milica@kcb.rs").status is ParticipantStatus.WITHDRAWN

    # WHEN she is hired again a month later: a new start date, the termination cleared
    scene.clock.advance(timedelta(days=30))
    org.update(1, hireDate="2026-10-01", terminationDate="0000-00-00", status="Active")
    figures = _sync(scene, org)
    again = _sync(scene, org)

    # THEN the same record is accepted again and welcomed again, once
    milica = _participant(scene, "milica@kcb.rs")
    assert (figures.rehired, again.rehired) == (1, 0)
    assert milica.status is ParticipantStatus.ACCEPTED
    welcomes = [m for m in scene.storage.messages.for_participant(TENANT, milica.participant_id)]
    assert [m.template for m in welcomes].count("welcome") == 2


def test_a_rehired_leaver_of_an_invitation_programme_is_invited_again(scene: Scene) -> None:
    # GIVEN an invitation programme whose member left and was withdrawn
    _connect(scene, consent=ConsentPolicy.INVITATION)
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs"))
    _sync(scene, org, inviter=INVITER)
    participant_id = _participant(scene, "milica@kcb.rs").participant_id
    scene.storage.participants.save(
        _participant(scene, "milica@kcb.rs").model_copy(update={"status": ParticipantStatus.ACCEPTED})
    )
    scene.clock.advance(timedelta(days=40))
    org.update(1, terminationDate="2026-10-01", status="Inactive")
    _sync(scene, org, inviter=INVITER)

    # WHEN she is hired again
    scene.clock.advance(timedelta(days=60))
    org.update(1, hireDate="2026-12-01", terminationDate="0000-00-00", status="Active")
    figures = _sync(scene, org, inviter=INVITER)

    # THEN she is asked again, without her old consent, and her new invitation is open
    milica = _participant(scene, "milica@kcb.rs")
    assert figures.rehired == 1
    assert (milica.status, milica.profile.consent) == (ParticipantStatus.APPLIED, None)
    sent = [m.template for m in scene.storage.messages.for_participant(TENANT, participant_id)]
    assert sent.count("sync_invitation") == 2
    invitation = scene.storage.sync_invitations.get(TENANT, scene.programme_id, participant_id)
    assert invitation is not None
    assert invitation.invited_at == scene.clock.now()


def test_someone_who_withdrew_by_choice_is_not_enrolled_again_by_the_sync(scene: Scene) -> None:
    # GIVEN a synced employee who withdrew herself
    _connect(scene)
    org = FakeOrganisation()
    org.add(employee(1, "Milica Đorđević", "milica@kcb.rs"))
    _sync(scene, org)
    milica = _participant(scene, "milica@kcb.rs")
    scene.storage.participants.save(milica.model_copy(deep=True, update={"status": ParticipantStatus.WITHDRAWN}))

    # WHEN her record changes in the HR system
    org.update(1, department="Muzika")
    figures = _sync(scene, org)

    # THEN she stays withdrawn
    assert figures.rehired == 0
    assert _participant(scene, "milica@kcb.rs").status is ParticipantStatus.WITHDRAWN


def test_a_manager_loop_is_noted_in_the_figures_and_matching_keeps_the_mentee_out_of_her_line(scene: Scene) -> None:
    # GIVEN a mentee managed by Bojan, whose manager Cvijeta is managed by the mentee: a loop of three
    ana = scene.mentee("Ana Novak", "ana@kcb.rs", manager_email="bojan@kcb.rs", languages=["sr"])
    _connect(scene, role=Role.MENTOR)
    org = FakeOrganisation(page_size=10)
    org.add(
        employee(1, "Bojan Bojić", "bojan@kcb.rs", supervisorEmail="cvijeta@kcb.rs"),
        employee(2, "Cvijeta Cvetić", "cvijeta@kcb.rs", supervisorEmail="ana@kcb.rs"),
        employee(3, "Dragan Dragić", "dragan@kcb.rs"),
    )

    # WHEN the mentors sync and the cohort is matched
    figures = _sync(scene, org)
    scene.run()

    # THEN both synced people in the loop are counted, and Ana is proposed to the one mentor outside it
    assert figures.manager_loops == 2
    assert scene.open_pair_of(ana).mentor_id == _participant(scene, "dragan@kcb.rs").participant_id


@pytest.mark.parametrize(
    ("managers", "chain", "looped"),
    [
        ({"a": "b", "b": "c"}, ["b", "c"], False),
        ({"a": "b", "b": "c", "c": "a"}, ["b", "c"], True),
        ({"a": "b", "b": "c", "c": "b"}, ["b", "c"], True),
        ({"a": "a"}, [], True),
        ({f"p{n}": f"p{n + 1}" for n in range(100)} | {"a": "p0"}, [f"p{n}" for n in range(50)], True),
    ],
)
def test_a_reporting_chain_stops_at_the_first_repeat(managers: dict[str, str], chain: list[str], looped: bool) -> None:
    # GIVEN who manages whom
    # WHEN the chain above "a" is followed
    found = reporting_chain("a", managers.get)

    # THEN it lists each manager once and says whether it looped (or ran too deep)
    assert found == (chain, looped)

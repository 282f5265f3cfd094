"""One sync run of one connector: pull pages since the cursor, map, compare, write what changed, commit.

Order within a page: people are applied (enrolled, updated, withdrawn) first, then their
fingerprints are written in one batch, then the page position is committed to the
connector. A run stopped anywhere therefore resumes at the first uncommitted page, and
re-applying a page changes nothing already applied: enrolment and the field update
compare before writing, and a withdrawn person is not withdrawn twice.

Least data: a record is mapped (only mapped fields are read), and a person neither taken
by a programme's scope nor already a participant is dropped with nothing stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from chalicelib.domain.participant import Consent, Participant, ParticipantStatus, Profile, participant_id_for
from chalicelib.domain.sync import (
    LEFT_REASON,
    SYNCED_PERSON_RETENTION,
    ConsentPolicy,
    MappedPerson,
    ScopeRule,
    SyncConnector,
    SyncedClaim,
    SyncedPerson,
    SyncFigures,
    fields_hash,
    left_the_organisation,
    map_person,
    reporting_chain,
)
from chalicelib.errors import ConfigurationError
from chalicelib.services import enrolment, participants
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.nudges import refresh_contacts
from chalicelib.storage.keys import utc_text
from chalicelib.sync.http import CursorRejected

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.domain.programme import Programme
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.repositories import Storage
    from chalicelib.sync.invitations import Inviter
    from chalicelib.sync.ports import PeopleSource

SHARED_EMAIL = "e-mail shared with another employee"
# Fields the HR system owns: a change there updates the participant, and so the matching rules.
SYNCED_FIELDS = ("department", "manager_email", "company", "language")
_FINISHED = (ParticipantStatus.WITHDRAWN, ParticipantStatus.COMPLETED)


@dataclass
class _Run:
    storage: Storage
    notifier: Notifier
    clock: Clock
    connector: SyncConnector
    programmes: dict[str, Programme]
    figures: SyncFigures
    today: date
    inviter: Inviter | None = None
    enrol: bool = True
    emails: dict[str, str] = field(default_factory=dict)
    claims: list[SyncedClaim] = field(default_factory=list)
    # Manager by work e-mail of the people this run applied, to check their reporting lines at the end.
    managers: dict[str, str | None] = field(default_factory=dict)


def run_sync(
    *,
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    connector: SyncConnector,
    source: PeopleSource,
    full: bool = False,
    inviter: Inviter | None = None,
    enrol: bool = True,
) -> SyncFigures:
    """Run (or resume) a sync of ``connector`` from ``source`` and return its figures.

    With ``enrol`` False only people who are participants already are updated (or
    withdrawn): a CRM's contact changes, which never bring anyone in.

    Raises
    ------
    VendorError
        The vendor failed beyond the retries; the committed position is kept for the next run.
    """
    if full:
        connector = _commit(storage, connector, cursor=None, page=None, watermark=None)
    resuming = connector.page is not None
    figures = SyncFigures(started_at=clock.now(), full=connector.cursor is None)
    # The position is committed with each page; a run stopped before its first commit simply starts again.
    watermark = connector.run_watermark if resuming and connector.run_watermark else utc_text(clock.now())
    programmes = _programmes(storage, connector)
    run = _Run(storage, notifier, clock, connector, programmes, figures, clock.now().date(), inviter, enrol)
    since, page = connector.cursor, connector.page
    while True:
        try:
            pulled = source.pull(since=since, page=page)
        except CursorRejected:
            if since is None and page is None:
                raise
            since, page, figures.full = None, None, True
            continue
        figures.pages += 1
        _apply_page(run, pulled.records)
        watermark = pulled.watermark or watermark
        page = pulled.next_page
        if page is None:
            break
        run.connector = _commit(storage, run.connector, cursor=since, page=page, watermark=watermark)
    figures.manager_loops = _manager_loops(run)
    figures.finished_at = clock.now()
    run.connector = _commit(storage, run.connector, cursor=watermark, page=None, watermark=None, figures=figures)
    return figures


def _programmes(storage: Storage, connector: SyncConnector) -> dict[str, Programme]:
    found = {}
    for scope in connector.scopes:
        programme = storage.programmes.get(connector.tenant_id, scope.programme_id)
        if programme is not None:
            found[scope.programme_id] = programme
    return found


def _commit(
    storage: Storage,
    connector: SyncConnector,
    *,
    cursor: str | None,
    page: str | None,
    watermark: str | None,
    figures: SyncFigures | None = None,
) -> SyncConnector:
    """Save the run's position, re-reading the connector should a coordinator have changed its settings meanwhile."""

    def load() -> SyncConnector:
        return storage.connectors.get(connector.tenant_id, connector.connector_id) or connector

    def change(current: SyncConnector) -> SyncConnector:
        current.cursor, current.page, current.run_watermark = cursor, page, watermark
        if figures is not None:
            current.last_run = figures
        return current

    return update_with_retry(load, change, storage.connectors.save, message="the connector kept changing")


def _apply_page(run: _Run, records: Sequence[Mapping[str, Any]]) -> None:
    fingerprints: dict[str, SyncedPerson] = {}
    mapped: dict[str, MappedPerson] = {}
    for record in records:
        person = map_person(record, run.connector.mapping)
        if person is None:
            run.figures.skip("no employee id")
            continue
        # A page that repeats a record is read once: the last copy wins.
        mapped[person.external_id] = person
    for person in mapped.values():
        run.figures.read += 1
        fingerprint = _apply_person(run, person)
        if fingerprint is not None:
            fingerprints[person.external_id] = fingerprint
    # Claims first: a page re-applied after a stop finds its people already claimed by themselves.
    run.storage.synced_people.claim_many(run.claims)
    run.claims.clear()
    run.storage.synced_people.put_many(fingerprints.values())


def _apply_person(run: _Run, person: MappedPerson) -> SyncedPerson | None:
    """Apply one person and return the fingerprint to store (None: nothing to store)."""
    connector = run.connector
    digest = fields_hash(person)
    stored = run.storage.synced_people.get(connector.tenant_id, connector.connector_id, person.external_id)
    if stored is not None and stored.fields_hash == digest:
        run.figures.unchanged += 1
        return None
    known = _known_participants(run, person, stored)
    if _claimed_by_another(run, person, known, stored):
        # Another employee id reported this address first (this run or an earlier one): theirs it stays.
        run.figures.skip(SHARED_EMAIL)
        return None
    if person.terminated(run.today):
        for participant in known.values():
            _withdraw(run, participant)
        return _fingerprint(run, person, digest, known, stored) if known else None
    if person.email is None:
        run.figures.skip("no work e-mail")
        return None
    owner = run.emails.setdefault(person.email, person.external_id)
    if owner != person.external_id:
        run.figures.skip(SHARED_EMAIL)
        return None
    taking = [scope for scope in connector.scopes if scope.programme_id in run.programmes]
    for scope in taking:
        current = known.get(scope.programme_id)
        if current is not None and run.enrol and left_the_organisation(current) and scope.takes(person, run.today):
            rehired = _rehire(run, scope, person, current)
            if rehired is not None:
                known[scope.programme_id] = rehired
        elif current is not None:
            _update(run, current, person, _new_email(run, current, person))
        elif run.enrol and scope.takes(person, run.today):
            enrolled = _enrol(run, scope, person)
            if enrolled is not None:
                known[scope.programme_id] = enrolled
    if not known:
        run.figures.out_of_scope += 1
        return None
    if run.connector.mapping.manager_email is not None:
        run.managers[person.email] = _synced_values(person, run)["manager_email"]
    return _fingerprint(run, person, digest, known, stored)


def _manager_loops(run: _Run) -> int:
    """How many people applied in this run have a reporting line that comes back on itself.

    Lines are followed through this run's people, then through the programmes' stored
    participants; matching closes lines the same way and stops at a repeat, so a loop only
    needs to be seen, not repaired.
    """
    known = dict(run.managers)

    def manager_of(email: str) -> str | None:
        if email not in known:
            participants = run.storage.participants.by_email(run.connector.tenant_id, email)
            managers = [p.profile.manager_email for p in participants if p.programme_id in run.programmes]
            known[email] = next((m for m in managers if m), None)
        return known[email]

    return sum(1 for email in run.managers if reporting_chain(email, manager_of)[1])


def _linked(stored: SyncedPerson | None, programme_id: str, participant: Participant) -> bool:
    return stored is not None and stored.participants.get(programme_id) == participant.participant_id


def _claimed_by_another(
    run: _Run, person: MappedPerson, known: Mapping[str, Participant], stored: SyncedPerson | None
) -> bool:
    """Whether a participant found by e-mail belongs to another of the connector's employee ids."""
    found_by_email = [p.participant_id for programme_id, p in known.items() if not _linked(stored, programme_id, p)]
    if not found_by_email:
        return False
    owners = run.storage.synced_people.owners(run.connector.tenant_id, run.connector.connector_id, found_by_email)
    return any(owner != person.external_id for owner in owners.values())


def _known_participants(run: _Run, person: MappedPerson, stored: SyncedPerson | None) -> dict[str, Participant]:
    """The person's participants in the connector's programmes: by the last fingerprint, else by e-mail."""
    tenant_id = run.connector.tenant_id
    found: dict[str, Participant] = {}
    if stored is not None:
        for programme_id, participant_id in stored.participants.items():
            participant = run.storage.participants.get(tenant_id, programme_id, participant_id)
            if participant is not None:
                found[programme_id] = participant
    if person.email is not None:
        for participant in run.storage.participants.by_email(tenant_id, person.email):
            if participant.programme_id in run.programmes:
                found.setdefault(participant.programme_id, participant)
    return found


def _fingerprint(
    run: _Run, person: MappedPerson, digest: str, known: Mapping[str, Participant], stored: SyncedPerson | None
) -> SyncedPerson:
    now = run.clock.now()
    run.claims.extend(
        SyncedClaim(
            tenant_id=run.connector.tenant_id,
            connector_id=run.connector.connector_id,
            participant_id=participant.participant_id,
            external_id=person.external_id,
            expires_at=now + SYNCED_PERSON_RETENTION,
        )
        for programme_id, participant in sorted(known.items())
        if not _linked(stored, programme_id, participant)
    )
    return SyncedPerson(
        tenant_id=run.connector.tenant_id,
        connector_id=run.connector.connector_id,
        external_id=person.external_id,
        fields_hash=digest,
        participants={programme_id: p.participant_id for programme_id, p in sorted(known.items())},
        synced_at=now,
        expires_at=now + SYNCED_PERSON_RETENTION,
    )


def _synced_values(person: MappedPerson, run: _Run) -> dict[str, Any]:
    mapping = run.connector.mapping
    values = {name: getattr(person, name) for name in SYNCED_FIELDS if getattr(mapping, name) is not None}
    if values.get("manager_email") == person.email:
        # A record naming the person as their own manager would exclude nobody; it is dropped.
        values["manager_email"] = None
    return values


def _new_email(run: _Run, participant: Participant, person: MappedPerson) -> str | None:
    """The employee's new work e-mail, to carry over to the participant found by their vendor id.

    None when it did not change, or when another participant of the programme already has
    it: two records of one person are left for a coordinator rather than merged blindly.
    """
    if person.email is None or person.email == participant.profile.email:
        return None
    for holder in run.storage.participants.by_email(participant.tenant_id, person.email):
        if holder.programme_id == participant.programme_id and holder.participant_id != participant.participant_id:
            run.figures.skip("new e-mail already used by another participant")
            return None
    return person.email


def _update(run: _Run, participant: Participant, person: MappedPerson, new_email: str | None = None) -> None:
    values = _synced_values(person, run)
    if new_email is not None:
        # The same person, found by their vendor id: their place, pairs and consent stay, the address follows.
        values["email"] = new_email
    if participant.status in _FINISHED or all(getattr(participant.profile, k) == v for k, v in values.items()):
        return
    storage, now = run.storage, run.clock.now()

    def load() -> Participant | None:
        return storage.participants.get(participant.tenant_id, participant.programme_id, participant.participant_id)

    def change(current: Participant | None) -> Participant | None:
        if current is None:
            return None
        try:
            current.profile = Profile.model_validate(current.profile.model_dump() | values)
        except ValidationError:
            run.figures.skip("field values the profile refuses")
            return None
        current.updated_at = now
        return current

    updated = update_with_retry(load, change, storage.participants.save, message="the participant kept changing")
    if updated:
        refresh_contacts(storage, updated)
        run.figures.updated += 1


def _rehire(run: _Run, scope: ScopeRule, person: MappedPerson, leaver: Participant) -> Participant | None:
    """Enrol (or invite) again, under the programme's policy, someone withdrawn when they left and now back."""
    if participant_id_for(leaver.tenant_id, leaver.programme_id, person.email or "") != leaver.participant_id:
        # Back under another address than their record's: enrolling would make a second record of them.
        run.figures.skip("rehired under another e-mail")
        return None
    enrolled = _enrol(run, scope, person)
    if enrolled is not None and enrolled.status is not ParticipantStatus.WITHDRAWN:
        run.figures.rehired += 1
        return enrolled
    return None


def _enrol(run: _Run, scope: ScopeRule, person: MappedPerson) -> Participant | None:
    assert person.email is not None  # checked by the caller
    now = run.clock.now()
    values = _synced_values(person, run)
    try:
        profile = Profile(
            role=scope.role,
            email=person.email,
            name=person.name or person.email.split("@")[0],
            # Consent by the organisation's agreement with its people, recorded with its reference.
            consent=Consent(given=True, at=now, text_version=scope.agreement_reference),
            languages=[person.language] if person.language else scope.languages,
            **values,
        )
    except ValidationError:
        run.figures.skip("field values the profile refuses")
        return None
    programme = run.programmes[scope.programme_id]
    if scope.consent is ConsentPolicy.INVITATION:
        if run.inviter is None:
            raise ConfigurationError("this scope invites people, and no invitations can be sent from here")
        invited = run.inviter.invite(
            storage=run.storage,
            notifier=run.notifier,
            clock=run.clock,
            programme=programme,
            profile=profile,
            connector_id=run.connector.connector_id,
        )
        run.figures.invited += 1
        return invited
    enrolled = enrolment.enrol(
        storage=run.storage,
        notifier=run.notifier,
        clock=run.clock,
        programme=programme,
        profile=profile,
        submitted_at=now,
        channel=enrolment.Channel.SIGNUP,
    )
    if enrolled.outcome in (enrolment.EnrolmentOutcome.CREATED, enrolment.EnrolmentOutcome.REAPPLIED):
        run.figures.enrolled += 1
    return enrolled.participant


def _withdraw(run: _Run, participant: Participant) -> None:
    if participant.status in _FINISHED:
        return
    had_pair = participant.status in (ParticipantStatus.MATCHED, ParticipantStatus.ACTIVE)
    participants.withdraw(
        run.storage,
        tenant_id=participant.tenant_id,
        programme_id=participant.programme_id,
        participant_id=participant.participant_id,
        reason=LEFT_REASON,
        expected_version=None,
        clock=run.clock,
        notifier=run.notifier,
    )
    run.figures.withdrawn += 1
    programme = run.programmes.get(participant.programme_id)
    # Each coordinator hears of every leaver in their language; the partner was told by the withdrawal.
    for email, language in programme.coordinator_addresses() if programme is not None else []:
        run.notifier.queue_to_address(
            tenant_id=participant.tenant_id,
            email=email,
            language=language,
            template="sync_participant_left",
            context={"participant_name": participant.profile.name, "had_pair": had_pair},
            idempotency_key=f"sync_participant_left:{participant.participant_id}:{email.lower()}",
            programme=programme,
        )

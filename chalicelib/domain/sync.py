"""HR and CRM sync: a connector's configuration, its cursor and figures, and the rules applied to each person.

A coordinator says in configuration, never in code, which vendor field fills which
profile field (``FieldMap``), which people each programme takes (``ScopeRule``) and how
synced people consent (``ConsentPolicy``). ``map_person`` reads one vendor record into a
``MappedPerson``; ``fields_hash`` fingerprints it so that an unchanged person costs no
write; ``SyncedPerson`` keeps that fingerprint and nothing else about the person.

Credentials are only references (a Secrets Manager secret or an SSM parameter name): the
secret itself is read when a sync runs and is never stored with the connector.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.domain.common import DomainModel, new_id, normalise_email
from chalicelib.domain.participant import Participant, ParticipantStatus, Role
from chalicelib.domain.programme import validate_language


class Vendor(StrEnum):
    BAMBOOHR = "bamboohr"
    HIBOB = "hibob"
    PERSONIO = "personio"
    WORKDAY = "workday"
    MERGE = "merge"
    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"


class SecretStore(StrEnum):
    SECRETS_MANAGER = "secretsmanager"
    SSM = "ssm"


APP_NAME = "mentorflow"


def credential_prefix(store: SecretStore, stage: str) -> str:
    """Where a stage's vendor credentials live: the deployed IAM policy grants reading under these prefixes only.

    SSM parameter names are paths (``/mentorflow/prod/...``); Secrets Manager names are not
    (``mentorflow/prod/...``). ``devtools/package.py`` builds the policy from this function.
    """
    if store is SecretStore.SSM:
        return f"/{APP_NAME}/{stage}/"
    return f"{APP_NAME}/{stage}/"


class CredentialRef(BaseModel):
    """Where the vendor credential lives; the value is fetched at run time and never stored here."""

    model_config = ConfigDict(extra="forbid")

    store: SecretStore
    name: str = Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9/_+=.@:-]+$")

    def readable_in(self, stage: str) -> bool:
        """Whether the stage's functions may read it: under the stage's prefix, with a name after it."""
        prefix = credential_prefix(self.store, stage)
        return self.name.startswith(prefix) and len(self.name) > len(prefix) and ".." not in self.name


# The profile fields a vendor record can fill; each names a vendor field path ("work.department").
PROFILE_FIELDS = (
    "external_id",
    "email",
    "name",
    "first_name",
    "last_name",
    "department",
    "manager_email",
    "company",
    "start_date",
    "termination_date",
    "location",
    "language",
    "status",
)


class FieldMap(BaseModel):
    """Vendor field path for each profile field; dots walk into nested objects, digits into lists."""

    model_config = ConfigDict(extra="forbid")

    external_id: str = "id"
    email: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    department: str | None = None
    manager_email: str | None = None
    company: str | None = None
    start_date: str | None = None
    termination_date: str | None = None
    location: str | None = None
    language: str | None = None
    status: str | None = None
    inactive_statuses: list[str] = Field(
        default_factory=lambda: ["inactive", "terminated"], description="Values of `status` meaning the person left."
    )

    def paths(self) -> list[str]:
        """Every vendor field path the mapping reads, once each."""
        return list(dict.fromkeys(path for path in (getattr(self, name) for name in PROFILE_FIELDS) if path))

    def vendor_fields(self) -> list[str]:
        """The top-level vendor fields the mapping reads: all a connector needs to ask for."""
        return list(dict.fromkeys(path.split(".")[0] for path in self.paths()))


class ConsentPolicy(StrEnum):
    """How a synced person's consent is established: the organisation's agreement, or their own acceptance."""

    AGREEMENT = "agreement"
    INVITATION = "invitation"


class ScopeRule(BaseModel):
    """Which people of the organisation a programme takes, and as what.

    Empty lists mean "any". ``started_within_days`` makes an onboarding rule: only people
    whose start date is at most that many days before the sync (and not in the future).
    """

    model_config = ConfigDict(extra="forbid")

    programme_id: str = Field(min_length=1, max_length=100)
    role: Role = Role.MENTEE
    departments: list[str] = Field(default_factory=list, max_length=200)
    locations: list[str] = Field(default_factory=list, max_length=200)
    started_within_days: int | None = Field(default=None, ge=0, le=3650)
    languages: list[str] = Field(
        default_factory=list, max_length=20, description="Languages assumed spoken when the vendor names none."
    )
    consent: ConsentPolicy = ConsentPolicy.AGREEMENT
    agreement_reference: str = Field(default="organisational agreement", max_length=100)

    def takes(self, person: MappedPerson, today: date) -> bool:
        if self.departments and person.department not in self.departments:
            return False
        if self.locations and person.location not in self.locations:
            return False
        if self.started_within_days is not None:
            started = person.start_date
            if started is None or started > today or (today - started).days > self.started_within_days:
                return False
        return True


class SyncFigures(BaseModel):
    """What one sync run did, in counts only: a figure names no person."""

    model_config = ConfigDict(extra="forbid")

    started_at: datetime | None = None
    finished_at: datetime | None = None
    full: bool = False
    pages: int = 0
    read: int = 0
    out_of_scope: int = 0
    unchanged: int = 0
    enrolled: int = 0
    invited: int = 0
    updated: int = 0
    withdrawn: int = 0
    manager_loops: int = Field(
        default=0, description="People whose reporting line, followed upwards, comes back on itself."
    )
    rehired: int = Field(default=0, description="Leavers back in the organisation, enrolled or invited again.")
    pushed: int = 0
    skipped: dict[str, int] = Field(default_factory=dict, description="People left out, by reason.")
    error: str | None = Field(default=None, max_length=500)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class SyncConnector(DomainModel):
    """One tenant's connection to one HR system or CRM: how to reach it, map it, scope it, and where it stopped.

    ``cursor`` is the vendor's "changed since" position after the last complete run;
    ``page`` is the position inside a run in progress, committed after each page, so an
    interrupted run resumes where it stopped.
    """

    tenant_id: str
    connector_id: str = Field(default_factory=lambda: new_id("con"))
    vendor: Vendor
    credentials: CredentialRef
    settings: dict[str, str] = Field(default_factory=dict, description="Vendor addresses: subdomain, report URL.")
    mapping: FieldMap
    scopes: list[ScopeRule] = Field(default_factory=list, max_length=50)
    enabled: bool = True
    cursor: str | None = None
    page: str | None = None
    run_watermark: str | None = None
    last_run: SyncFigures | None = None
    invitations_reminded: int = Field(default=0, description="Invitations reminded once, unanswered after 14 days.")
    invitations_expired: int = Field(default=0, description="Invitations closed unanswered after 30 days.")
    created_at: datetime
    updated_at: datetime


class MappedPerson(BaseModel):
    """The mapped fields of one vendor record: all that is ever read of a person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    external_id: str
    email: str | None = None
    name: str | None = None
    department: str | None = None
    manager_email: str | None = None
    company: str | None = None
    start_date: date | None = None
    termination_date: date | None = None
    location: str | None = None
    language: str | None = None
    inactive: bool = False

    @field_validator("email", "manager_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_email(value)
        except ValueError:
            return None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_language(value.strip().replace("_", "-").split("-")[0].lower())
        except ValueError:
            return None

    def terminated(self, today: date) -> bool:
        return self.inactive or (self.termination_date is not None and self.termination_date <= today)


class SyncedPerson(DomainModel):
    """The fingerprint of a person's mapped fields at the last sync, and the programmes they were placed in.

    No personal data: a change-detection record. It expires, and losing it costs one
    redundant comparison, never a wrong write.
    """

    tenant_id: str
    connector_id: str
    external_id: str
    fields_hash: str
    participants: dict[str, str] = Field(default_factory=dict, description="Participant id by programme id.")
    synced_at: datetime
    expires_at: datetime


SYNCED_PERSON_RETENTION = timedelta(days=400)

# Why a sync withdraws a leaver; only a withdrawal for this reason is undone by a rehire.
LEFT_REASON = "left the organisation"


def left_the_organisation(participant: Participant) -> bool:
    """Whether a sync withdrew the participant because they left (not their own or a coordinator's choice)."""
    last = participant.history[-1] if participant.history else None
    return participant.status is ParticipantStatus.WITHDRAWN and last is not None and last.reason == LEFT_REASON


class SyncedClaim(DomainModel):
    """Which of a connector's employees a participant belongs to: ids only.

    Found by participant id, it tells a later run that an e-mail another employee id now
    reports is already someone else's, so two employees sharing one address are caught
    across runs and not only within one.
    """

    tenant_id: str
    connector_id: str
    participant_id: str
    external_id: str
    expires_at: datetime


# An invitation nobody answers is reminded once, then closed: the person is never enrolled by silence.
INVITATION_OPEN_FOR = timedelta(days=30)
INVITATION_REMINDER_AFTER = timedelta(days=14)
# The record outlives its closing long enough for a missed sweep to close it still; then DynamoDB drops it.
_INVITATION_KEPT_AFTER_CLOSING = timedelta(days=30)


class OpenInvitation(DomainModel):
    """An invitation a synced person has not answered yet: ids and dates only.

    It waits in the sweep's index at its next due time: the reminder while one is left
    (``remind_at``), then the closing (``closes_at``). Answered or closed, it is deleted.
    """

    tenant_id: str
    programme_id: str
    participant_id: str
    connector_id: str | None = None
    invited_at: datetime
    remind_at: datetime | None
    closes_at: datetime
    expires_at: datetime

    @classmethod
    def sent(
        cls, *, tenant_id: str, programme_id: str, participant_id: str, connector_id: str | None, at: datetime
    ) -> OpenInvitation:
        closes_at = at + INVITATION_OPEN_FOR
        return cls(
            tenant_id=tenant_id,
            programme_id=programme_id,
            participant_id=participant_id,
            connector_id=connector_id,
            invited_at=at,
            remind_at=at + INVITATION_REMINDER_AFTER,
            closes_at=closes_at,
            expires_at=closes_at + _INVITATION_KEPT_AFTER_CLOSING,
        )

    @property
    def next_due(self) -> datetime:
        return self.closes_at if self.remind_at is None else min(self.remind_at, self.closes_at)

    def closed(self, now: datetime) -> bool:
        return now >= self.closes_at


def read_path(record: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path; vendors that wrap values (Personio's ``{"value": ...}``) are unwrapped."""
    value: Any = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    if isinstance(value, Mapping) and "value" in value:
        value = value["value"]
    return value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text[:200] or None


def _day(value: Any) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        # BambooHR writes "0000-00-00" for an empty date.
        return None


def map_person(record: Mapping[str, Any], mapping: FieldMap) -> MappedPerson | None:
    """Read a vendor record through ``mapping``; None when it has no id to know it by."""
    external_id = _text(read_path(record, mapping.external_id))
    if external_id is None:
        return None

    def field(name: str) -> Any:
        path = getattr(mapping, name)
        return None if path is None else read_path(record, path)

    name = _text(field("name")) or " ".join(filter(None, (_text(field("first_name")), _text(field("last_name")))))
    status = _text(field("status"))
    return MappedPerson(
        external_id=external_id,
        email=_text(field("email")),
        name=name or None,
        department=_text(field("department")),
        manager_email=_text(field("manager_email")),
        company=_text(field("company")),
        start_date=_day(field("start_date")),
        termination_date=_day(field("termination_date")),
        location=_text(field("location")),
        language=_text(field("language")),
        inactive=status is not None and status.lower() in {s.lower() for s in mapping.inactive_statuses},
    )


# Deeper than any organisation's hierarchy: a longer line is treated as broken, like a loop.
MAX_REPORTING_DEPTH = 50


def reporting_chain(email: str, manager_of: Callable[[str], str | None]) -> tuple[list[str], bool]:
    """The managers above ``email``, nearest first, and whether the line loops.

    The chain stops at the first repeat (A→B→C→A gives B, C), so a loop of any length,
    including someone managing themselves, ends the walk instead of running it for ever.
    """
    chain: list[str] = []
    seen = {email}
    current = manager_of(email)
    while current is not None:
        if current in seen or len(chain) >= MAX_REPORTING_DEPTH:
            return chain, True
        chain.append(current)
        seen.add(current)
        current = manager_of(current)
    return chain, False


def fields_hash(person: MappedPerson) -> str:
    """A stable fingerprint of everything mapped: equal hashes mean nothing to write."""
    canonical = json.dumps(person.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class PeopleChange(BaseModel):
    """A vendor's webhook, read: which event, about whose records. Nothing else of the payload is kept.

    The records themselves are pulled through the connector, so a webhook and the nightly
    sync read a person through the same mapping and fingerprint.
    """

    model_config = ConfigDict(extra="forbid")

    source: str
    event: str = Field(max_length=100)
    external_ids: list[str] = Field(default_factory=list, max_length=1000)

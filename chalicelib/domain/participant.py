"""Participants: one person's enrolment in one programme, as mentor or mentee."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.common import DomainModel, Email, HumanText, StatusChange, check_transition, stable_id
from chalicelib.domain.programme import validate_language, validate_timezone


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class ParticipantStatus(StrEnum):
    APPLIED = "applied"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    MATCHED = "matched"
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


_P = ParticipantStatus
PARTICIPANT_TRANSITIONS: dict[ParticipantStatus, frozenset[ParticipantStatus]] = {
    _P.APPLIED: frozenset({_P.ACCEPTED, _P.WAITLISTED, _P.MATCHED, _P.WITHDRAWN}),
    _P.ACCEPTED: frozenset({_P.MATCHED, _P.WAITLISTED, _P.WITHDRAWN}),
    _P.WAITLISTED: frozenset({_P.ACCEPTED, _P.MATCHED, _P.WITHDRAWN}),
    # A pair that ends early sends both people back to the pool for a rematch.
    _P.MATCHED: frozenset({_P.ACTIVE, _P.ACCEPTED, _P.COMPLETED, _P.WITHDRAWN}),
    _P.ACTIVE: frozenset({_P.COMPLETED, _P.ACCEPTED, _P.WITHDRAWN}),
    _P.COMPLETED: frozenset(),
    # Someone who withdrew may apply again through the signup form.
    _P.WITHDRAWN: frozenset({_P.APPLIED}),
}


class Consent(BaseModel):
    """The participant's consent to be processed, with when it was given."""

    model_config = ConfigDict(extra="forbid")

    given: bool
    at: datetime | None = None
    text_version: str | None = Field(default=None, max_length=100)


class Profile(BaseModel):
    """What a person tells about themselves: filled from a form mapping, the admin API or an HR sync."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    email: Email
    name: HumanText = Field(min_length=1, max_length=200)
    language: str | None = None
    timezone: str | None = None
    company: HumanText | None = Field(default=None, max_length=200)
    department: HumanText | None = Field(default=None, max_length=200)
    manager_email: Email | None = None
    seniority: int | None = Field(default=None, ge=0, le=50)
    tags: list[HumanText] = Field(default_factory=list, max_length=100, description="Goals or expertise.")
    languages: list[str] = Field(default_factory=list, max_length=20, description="Languages spoken.")
    capacity: int | None = Field(default=None, ge=0, le=50, description="Mentees a mentor takes at once.")
    ranked_topics: list[HumanText] = Field(
        default_factory=list, max_length=20, description="A mentee's topics, most important first."
    )
    ranked_mentors: list[str] = Field(
        default_factory=list, max_length=20, description="A mentee's chosen mentors (e-mails or ids), best first."
    )
    goals: HumanText | None = Field(
        default=None, max_length=2000, description="In the person's words; shown to their mentor once matched."
    )
    consent: Consent | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_ranked_preferences(cls, data: Any) -> Any:
        """``ranked_preferences``, of profiles stored and forms mapped before the split, read as the two lists."""
        if not isinstance(data, dict) or "ranked_preferences" not in data:
            return data
        data = dict(data)
        old = data.pop("ranked_preferences") or []
        if not isinstance(old, list):
            raise ValueError("ranked_preferences must be a list")
        mentors = [c for c in old if isinstance(c, str) and _names_a_mentor(c)]
        topics = [c for c in old if not (isinstance(c, str) and _names_a_mentor(c))]
        data["ranked_mentors"] = [*data.get("ranked_mentors", []), *mentors]
        data["ranked_topics"] = [*data.get("ranked_topics", []), *topics]
        return data

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return None if value is None else validate_language(value)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(validate_language(code) for code in value))

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else validate_timezone(value)

    @model_validator(mode="after")
    def _mentor_capacity(self) -> Profile:
        if self.role is Role.MENTEE and self.capacity not in (None, 0):
            raise ValueError("capacity applies to mentors only")
        return self


_PARTICIPANT_ID = re.compile(r"par_\S+")


def _names_a_mentor(choice: str) -> bool:
    """A ranked choice that is an e-mail address or a participant id names a mentor; anything else is a topic."""
    text = choice.strip()
    return "@" in text or _PARTICIPANT_ID.fullmatch(text) is not None


def participant_id_for(tenant_id: str, programme_id: str, email: str) -> str:
    """One person has one participant record per programme: the id follows from the e-mail."""
    return stable_id("par", tenant_id, programme_id, email)


class Participant(DomainModel):
    """A person's enrolment in a programme, with their profile and status history."""

    participant_id: str
    tenant_id: str
    programme_id: str
    profile: Profile
    status: ParticipantStatus = ParticipantStatus.APPLIED
    history: list[StatusChange] = Field(default_factory=list)
    priority: int = Field(default=0, ge=0, le=1000, description="Rounds left unmatched; raises priority next round.")
    profile_submitted_at: datetime | None = Field(
        default=None,
        description="Submission time of the newest profile; older deliveries never overwrite it.",
    )
    created_at: datetime
    updated_at: datetime

    @property
    def email(self) -> str:
        return self.profile.email

    @property
    def role(self) -> Role:
        return self.profile.role

    def move_to(self, target: ParticipantStatus, *, at: datetime, reason: str | None = None) -> None:
        """Change status along an allowed transition, recording when and why."""
        check_transition(self.status, target, PARTICIPANT_TRANSITIONS, entity="participant")
        self.status = target
        self.history = [*self.history, StatusChange(status=target.value, at=at, reason=reason)]
        self.updated_at = at

"""Programmes: one mentoring cycle (cohort) or an always-open scheme (evergreen) of a tenant."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.common import DomainModel, Email, HumanText, new_id
from chalicelib.domain.matching.policy import MatchingPolicy

SUPPORTED_LANGUAGES = ("en", "sr", "lt", "sl", "da")


class ProgrammeKind(StrEnum):
    COHORT = "cohort"
    EVERGREEN = "evergreen"


class MilestoneKind(StrEnum):
    KICK_OFF = "kick_off"
    MENTOR_TRAINING = "mentor_training"
    MENTEE_PREPARATION = "mentee_preparation"
    MID_POINT_REVIEW = "mid_point_review"
    MENTOR_GATHERING = "mentor_gathering"
    SUPERVISION = "supervision"
    CLOSING_EVENT = "closing_event"
    MATCHING = "matching"
    OTHER = "other"


class Milestone(BaseModel):
    """A dated event of the programme that people are reminded of."""

    model_config = ConfigDict(extra="forbid")

    kind: MilestoneKind
    date: date
    title: HumanText | None = Field(default=None, max_length=200)
    audience: Literal["all", "mentors", "mentees"] = "all"


class ReminderPolicy(BaseModel):
    """When silent pairs are nudged and escalated, and when people must not be disturbed."""

    model_config = ConfigDict(extra="forbid")

    nudge_after_days: int | None = Field(
        default=None, ge=1, le=365, description="Days of silence before the first nudge. Default: cadence plus grace."
    )
    nudge_grace_days: int = Field(
        default=3, ge=0, le=365, description="Days past the meeting cadence a pair may stay silent before it is nudged."
    )
    escalate_after_days: int = Field(default=90, ge=1, le=3650)
    close_after_escalation_days: int | None = Field(default=7, ge=1, le=3650)
    milestone_notice_days: list[Annotated[int, Field(ge=0, le=365)]] = Field(
        default_factory=lambda: [7, 1], max_length=10
    )
    quiet_hours_start: int = Field(default=20, ge=0, le=23, description="Local hour from which nothing is sent.")
    quiet_hours_end: int = Field(default=8, ge=0, le=23, description="Local hour until which nothing is sent.")


class SurveyKind(StrEnum):
    FIT_CHECK = "fit_check"
    PULSE = "pulse"
    CLOSING = "closing"


class SurveySpec(BaseModel):
    """A survey sent a number of days after matching (or after the end date, for closing surveys)."""

    model_config = ConfigDict(extra="forbid")

    kind: SurveyKind
    offset_days: int = Field(ge=0, le=3650)
    count_from: Literal["after_match", "after_first_meeting"] = Field(
        default="after_match", description="Fit checks and pulses: count the days from the match or the first meeting."
    )
    repeat_every_days: int | None = Field(default=None, ge=1, le=3650)
    low_score_alert_below: int | None = Field(default=None, ge=0, le=10)


def _default_surveys() -> list[SurveySpec]:
    return [
        SurveySpec(kind=SurveyKind.FIT_CHECK, offset_days=21),
        SurveySpec(kind=SurveyKind.PULSE, offset_days=30, repeat_every_days=60, low_score_alert_below=6),
        SurveySpec(kind=SurveyKind.CLOSING, offset_days=7),
    ]


class Coordinator(BaseModel):
    """A person who runs the programme: named in texts, the Reply-To of its messages, sent the daily digest."""

    model_config = ConfigDict(extra="forbid")

    name: HumanText = Field(min_length=1, max_length=200)
    email: Email
    language: str = "en"

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return validate_programme_language(value)


class ProgrammeStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    RUNNING = "running"
    CLOSED = "closed"


class Programme(DomainModel):
    """A mentoring programme and all the configuration its workflows read."""

    programme_id: str = Field(default_factory=lambda: new_id("prg"))
    tenant_id: str
    name: HumanText = Field(min_length=1, max_length=200)
    kind: ProgrammeKind = ProgrammeKind.COHORT
    status: ProgrammeStatus = ProgrammeStatus.OPEN
    cycle_start: date | None = None
    cycle_end: date | None = None
    matching_date: date | None = None
    timezone: str = "UTC"
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    default_language: str = "en"
    meeting_cadence_days: int = Field(default=30, ge=1, le=365)
    max_mentees: int | None = Field(
        default=None, ge=0, le=1_000_000, description="Places; beyond them people are waitlisted."
    )
    milestones: list[Milestone] = Field(default_factory=list)
    matching: MatchingPolicy = Field(default_factory=MatchingPolicy)
    reminders: ReminderPolicy = Field(default_factory=ReminderPolicy)
    surveys: list[SurveySpec] = Field(default_factory=_default_surveys)
    coordinator_email: str | None = Field(
        default=None, description="Deprecated: name coordinators in ``coordinators``; read when none are named."
    )
    coordinators: list[Coordinator] = Field(default_factory=list, max_length=20)
    archived_at: datetime | None = Field(default=None, description="Set by archiving: no more signups or pairs.")
    created_at: datetime
    updated_at: datetime

    def coordinator_for(self, language: str | None) -> Coordinator | None:
        """Whom people write to: a coordinator speaking their language, else the first one named."""
        for coordinator in self.coordinators:
            if coordinator.language == language:
                return coordinator
        return self.coordinators[0] if self.coordinators else None

    def coordinator_addresses(self) -> list[tuple[str, str]]:
        """Whom a message for the coordinators goes to, each in their language: the named ones, else the old address."""
        if self.coordinators:
            return [(c.email, c.language) for c in self.coordinators]
        return [(self.coordinator_email, self.default_language)] if self.coordinator_email else []

    @property
    def reply_to(self) -> str | None:
        """The address replies to the programme's messages reach."""
        return self.coordinators[0].email if self.coordinators else self.coordinator_email

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return validate_timezone(value)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(validate_programme_language(code) for code in value))

    @model_validator(mode="after")
    def _consistent(self) -> Programme:
        if self.default_language not in self.languages:
            raise ValueError("default_language must be one of languages")
        if self.cycle_start and self.cycle_end and self.cycle_end < self.cycle_start:
            raise ValueError("cycle_end is before cycle_start")
        return self


def validate_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def validate_programme_language(value: str) -> str:
    """A language the programme's messages can be written in: one that has texts."""
    code = validate_language(value)
    if code not in SUPPORTED_LANGUAGES:
        raise ValueError(f"no texts exist in {value!r}; choose from {', '.join(SUPPORTED_LANGUAGES)}")
    return code


def validate_language(value: str) -> str:
    code = value.strip().lower().replace("_", "-")
    if not code or len(code) > 12 or not all(part.isalnum() for part in code.split("-")):
        raise ValueError(f"not a language code: {value!r}")
    return code

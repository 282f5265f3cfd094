"""Value objects of cohort matching: participant profiles in, pairs, unmatched people and figures out.

Plain frozen dataclasses so the engine stays free of persistence and transport
concerns; storage and API layers map their own records onto these. Results carry
structured reasons (a stable ``code`` plus JSON-ready ``params``) next to an
English sentence, so other layers can render them in any language.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Role = Literal["mentee", "mentor"]

#: JSON-ready values allowed in reason parameters.
ParamValue = str | int | float | bool | None | tuple[str, ...] | Mapping[str, int]


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    # dict keeps first-seen order, which is what ranked and display lists need.
    return tuple(dict.fromkeys(v for v in values if v))


def _normalise_email(value: str) -> str:
    return value.strip().lower()


@dataclass(frozen=True)
class _Participant:
    participant_id: str
    email: str
    company: str | None = None
    department: str | None = None
    manager_chain: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    utc_offset_minutes: int | None = None
    #: Years of professional experience.
    seniority: int | None = None
    tags: tuple[str, ...] = ()
    priority: int = 0
    display_name: str | None = None

    def __post_init__(self) -> None:
        if not self.participant_id:
            raise ValueError("participant_id must not be empty")
        email = _normalise_email(self.email)
        if not email:
            raise ValueError(f"participant {self.participant_id!r} has no e-mail")
        if self.priority < 0:
            raise ValueError(f"participant {self.participant_id!r} has a negative priority")
        # object.__setattr__ is the documented way to normalise fields of a frozen dataclass.
        object.__setattr__(self, "email", email)
        object.__setattr__(self, "company", _clean_text(self.company))
        object.__setattr__(self, "department", _clean_text(self.department))
        object.__setattr__(self, "manager_chain", _unique(_normalise_email(e) for e in self.manager_chain))
        object.__setattr__(self, "languages", _unique(lang.strip().lower() for lang in self.languages))
        object.__setattr__(self, "tags", _unique(t.strip() for t in self.tags))

    @property
    def name(self) -> str:
        """How explanations refer to the person."""
        return self.display_name or self.participant_id


@dataclass(frozen=True)
class MenteeProfile(_Participant):
    """A mentee as the matching engine sees them; ``tags`` are their goals.

    ``ranked_mentor_ids`` are the mentee's own choices of mentor, best first;
    ``ranked_topics`` the topics they ranked, most important first, scored against the
    mentor's expertise like goals but weighing more the higher they rank; ``priority``
    counts the earlier rounds they were left unmatched in.
    """

    ranked_mentor_ids: tuple[str, ...] = ()
    ranked_topics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _Participant.__post_init__(self)
        object.__setattr__(self, "ranked_mentor_ids", tuple(self.ranked_mentor_ids))
        object.__setattr__(self, "ranked_topics", _unique(t.strip() for t in self.ranked_topics))


@dataclass(frozen=True)
class MentorProfile(_Participant):
    """A mentor as the matching engine sees them; ``tags`` are their areas of expertise.

    ``capacity`` is how many mentees they take this round; 0 means none.
    """

    capacity: int = 1

    def __post_init__(self) -> None:
        _Participant.__post_init__(self)
        if self.capacity < 0:
            raise ValueError(f"mentor {self.participant_id!r} has a negative capacity")


class Rule(StrEnum):
    """Hard rules; a pair breaking any one of them is never proposed."""

    SELF = "self"
    CROSS_COMPANY = "cross_company"
    SAME_DEPARTMENT = "same_department"
    MANAGER_CHAIN = "manager_chain"
    SHARED_LANGUAGE = "shared_language"
    REPEAT_PAIR = "repeat_pair"


class ReasonCode(StrEnum):
    """Stable identifiers of reasons; translations key on these, never on the English text."""

    # Why a pair was made.
    SHARED_GOALS = "shared_goals"
    SHARED_LANGUAGES = "shared_languages"
    SENIORITY_GAP = "seniority_gap"
    TIMEZONE_GAP = "timezone_gap"
    RANKED_CHOICE = "ranked_choice"
    RANKED_TOPICS = "ranked_topics"
    WAITED_BEFORE = "waited_before"
    # Why someone is unmatched.
    DUPLICATE_PROFILE = "duplicate_profile"
    NO_MENTOR_PLACES = "no_mentor_places"
    NO_SHARED_LANGUAGE = "no_shared_language"
    NO_COMPATIBLE_MENTOR = "no_compatible_mentor"
    MENTORS_FULL = "mentors_full"
    NOT_SELECTED = "not_selected"
    MENTOR_CAPACITY_ZERO = "mentor_capacity_zero"
    NO_MENTEES = "no_mentees"
    NO_COMPATIBLE_MENTEE = "no_compatible_mentee"
    NO_MENTEE_CHOSE = "no_mentee_chose"
    SPARE_CAPACITY = "spare_capacity"


@dataclass(frozen=True)
class Reason:
    """One machine-readable reason: ``code`` plus the parameters a translated sentence needs."""

    code: ReasonCode
    params: Mapping[str, ParamValue] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class MatchedPair:
    """A proposed mentee-mentor pair with its score and why it was made."""

    mentee_id: str
    mentor_id: str
    score: float
    mentee_rank_of_mentor: int | None
    reasons: tuple[Reason, ...]
    explanation: str


@dataclass(frozen=True)
class UnmatchedParticipant:
    """A mentee left without a mentor, or a mentor with places left free, and why."""

    participant_id: str
    role: Role
    reason: Reason
    explanation: str

    @property
    def code(self) -> ReasonCode:
        return self.reason.code


@dataclass(frozen=True)
class MatchFigures:
    """Cohort-level numbers of one matching run.

    ``mentees`` and ``mentors`` count distinct people (duplicates removed);
    ``places`` is the sum of their capacities. ``ranked_choice_share`` is the share
    of matched mentees who ranked at least one mentor taking part in the round
    and got one of their ranked mentors (None when no such mentee was matched),
    so mentees who ranked nobody neither raise nor lower it.
    """

    mentees: int
    mentors: int
    places: int
    matched: int
    unmatched_mentees: int
    free_places: int
    duplicates: int
    total_score: float
    mean_score: float | None
    min_score: float | None
    ranked_choice_share: float | None
    solver: Literal["exact", "sparse", "auction", "stable"]
    objective: Literal["max_score", "max_matched"]


@dataclass(frozen=True)
class MatchResult:
    """Everything one matching run proposes; nothing is persisted by the engine itself."""

    pairs: tuple[MatchedPair, ...]
    unmatched: tuple[UnmatchedParticipant, ...]
    figures: MatchFigures

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready representation (enums serialise as their string codes)."""
        return dataclasses.asdict(self)

"""Matching runs: the record of one cohort matching, and the lease that lets only one run per programme at a time.

A run keeps what a coordinator reviews afterwards: when and why it ran, the cohort
figures, who was left unmatched and why, and which pairs it proposed. The engine's
value objects (``chalicelib.domain.matching``) are turned into JSON-ready fields here,
so that storage never needs to know the engine.

Personal data stays out of a run: people appear by participant id only, and the
e-mail address the engine names in a duplicate-profile reason is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.common import DomainModel, new_id, stable_id
from chalicelib.domain.matching import MatchedPair, MatchFigures, Reason, ReasonCode, UnmatchedParticipant

RunTrigger = Literal["api", "schedule", "rematch"]
#: ``queued``: too large for an API call, waiting for the matching job; ``running``: claimed by it.
RunStatus = Literal["queued", "running", "done", "failed"]
WAITING_STATUSES: frozenset[RunStatus] = frozenset({"queued", "running"})
#: A run that broke its job this many times (a bug, not a lapse) is marked failed instead of retried forever.
MAX_RUN_ATTEMPTS = 3

# Longer than a Lambda function may run (15 minutes), so a lease never ends under a run that is still writing.
LEASE_DURATION = timedelta(minutes=16)

RUN_ID_PATTERN = r"^[A-Za-z0-9_-]{1,100}$"


def new_run_id() -> str:
    return new_id("run")


def scheduled_run_id(tenant_id: str, programme_id: str, matching_date: date) -> str:
    """The one run id of a programme's scheduled matching on a date: a second attempt finds it stored."""
    return stable_id("run", tenant_id, programme_id, "schedule", matching_date.isoformat())


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _json_ready(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(inner) for inner in value]
    return value


def reason_record(reason: Reason) -> dict[str, Any]:
    """A reason as stored on pairs and runs: its stable code and JSON-ready parameters."""
    params = _json_ready(reason.params)
    if reason.code is ReasonCode.DUPLICATE_PROFILE:
        params.pop("email", None)
    return {"code": reason.code.value, "params": params}


class RunFigures(BaseModel):
    """Cohort-level numbers of a run, as the engine counted them."""

    model_config = ConfigDict(extra="forbid")

    mentees: int = Field(ge=0)
    mentors: int = Field(ge=0)
    places: int = Field(ge=0)
    matched: int = Field(ge=0)
    unmatched_mentees: int = Field(ge=0)
    free_places: int = Field(ge=0)
    duplicates: int = Field(ge=0)
    mean_score: float | None = None
    min_score: float | None = None
    ranked_choice_share: float | None = Field(
        default=None, description="Share of matched mentees who ranked someone and got one of their choices."
    )
    solver: str
    objective: str

    @classmethod
    def planned(cls, *, mentees: int, mentors: int, places: int, solver: str, objective: str) -> RunFigures:
        """The figures of a run not computed yet: the cohort's size and the solver it is planned with."""
        return cls(
            mentees=mentees,
            mentors=mentors,
            places=places,
            matched=0,
            unmatched_mentees=0,
            free_places=0,
            duplicates=0,
            solver=solver,
            objective=objective,
        )

    @classmethod
    def of(cls, figures: MatchFigures) -> RunFigures:
        return cls(
            mentees=figures.mentees,
            mentors=figures.mentors,
            places=figures.places,
            matched=figures.matched,
            unmatched_mentees=figures.unmatched_mentees,
            free_places=figures.free_places,
            duplicates=figures.duplicates,
            mean_score=figures.mean_score,
            min_score=figures.min_score,
            ranked_choice_share=figures.ranked_choice_share,
            solver=figures.solver,
            objective=figures.objective,
        )


class UnmatchedEntry(BaseModel):
    """One person a run left unmatched (a mentee) or with places free (a mentor), and why."""

    model_config = ConfigDict(extra="forbid")

    participant_id: str
    role: Literal["mentee", "mentor"]
    code: str
    params: dict[str, Any] = Field(default_factory=dict)
    sentence: str

    @classmethod
    def of(cls, unmatched: UnmatchedParticipant) -> UnmatchedEntry:
        record = reason_record(unmatched.reason)
        sentence = unmatched.explanation
        email = unmatched.reason.params.get("email")
        if unmatched.code is ReasonCode.DUPLICATE_PROFILE and isinstance(email, str) and email:
            sentence = sentence.replace(f" ({email})", "")
        return cls(
            participant_id=unmatched.participant_id,
            role=unmatched.role,
            code=record["code"],
            params=record["params"],
            sentence=sentence,
        )


class Proposal(BaseModel):
    """A pair a run proposed, with its score and why; ``pair_id`` is None in a dry run."""

    model_config = ConfigDict(extra="forbid")

    pair_id: str | None
    mentee_id: str
    mentor_id: str
    score: float
    mentee_rank_of_mentor: int | None
    reasons: list[dict[str, Any]]
    explanation: str

    @classmethod
    def of(cls, matched: MatchedPair, pair_id: str | None) -> Proposal:
        return cls(
            pair_id=pair_id,
            mentee_id=matched.mentee_id,
            mentor_id=matched.mentor_id,
            score=matched.score,
            mentee_rank_of_mentor=matched.mentee_rank_of_mentor,
            reasons=[reason_record(r) for r in matched.reasons],
            explanation=matched.explanation,
        )


class MatchRunSummary(BaseModel):
    """A run without its per-person lists: what listings show."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    tenant_id: str
    programme_id: str
    trigger: RunTrigger
    dry_run: bool
    requested_at: datetime
    finished_at: datetime | None
    matching_date: date | None
    figures: RunFigures
    pairs_proposed: int
    pairs_skipped: int
    unmatched_by_reason: dict[str, int]
    status: RunStatus = "done"
    reason: str | None = None
    claimed_until: datetime | None = None
    attempts: int = 0


class MatchRun(DomainModel):
    """One matching of a programme's cohort (or of a few mentees, for a rematch) and what it proposed.

    ``pairs_skipped`` counts proposals not stored because the mentee had been given a
    pair by a concurrent change between reading the cohort and writing.
    """

    run_id: str = Field(default_factory=new_run_id, pattern=RUN_ID_PATTERN)
    tenant_id: str
    programme_id: str
    trigger: RunTrigger
    dry_run: bool = False
    requested_at: datetime
    finished_at: datetime | None = None
    matching_date: date | None = Field(default=None, description="The scheduled matching date this run was for.")
    mentee_ids: list[str] = Field(default_factory=list, description="A rematch's mentees; empty = whole cohort.")
    figures: RunFigures
    unmatched: list[UnmatchedEntry] = Field(default_factory=list)
    pair_ids: list[str] = Field(default_factory=list)
    pairs_skipped: int = Field(default=0, ge=0)
    status: RunStatus = Field(
        default="done", description="queued → running → done or failed; most runs are done at once."
    )
    reason: str | None = Field(default=None, description="Why the run was queued, or why it failed.")
    claimed_until: datetime | None = Field(
        default=None, description="A running run's claim; once past, it is run again."
    )
    attempts: int = Field(default=0, ge=0, description="How often the matching job has started this run.")

    def claimable(self, now: datetime) -> bool:
        """Queued, or running under a claim that lapsed (its job was stopped midway)."""
        if self.status == "queued":
            return True
        return self.status == "running" and (self.claimed_until is None or self.claimed_until <= now)

    def claim(self, now: datetime) -> None:
        self.status = "running"
        self.claimed_until = now + LEASE_DURATION
        self.attempts += 1

    def fail(self, reason: str, now: datetime) -> None:
        self.status = "failed"
        self.reason = reason
        self.claimed_until = None
        self.finished_at = now

    def unmatched_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.unmatched:
            key = f"{entry.role}:{entry.code}"
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def summary(self) -> MatchRunSummary:
        return MatchRunSummary(
            run_id=self.run_id,
            tenant_id=self.tenant_id,
            programme_id=self.programme_id,
            trigger=self.trigger,
            dry_run=self.dry_run,
            requested_at=self.requested_at,
            finished_at=self.finished_at,
            matching_date=self.matching_date,
            figures=self.figures,
            pairs_proposed=len(self.pair_ids),
            pairs_skipped=self.pairs_skipped,
            unmatched_by_reason=self.unmatched_by_reason(),
            status=self.status,
            reason=self.reason,
            claimed_until=self.claimed_until,
            attempts=self.attempts,
        )


class MatchingLease(DomainModel):
    """Who may write a programme's matching now: one run at a time, each holding the lease until it is done.

    A lease whose ``held_until`` has passed is free, so a run that died never blocks the next.
    """

    tenant_id: str
    programme_id: str
    run_id: str | None = None
    held_until: datetime | None = None
    updated_at: datetime

    def held_by_other(self, run_id: str, now: datetime) -> bool:
        return self.run_id not in (None, run_id) and self.held_until is not None and self.held_until > now

    def take(self, run_id: str, now: datetime) -> None:
        self.run_id = run_id
        self.held_until = now + LEASE_DURATION
        self.updated_at = now

    def release(self, now: datetime) -> None:
        self.run_id = None
        self.held_until = None
        self.updated_at = now

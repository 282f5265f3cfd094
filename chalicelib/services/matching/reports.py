"""What the matching services answer: a run's report, a pair's outcome, a bulk approval, a page of pairs."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from chalicelib.domain.matching_run import MatchRun, Proposal, RunFigures
from chalicelib.domain.pair import Pair


class RunReport(BaseModel):
    """What a run proposed (stored unless ``run.dry_run``) and whom it left unmatched, with reasons."""

    run: MatchRun
    proposals: list[Proposal]
    proposals_total: int = Field(default=0, description="All proposals, where ``proposals`` shows only the first.")
    approved: int = 0
    waitlisted: int = 0

    @model_validator(mode="after")
    def _count(self) -> RunReport:
        self.proposals_total = max(self.proposals_total, len(self.proposals))
        return self

    def first(self, limit: int) -> RunReport:
        """The report with at most ``limit`` proposals, for answers that must stay small."""
        return self.model_copy(update={"proposals": self.proposals[:limit]})


class PairOutcome(BaseModel):
    """A pair after a coordinator's or mentor's action, and the rematch it led to (if any)."""

    pair: Pair
    rematch: RunReport | None = None
    rematch_deferred: bool = False


class SkippedPair(BaseModel):
    pair_id: str
    error: str
    message: str


class ApproveAllReport(BaseModel):
    approved: list[str]
    skipped: list[SkippedPair]


class PairPage(BaseModel):
    items: list[Pair]
    next_cursor: str | None = None


class NamedRunReport(RunReport):
    """A run's report as the API answers it: sentences in the programme's language, naming people."""

    figures: RunFigures | None = Field(default=None, description="The run's figures (also under ``run``).")
    names: dict[str, str] = Field(default_factory=dict, description="Participant id → name, for the ids above.")

"""Matching policy: the per-programme configuration of hard rules, weights and solver choice.

Lives with the matching engine because the engine is its only reader; the
programme aggregate embeds it so coordinators configure it through the admin API.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MatchWeights(BaseModel):
    """Relative weights of the soft criteria; the defaults let a programme with none set still match well.

    Every criterion is scored in [0, 1] before weighting, so a weight reads as
    "how many points a perfect fit on this criterion is worth". ``base`` is what
    any pair that passes the hard rules is worth on top: it keeps every feasible
    pair strictly above "unmatched" (worth 0), so the engine never leaves a mentee
    and a mentor with a free place apart when they could be paired.
    """

    model_config = ConfigDict(extra="forbid")

    tags: float = Field(default=4.0, ge=0, le=100)
    seniority: float = Field(default=2.0, ge=0, le=100)
    timezone: float = Field(default=1.0, ge=0, le=100)
    preference: float = Field(default=3.0, ge=0, le=100)
    priority: float = Field(default=2.0, ge=0, le=100)
    base: float = Field(default=1.0, gt=0, le=100)


class MatchingPolicy(BaseModel):
    """Hard rules, weights and solver of one programme's matching.

    Seniority is years of professional experience, as the sign-up forms ask it.
    ``seniority_gap_min``/``seniority_gap_max`` bound the preferred number of years
    more experience the mentor has than the mentee; outside that range the seniority
    score falls linearly to zero over ``seniority_falloff`` years.
    ``max_timezone_gap_hours`` is where the timezone score reaches zero (a soft
    limit, never a hard rule). ``solver="auto"`` uses the exact solver while
    mentees x mentor places stays within ``sparse_threshold`` and its estimated cost
    fits the run's budget; beyond that, whichever of "sparse" and "auction" is
    estimated cheaper. Both keep each mentee's ``sparse_k`` best mentors and each
    mentor's ``2 * sparse_k`` best mentees; "sparse" solves that graph exactly as a
    min-cost flow, where a mentor's places are a capacity, "auction" by bidding.
    An explicit "exact" runs as a min-cost flow over every feasible pair when that
    is cheaper than the dense matrix of every place.
    ``objective="max_matched"`` first maximises the number of pairs, then the
    score among those; ``"max_score"`` maximises the total score, where every
    feasible pair is worth at least ``weights.base`` more than leaving both
    people unmatched. ``solver="stable"`` ignores the objective.
    """

    model_config = ConfigDict(extra="forbid")

    cross_company: bool = False
    forbid_same_department: bool = True
    require_shared_language: bool = True
    forbid_repeat_pairs: bool = True
    seniority_gap_min: int = Field(default=3, ge=0, le=50, description="Preferred least years more experience.")
    seniority_gap_max: int = Field(default=10, ge=0, le=50, description="Preferred most years more experience.")
    seniority_falloff: float = Field(default=5.0, gt=0, le=50, description="Years over which the fit fades.")
    max_timezone_gap_hours: float = Field(default=12.0, ge=0, le=26)
    objective: Literal["max_score", "max_matched"] = "max_score"
    solver: Literal["auto", "exact", "sparse", "auction", "stable"] = "auto"
    sparse_threshold: int = Field(default=4_000_000, ge=1, le=10**10)
    sparse_k: int = Field(default=80, ge=1, le=1000)
    weights: MatchWeights = Field(default_factory=MatchWeights)
    auto_approve: bool = False
    mentor_acceptance_days: int | None = Field(default=None, ge=1, le=90)

"""Cohort-wide mentor-mentee matching: pure domain logic (numpy/scipy), no I/O.

``match_cohort`` is the entry point; ``score_table`` exposes the pair scores it
optimises. Hard rules, weights and the solver come from ``MatchingPolicy``.
"""

from __future__ import annotations

from .engine import ScoreTable, choose_solver, match_cohort, score_table
from .model import (
    MatchedPair,
    MatchFigures,
    MatchResult,
    MenteeProfile,
    MentorProfile,
    Reason,
    ReasonCode,
    Rule,
    UnmatchedParticipant,
)
from .policy import MatchingPolicy, MatchWeights

__all__ = [
    "MatchFigures",
    "MatchResult",
    "MatchWeights",
    "MatchedPair",
    "MatchingPolicy",
    "MenteeProfile",
    "MentorProfile",
    "Reason",
    "ReasonCode",
    "Rule",
    "ScoreTable",
    "UnmatchedParticipant",
    "choose_solver",
    "match_cohort",
    "score_table",
]

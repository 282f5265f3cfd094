"""Cohort-wide mentor-mentee matching: pure domain logic (numpy/scipy), no I/O.

``match_cohort`` is the entry point; ``score_table`` exposes the pair scores it
optimises. Hard rules, weights and the solver come from ``MatchingPolicy``.

The engine is imported on first use: every programme embeds a ``MatchingPolicy``, so
this package is imported by every Lambda, and only the matching ones should pay for
loading numpy and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .policy import MatchingPolicy, MatchWeights

if TYPE_CHECKING:
    from .budget import JOB_BUDGET, CohortShape, MatchingBudget, MatchingBudgetExceeded, RunBudgets, plan_solver
    from .companies import normalise_company
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

_LAZY = {
    "JOB_BUDGET": "budget",
    "CohortShape": "budget",
    "MatchingBudget": "budget",
    "MatchingBudgetExceeded": "budget",
    "RunBudgets": "budget",
    "plan_solver": "budget",
    "normalise_company": "companies",
    "ScoreTable": "engine",
    "choose_solver": "engine",
    "match_cohort": "engine",
    "score_table": "engine",
    "MatchedPair": "model",
    "MatchFigures": "model",
    "MatchResult": "model",
    "MenteeProfile": "model",
    "MentorProfile": "model",
    "Reason": "model",
    "ReasonCode": "model",
    "Rule": "model",
    "UnmatchedParticipant": "model",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "JOB_BUDGET",
    "CohortShape",
    "MatchFigures",
    "MatchResult",
    "MatchWeights",
    "MatchedPair",
    "MatchingBudget",
    "MatchingBudgetExceeded",
    "MatchingPolicy",
    "MenteeProfile",
    "MentorProfile",
    "Reason",
    "ReasonCode",
    "Rule",
    "RunBudgets",
    "ScoreTable",
    "UnmatchedParticipant",
    "choose_solver",
    "match_cohort",
    "normalise_company",
    "plan_solver",
    "score_table",
]

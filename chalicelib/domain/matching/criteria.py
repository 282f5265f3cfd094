"""The soft criteria of a pair's score, each in [0, 1], and their tables over distinct values.

See ``scoring`` for how they add up to a pair's score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .types import FloatArray, IntArray

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: Score of a criterion that cannot be judged because a side did not say.
NEUTRAL = 0.5


def goal_weights(tags: Sequence[str], ranked_topics: Sequence[str]) -> dict[str, int]:
    """A mentee's goals, case-folded, by weight: 1 each, a ranked topic more the higher it ranks.

    Of ``n`` ranked topics the first weighs ``n + 1``, the last 2, so any ranked topic
    outweighs a goal merely listed. Whole numbers keep the shared-goal sums exact.
    """
    weights = {t.casefold(): 1 for t in tags}
    ranked = list(dict.fromkeys(t.casefold() for t in ranked_topics))
    for position, topic in enumerate(ranked):
        weights[topic] = 1 + len(ranked) - position
    return weights


def seniority_fit(mentee: FloatArray, mentor: FloatArray, gap_min: float, gap_max: float, falloff: float) -> FloatArray:
    """1 inside the preferred gap (mentor above mentee), linear to 0 over ``falloff`` levels outside."""
    gap = mentor - mentee
    outside = np.maximum(gap_min - gap, 0.0) + np.maximum(gap - gap_max, 0.0)
    fit = np.clip(1.0 - outside / falloff, 0.0, 1.0)
    return np.where(np.isnan(gap), NEUTRAL, fit)


def timezone_fit(mentee_hours: FloatArray, mentor_hours: FloatArray, limit: float) -> FloatArray:
    """1 for the same clock time, linear to 0 at ``limit`` hours apart."""
    hours = np.abs(mentor_hours - mentee_hours) % 24.0
    hours = np.minimum(hours, 24.0 - hours)
    # A zero limit means "same time zone or nothing", without dividing by zero.
    fit = np.clip(1.0 - hours / limit, 0.0, 1.0) if limit > 0 else (hours == 0).astype(np.float64)
    return np.where(np.isnan(hours), NEUTRAL, fit)


def waited_fit(mentee_rounds: FloatArray, mentor_rounds: FloatArray) -> FloatArray:
    """Mean of p / (p + 1): saturating, so one very long wait cannot outweigh every other criterion."""
    return (mentee_rounds / (mentee_rounds + 1.0) + mentor_rounds / (mentor_rounds + 1.0)) / 2.0


@dataclass(frozen=True)
class Lookup:
    """A weighted criterion that depends only on one attribute per side, tabulated over distinct values.

    Cohorts have few distinct seniorities, offsets and round counts, so a gather
    from a tiny table replaces a dozen arithmetic passes over every block.
    """

    mentee_codes: IntArray
    mentor_codes: IntArray
    table: FloatArray

    @classmethod
    def build(
        cls,
        mentee_values: FloatArray,
        mentor_values: FloatArray,
        criterion: Callable[[FloatArray, FloatArray], FloatArray],
        weight: float,
    ) -> Lookup:
        e_unique, e_codes = np.unique(mentee_values, return_inverse=True)
        m_unique, m_codes = np.unique(mentor_values, return_inverse=True)
        if e_unique.size == 0:
            e_unique = np.array([np.nan])
        if m_unique.size == 0:
            m_unique = np.array([np.nan])
        table = weight * criterion(e_unique[:, None], m_unique[None, :])
        return cls(e_codes.astype(np.intp), m_codes.astype(np.intp), np.ascontiguousarray(table))

    @classmethod
    def joint(cls, parts: Sequence[Lookup], constant: float) -> Lookup:
        """One table of ``constant`` plus every part, over the combinations of codes people have.

        A block then costs one gather instead of a gather and an addition per part.
        """
        e_unique, e_codes = np.unique(np.stack([p.mentee_codes for p in parts], axis=1), axis=0, return_inverse=True)
        m_unique, m_codes = np.unique(np.stack([p.mentor_codes for p in parts], axis=1), axis=0, return_inverse=True)
        if e_unique.shape[0] == 0:
            e_unique = np.zeros((1, len(parts)), dtype=np.intp)
        if m_unique.shape[0] == 0:
            m_unique = np.zeros((1, len(parts)), dtype=np.intp)
        table = np.zeros((e_unique.shape[0], m_unique.shape[0]), dtype=np.float64)
        for k, part in enumerate(parts):
            table += part.table[np.ix_(e_unique[:, k], m_unique[:, k])]
        table += constant
        return cls(e_codes.ravel().astype(np.intp), m_codes.ravel().astype(np.intp), table)

    def block(self, rows: IntArray, cols: IntArray | slice) -> FloatArray:
        return np.take(self.table[self.mentee_codes[rows]], self.mentor_codes[cols], axis=1)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        return self.table[self.mentee_codes[mentee_idx], self.mentor_codes[mentor_idx]]

"""Specifications of the sparse solver's candidate graph when blocks are scored on several threads."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

import numpy as np

from chalicelib.domain.matching import MatchingBudget, MatchingPolicy, MenteeProfile, MentorProfile, match_cohort
from chalicelib.domain.matching.candidates import candidate_edges
from chalicelib.domain.matching.scoring import BLOCK_CELLS, CohortMatrix

from .builders import random_cohort

P = TypeVar("P", MenteeProfile, MentorProfile)


def _copy(person: P, k: int) -> P:
    return replace(person, participant_id=f"{person.participant_id}-{k}", email=f"{k}.{person.email}")


def test_a_cohort_scored_on_two_threads_gets_the_same_candidates_and_pairs_as_on_one() -> None:
    # GIVEN a cohort of several blocks of scores (copies of a random one, under new names)
    base = random_cohort(3, n_mentees=250, n_mentors=200)
    mentees = [_copy(p, k) for k in range(10) for p in base.mentees]
    mentors = [_copy(p, k) for k in range(10) for p in base.mentors]
    policy = MatchingPolicy(solver="sparse")
    cm = CohortMatrix(mentees, mentors, policy, base.past_pairs)
    assert cm.n_mentees * cm.n_mentors > 2 * BLOCK_CELLS

    # WHEN the candidates are chosen, and the cohort matched, on one thread and on two
    one = candidate_edges(cm, 20, 40, tie_seed=7, threads=1)
    two = candidate_edges(cm, 20, 40, tie_seed=7, threads=2)
    alone = match_cohort(mentees, mentors, policy, base.past_pairs, budget=MatchingBudget(threads=1))
    shared = match_cohort(mentees, mentors, policy, base.past_pairs, budget=MatchingBudget(threads=2))

    # THEN the graphs are identical, edge for edge, and so are the proposed pairs
    for mine, theirs in zip(one, two, strict=True):
        assert np.array_equal(mine, theirs)
    assert [(p.mentee_id, p.mentor_id) for p in shared.pairs] == [(p.mentee_id, p.mentor_id) for p in alone.pairs]
    assert len(alone.pairs) > 500

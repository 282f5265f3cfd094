"""Entry point of cohort matching: de-duplicates profiles, runs the chosen solver, explains the result.

Pure domain code: callers load profiles and past pairs, call ``match_cohort`` and
persist or present the ``MatchResult`` themselves.

Determinism. Profiles are processed in participant-id order, so the result does
not depend on the order they are passed in. Of several profiles sharing an
e-mail (or a participant id) within one role, the one with the smallest
participant id is kept; the others are reported as ``duplicate_profile``, and a
mentee's ranked choice of a dropped mentor profile counts for the kept one, and so
does a past pair of a dropped profile (on either side), so a second sign-up cannot
bypass the no-repeat rule.

Budgets. The solver is planned (``budget.plan_solver``) from the cohort's shape
before anything large is allocated; a run that fits no allowed solver raises
``MatchingBudgetExceeded`` with the estimates as its reason.
"""

from __future__ import annotations

import gc
import os
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from . import explain
from .budget import CohortShape, MatchingBudget, SolverName, plan_solver
from .model import (
    MatchedPair,
    MatchFigures,
    MatchResult,
    MenteeProfile,
    MentorProfile,
    Role,
    Rule,
    UnmatchedParticipant,
)
from .policy import MatchingPolicy
from .reporting import reporting_lines
from .scoring import BoolArray, CohortMatrix, FloatArray, IntArray, single_threaded_blas
from .solvers import Assignment, solve_auction, solve_exact, solve_sparse
from .stable import solve_stable

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Sequence

P = TypeVar("P", MenteeProfile, MentorProfile)


@dataclass(frozen=True)
class ScoreTable:
    """Every pair's score; NaN where a hard rule forbids the pair (capacity aside)."""

    mentee_ids: tuple[str, ...]
    mentor_ids: tuple[str, ...]
    capacities: tuple[int, ...]
    scores: FloatArray


@dataclass(frozen=True)
class _Cohort:
    mentees: list[MenteeProfile]
    mentors: list[MentorProfile]
    duplicates: list[UnmatchedParticipant]
    #: Everyone above each person, from the chains of every profile given (duplicates and mentors
    #: without places too: what they say about the hierarchy stays true).
    lines: dict[str, frozenset[str]]


def _deduplicate(people: Iterable[P], role: Role) -> tuple[list[P], list[UnmatchedParticipant], dict[str, str]]:
    """Kept profiles, reports on dropped ones, and dropped id -> kept id."""
    kept: list[P] = []
    dropped: list[UnmatchedParticipant] = []
    alias: dict[str, str] = {}
    by_id: dict[str, P] = {}
    by_email: dict[str, P] = {}
    for person in sorted(people, key=lambda p: p.participant_id):
        original = by_id.get(person.participant_id) or by_email.get(person.email)
        if original is not None:
            reason, sentence = explain.duplicate(role, person.participant_id, original.participant_id, person.email)
            dropped.append(UnmatchedParticipant(person.participant_id, role, reason, sentence))
            alias[person.participant_id] = original.participant_id
            continue
        by_id[person.participant_id] = person
        by_email[person.email] = person
        kept.append(person)
    return kept, dropped, alias


def _prepare(
    mentees: Iterable[MenteeProfile],
    mentors: Iterable[MentorProfile],
    past_pairs: Collection[tuple[str, str]] = frozenset(),
) -> tuple[_Cohort, frozenset[tuple[str, str]]]:
    """The de-duplicated cohort, and the past pairs with dropped profiles' ids mapped to the kept ones."""
    mentees, mentors = list(mentees), list(mentors)
    lines = reporting_lines([*mentees, *mentors])
    mentee_list, mentee_dups, mentee_alias = _deduplicate(mentees, "mentee")
    mentor_list, mentor_dups, alias = _deduplicate(mentors, "mentor")
    if alias:
        mentee_list = [
            replace(p, ranked_mentor_ids=tuple(alias.get(m, m) for m in p.ranked_mentor_ids))
            if any(m in alias for m in p.ranked_mentor_ids)
            else p
            for p in mentee_list
        ]
    pairs = frozenset(past_pairs)
    if mentee_alias or alias:
        pairs |= {(mentee_alias.get(e, e), alias.get(r, r)) for e, r in pairs}
    return _Cohort(mentee_list, mentor_list, mentee_dups + mentor_dups, lines), pairs


def tie_seed(value: int | str | None) -> int:
    """A stable integer seed from a programme and round label (``hash()`` of a str varies per process)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return zlib.crc32(value.encode("utf-8"))


def score_table(
    mentees: Iterable[MenteeProfile],
    mentors: Iterable[MentorProfile],
    policy: MatchingPolicy | None = None,
    past_pairs: Collection[tuple[str, str]] = frozenset(),
) -> ScoreTable:
    """The full score matrix of the de-duplicated cohort, for audits, previews and tests.

    Dense by design: meant for cohorts that fit in memory as mentees x mentors floats.
    """
    policy = policy or MatchingPolicy()
    cohort, past_pairs = _prepare(mentees, mentors, past_pairs)
    cm = CohortMatrix(cohort.mentees, cohort.mentors, policy, past_pairs, cohort.lines)
    scores = np.full((cm.n_mentees, cm.n_mentors), np.nan)
    for rows in cm.row_blocks():
        s, ok = cm.masked_scores(rows)
        scores[rows] = np.where(ok, s, np.nan)
    return ScoreTable(
        tuple(p.participant_id for p in cohort.mentees),
        tuple(p.participant_id for p in cohort.mentors),
        tuple(p.capacity for p in cohort.mentors),
        scores,
    )


def choose_solver(
    policy: MatchingPolicy,
    mentees: int,
    places: int,
    mentors: int | None = None,
    budget: MatchingBudget | None = None,
) -> SolverName:
    """The solver ``policy.solver`` resolves to for a cohort of this size (``mentors`` defaults to one per place).

    Raises ``MatchingBudgetExceeded`` when none fits ``budget``.
    """
    shape = CohortShape(mentees, places if mentors is None else mentors, places, policy.sparse_k)
    return plan_solver(policy, shape, budget).solver


def match_cohort(
    mentees: Iterable[MenteeProfile],
    mentors: Iterable[MentorProfile],
    policy: MatchingPolicy | None = None,
    past_pairs: Collection[tuple[str, str]] = frozenset(),
    *,
    budget: MatchingBudget | None = None,
    tie_break: int | str | None = None,
) -> MatchResult:
    """Propose mentee-mentor pairs for a whole cohort under ``policy``.

    ``past_pairs`` holds (mentee participant id, mentor participant id) of earlier
    rounds; they are excluded when ``policy.forbid_repeat_pairs``. ``budget`` bounds
    the run's memory and time (the API default when None). ``tie_break`` seeds the
    order among equally good candidates; pass the programme id and round (for example
    ``"prog_1:2026-03"``) so it is reproducible yet changes from round to round.

    Raises
    ------
    MatchingBudgetExceeded
        When no allowed solver fits the budget; nothing has been allocated yet.
    """
    with _collector_paused():
        return _match(mentees, mentors, policy or MatchingPolicy(), past_pairs, budget, tie_break)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off for the run.

    A run makes hundreds of thousands of small objects (codes, reasons, sentences) and no
    reference cycles, which reference counting frees anyway; with the collector on, its
    passes over every live object took about 40% of the run's Python work (de-duplication,
    encoding, explanations) at 20,000 mentees.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _match(
    mentees: Iterable[MenteeProfile],
    mentors: Iterable[MentorProfile],
    policy: MatchingPolicy,
    past_pairs: Collection[tuple[str, str]],
    budget: MatchingBudget | None,
    tie_break: int | str | None,
) -> MatchResult:
    cohort, past_pairs = _prepare(mentees, mentors, past_pairs)
    active = [p for p in cohort.mentors if p.capacity > 0]
    n = len(cohort.mentees)
    capacity = np.array([min(p.capacity, n) for p in active], dtype=np.intp)
    shape = CohortShape(n, len(active), int(capacity.sum()), policy.sparse_k)
    plan = plan_solver(policy, shape, budget)
    solver = plan.solver
    threads = max(1, min((budget or MatchingBudget()).threads, os.cpu_count() or 1))
    cm = CohortMatrix(cohort.mentees, active, policy, past_pairs, cohort.lines)
    seed = tie_seed(tie_break)

    assignment: Assignment
    # The engine shares the cores out itself, block by block; BLAS threads of their own inside
    # each block would only contend with them (and spin on a Lambda's fraction of a core).
    with single_threaded_blas():
        if solver == "exact":
            assignment = solve_exact(cm, capacity, policy.objective, seed, by_flow=plan.estimate.by_flow)
        elif solver == "sparse":
            assignment = solve_sparse(cm, capacity, policy.objective, policy.sparse_k, seed, threads)
        elif solver == "auction":
            assignment = solve_auction(cm, capacity, policy.objective, policy.sparse_k, seed)
        else:
            assignment = solve_stable(cm, capacity, seed)
        pairs = _pairs(cm, cohort.mentees, active, assignment, policy)
        unmatched = _unmatched(cm, cohort, active, capacity, assignment)
    figures = _figures(cm, cohort, pairs, solver, policy)
    return MatchResult(pairs, unmatched, figures)


def _pairs(
    cm: CohortMatrix,
    mentees: Sequence[MenteeProfile],
    mentors: Sequence[MentorProfile],
    assignment: Assignment,
    policy: MatchingPolicy,
) -> tuple[MatchedPair, ...]:
    rows, cols = assignment
    scores = cm.pair_scores(rows, cols)
    ranks = cm.ranks.lookup(rows, cols)
    out = []
    for i, j, score, rank_value in zip(rows.tolist(), cols.tolist(), scores.tolist(), ranks.tolist(), strict=True):
        rank = int(rank_value) if rank_value else None
        reasons, sentence = explain.pair_reasons(mentees[i], mentors[j], rank, policy)
        out.append(MatchedPair(mentees[i].participant_id, mentors[j].participant_id, score, rank, reasons, sentence))
    return tuple(out)


def _unmatched(
    cm: CohortMatrix,
    cohort: _Cohort,
    active: Sequence[MentorProfile],
    capacity: IntArray,
    assignment: Assignment,
) -> tuple[UnmatchedParticipant, ...]:
    """Mentees without a mentor and mentors with free places, each role in participant-id order."""
    rows, cols = assignment
    matched = np.zeros(cm.n_mentees, dtype=np.bool_)
    matched[rows] = True
    assigned = np.bincount(cols, minlength=cm.n_mentors)
    mentees = _unmatched_mentees(cm, cohort, matched, assigned < capacity)
    mentors = _unmatched_mentors(cm, cohort, active, matched, assigned)
    mentees.extend(d for d in cohort.duplicates if d.role == "mentee")
    mentors.extend(d for d in cohort.duplicates if d.role == "mentor")
    mentees.sort(key=lambda u: u.participant_id)
    mentors.sort(key=lambda u: u.participant_id)
    return (*mentees, *mentors)


def _unmatched_mentees(
    cm: CohortMatrix, cohort: _Cohort, matched: BoolArray, has_space: BoolArray
) -> list[UnmatchedParticipant]:
    mentees = cohort.mentees
    out: list[UnmatchedParticipant] = []
    free_rows = np.flatnonzero(~matched).astype(np.intp)
    if cm.n_mentors == 0:
        for i in free_rows.tolist():
            reason, sentence = explain.no_places(mentees[i].name, len(cohort.mentors))
            out.append(UnmatchedParticipant(mentees[i].participant_id, "mentee", reason, sentence))
        return out
    for block in cm.row_blocks(free_rows):
        ok = cm.feasible(block)
        fitting = ok.sum(axis=1)
        fitting_with_space = (ok & has_space[None, :]).sum(axis=1)
        # Only a mentee nobody fits needs the count per rule.
        alone = np.flatnonzero(fitting == 0)
        per_rule = {rule: mask.sum(axis=1) for rule, mask in cm.violations(block[alone]).items()}
        position = {int(local): pos for pos, local in enumerate(alone)}
        for local, i in enumerate(block.tolist()):
            if fitting[local] == 0:
                counts = {rule: int(c[position[local]]) for rule, c in per_rule.items()}
                reason, sentence = explain.no_fit("mentee", mentees[i], counts, cm.n_mentors)
            else:
                reason, sentence = explain.mentee_not_placed(
                    mentees[i].name, int(fitting[local]), int(fitting_with_space[local])
                )
            out.append(UnmatchedParticipant(mentees[i].participant_id, "mentee", reason, sentence))
    return out


def _unmatched_mentors(
    cm: CohortMatrix,
    cohort: _Cohort,
    active: Sequence[MentorProfile],
    matched: BoolArray,
    assigned: IntArray,
) -> list[UnmatchedParticipant]:
    out: list[UnmatchedParticipant] = []
    for person in cohort.mentors:
        if person.capacity == 0:
            reason, sentence = explain.capacity_zero(person.name)
            out.append(UnmatchedParticipant(person.participant_id, "mentor", reason, sentence))

    # Only mentors nobody was assigned to need the (column-wise) rule diagnosis.
    idle = np.flatnonzero(assigned == 0).astype(np.intp)
    fitting = np.zeros(idle.size, dtype=np.intp)
    fitting_unmatched = np.zeros(idle.size, dtype=np.intp)
    if idle.size and cm.n_mentees:
        for block in cm.row_blocks(width=idle.size):
            ok = cm.feasible(block, idle)
            fitting += ok.sum(axis=0)
            fitting_unmatched += (ok & ~matched[block, None]).sum(axis=0)
    per_rule = _rule_counts_by_mentor(cm, idle[fitting == 0])

    idle_pos = {j: pos for pos, j in enumerate(idle.tolist())}
    for j, person in enumerate(active):
        pos = idle_pos.get(j)
        if pos is None:
            if assigned[j] >= person.capacity:
                continue
            reason, sentence = explain.spare_capacity(person.name, person.capacity, int(assigned[j]))
        elif cm.n_mentees == 0:
            reason, sentence = explain.no_mentees(person.name)
        elif fitting[pos] == 0:
            counts = {rule: int(c[j]) for rule, c in per_rule.items()}
            reason, sentence = explain.no_fit("mentor", person, counts, cm.n_mentees)
        else:
            reason, sentence = explain.mentor_not_chosen(
                person.name, person.capacity, int(fitting[pos]), int(fitting_unmatched[pos])
            )
        out.append(UnmatchedParticipant(person.participant_id, "mentor", reason, sentence))
    return out


def _rule_counts_by_mentor(cm: CohortMatrix, cols: IntArray) -> dict[Rule, dict[int, int]]:
    """For mentors nobody fits, how many mentees each hard rule excludes, by mentor column."""
    totals: dict[Rule, IntArray] = {}
    if cols.size and cm.n_mentees:
        for block in cm.row_blocks(width=cols.size):
            for rule, mask in cm.violations(block, cols).items():
                totals[rule] = totals.get(rule, np.zeros(cols.size, dtype=np.intp)) + mask.sum(axis=0)
    return {rule: dict(zip(cols.tolist(), counts.tolist(), strict=True)) for rule, counts in totals.items()}


def _figures(
    cm: CohortMatrix,
    cohort: _Cohort,
    pairs: Sequence[MatchedPair],
    solver: SolverName,
    policy: MatchingPolicy,
) -> MatchFigures:
    scores = [p.score for p in pairs]
    ranked_rows = set(cm.ranks.rows.tolist())
    mentee_ids_with_choices = {cohort.mentees[i].participant_id for i in ranked_rows}
    eligible = [p for p in pairs if p.mentee_id in mentee_ids_with_choices]
    places = sum(p.capacity for p in cohort.mentors)
    return MatchFigures(
        mentees=len(cohort.mentees),
        mentors=len(cohort.mentors),
        places=places,
        matched=len(pairs),
        unmatched_mentees=len(cohort.mentees) - len(pairs),
        free_places=places - len(pairs),
        duplicates=len(cohort.duplicates),
        total_score=float(sum(scores)),
        mean_score=float(np.mean(scores)) if scores else None,
        min_score=min(scores) if scores else None,
        ranked_choice_share=(
            sum(p.mentee_rank_of_mentor is not None for p in eligible) / len(eligible) if eligible else None
        ),
        solver=solver,
        objective=policy.objective,
    )

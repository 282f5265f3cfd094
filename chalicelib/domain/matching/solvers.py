"""Assignment algorithms over an encoded cohort: exact (dense or flow), sparse and auction (top-k graph).

The candidate graph is built in ``candidates``, repaired in ``repair``; the stable solver is ``stable``.

Every solver returns aligned arrays of (mentee row, mentor column) indices and
only ever proposes pairs that pass the hard rules, within each mentor's
capacity. Explanations and reporting live in ``engine``; scoring in ``scoring``.

Objective. "Unmatched" is worth 0 and every feasible pair is worth more than 0
(its score). ``max_score`` maximises the sum of pair scores, so a pair is only
left out when the places it would take earn more elsewhere. ``max_matched`` adds
to every feasible pair a bonus larger than any achievable total score, which
makes the number of pairs the first criterion and the score the second.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from .arrays import true_cells
from .auction import auction_assign, market_prices
from .candidates import Candidates, candidate_edges
from .flow import assign_flow
from .repair import gaining_pairs
from .scoring import CohortMatrix, FloatArray, IntArray
from .types import Assignment

Objective = Literal["max_score", "max_matched"]


def empty_assignment() -> Assignment:
    return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)


def sorted_assignment(mentees: IntArray, mentors: IntArray) -> Assignment:
    order = np.lexsort((mentors, mentees))
    return mentees[order].astype(np.intp), mentors[order].astype(np.intp)


def _cardinality_bonus(max_pair_score: float, max_pairs: int) -> float:
    """A per-pair bonus exceeding any total score, so one more pair always wins."""
    return max_pair_score * max(max_pairs, 1) + 1.0


def full_scores(cm: CohortMatrix) -> FloatArray:
    """The whole mentee x mentor matrix, infeasible pairs at 0."""
    out = np.empty((cm.n_mentees, cm.n_mentors), dtype=np.float64)
    for rows in cm.row_blocks():
        out[rows], _ = cm.masked_scores(rows)
    return out


# -- exact ---------------------------------------------------------------------------------------


def solve_exact(
    cm: CohortMatrix, capacity: IntArray, objective: Objective, tie_seed: int = 0, *, by_flow: bool = False
) -> Assignment:
    """The optimum, by ``linear_sum_assignment`` on the dense matrix or (``by_flow``) a min-cost flow.

    The dense form repeats each mentor's column once per place, so it suits few
    places; the flow takes every feasible pair once with the places as a capacity,
    so it suits many places per mentor. ``budget.exact_by_flow`` chooses.

    Dense form: infeasible pairs sit at 0, the worth of "unmatched", and are dropped from the
    answer. This is exact: any feasible partial matching extends to a full
    assignment of the same worth by padding with 0-cells, and any full assignment
    is worth exactly its feasible pairs, so both problems share the optimum.
    Needs no dummy columns, which keeps the dense matrix at mentees x places.
    """
    if cm.n_mentees == 0 or cm.n_mentors == 0:
        return empty_assignment()
    if by_flow:
        rows, cols, vals = feasible_edges(cm)
        worth = _worth(vals, objective, cm.max_pair_score, min(cm.n_mentees, int(capacity.sum())))
        return sorted_assignment(*assign_flow(rows, cols, worth, capacity, scale=None, tie_seed=tie_seed))
    scores = full_scores(cm)
    return assign_dense(scores, capacity, objective, cm.max_pair_score, tie_seed)


def assign_dense(
    scores: FloatArray, capacity: IntArray, objective: Objective, max_pair_score: float, tie_seed: int = 0
) -> Assignment:
    """Exact capacitated assignment on a dense score matrix where 0 means infeasible.

    Among optima, ``linear_sum_assignment`` favours earlier mentees; a non-zero
    ``tie_seed`` shuffles their order first, so equally good mentees take turns.
    """
    feasible = scores > 0
    rows = np.flatnonzero(feasible.any(axis=1))
    if tie_seed:
        rows = np.random.default_rng(tie_seed).permutation(rows)
    # A mentor never needs more places than the mentees who fit them.
    places = np.minimum(capacity, feasible.sum(axis=0))
    del feasible
    slot_owner = np.repeat(np.arange(scores.shape[1], dtype=np.intp), places)
    if rows.size == 0 or slot_owner.size == 0:
        return empty_assignment()
    # linear_sum_assignment copies a matrix that is taller than wide or that it
    # must negate; building it wide and already negated avoids both copies.
    slots_first = slot_owner.size <= rows.size
    if slots_first:
        matrix = np.ascontiguousarray(scores.T[np.ix_(slot_owner, rows)])
    else:
        matrix = np.ascontiguousarray(scores[np.ix_(rows, slot_owner)])
    if objective == "max_matched":
        matrix[matrix > 0] += _cardinality_bonus(max_pair_score, min(matrix.shape))
    np.negative(matrix, out=matrix)
    r, c = linear_sum_assignment(matrix)
    chosen = matrix[r, c] < 0
    r, c = r[chosen], c[chosen]
    if slots_first:
        return sorted_assignment(rows[c], slot_owner[r])
    return sorted_assignment(rows[r], slot_owner[c])


# -- sparse --------------------------------------------------------------------------------------


def feasible_edges(cm: CohortMatrix) -> tuple[IntArray, IntArray, FloatArray]:
    """Every feasible pair and its score, walked in row blocks."""
    edge_rows: list[IntArray] = []
    edge_cols: list[IntArray] = []
    edge_vals: list[FloatArray] = []
    for rows in cm.row_blocks():
        s, ok = cm.masked_scores(rows)
        r, c = true_cells(ok)
        edge_rows.append(rows[r])
        edge_cols.append(c)
        edge_vals.append(s[r, c])
    return np.concatenate(edge_rows), np.concatenate(edge_cols), np.concatenate(edge_vals)


def _bonus(objective: Objective, max_pair_score: float, max_pairs: int) -> float:
    """What the objective adds to every feasible pair's score: nothing, or the cardinality bonus."""
    return _cardinality_bonus(max_pair_score, max_pairs) if objective == "max_matched" else 0.0


def _worth(vals: FloatArray, objective: Objective, max_pair_score: float, max_pairs: int) -> FloatArray:
    bonus = _bonus(objective, max_pair_score, max_pairs)
    return vals + bonus if bonus else vals


#: Leftover mentees x open mentors up to which the leftovers are solved over every feasible pair.
_LEFTOVER_CELLS = 8_000_000


def fill_free_places(
    cm: CohortMatrix, capacity: IntArray, assignment: Assignment, objective: Objective = "max_score", k: int = 80
) -> Assignment:
    """Pair unmatched mentees with mentors who still have places, as well as those pairs can be made.

    Only the graph solvers need it: a fitting mentor outside a mentee's candidate
    list may still have a place, and taking it strictly raises the total. The
    leftovers are solved as a flow of their own: over every feasible pair while
    they are few, else over each unmatched mentee's ``k`` best open mentors, again
    while that still places someone. Never a walk over every pair in Python.
    """
    for _ in range(4):
        mentees, mentors = assignment
        spare = capacity - np.bincount(mentors, minlength=cm.n_mentors)
        open_cols = np.flatnonzero(spare > 0).astype(np.intp)
        matched = np.zeros(cm.n_mentees, dtype=np.bool_)
        matched[mentees] = True
        free_rows = np.flatnonzero(~matched).astype(np.intp)
        if open_cols.size == 0 or free_rows.size == 0:
            return assignment
        every_pair = free_rows.size * open_cols.size <= _LEFTOVER_CELLS
        cand_rows: list[IntArray] = []
        cand_cols: list[IntArray] = []
        cand_vals: list[FloatArray] = []
        for rows in cm.row_blocks(free_rows, width=open_cols.size):
            s, ok = cm.masked_scores(rows, open_cols)
            if every_pair or open_cols.size <= k:
                r, c = true_cells(ok)
                cand_rows.append(rows[r])
                cand_cols.append(open_cols[c])
                cand_vals.append(s[r, c])
                continue
            idx = np.argpartition(-s, k - 1, axis=1)[:, :k]
            vals = np.take_along_axis(s, idx, axis=1)
            keep = vals > 0
            cand_rows.append(np.broadcast_to(rows[:, None], idx.shape)[keep])
            cand_cols.append(open_cols[idx[keep]])
            cand_vals.append(vals[keep])
        rows_, cols_, vals_ = np.concatenate(cand_rows), np.concatenate(cand_cols), np.concatenate(cand_vals)
        if rows_.size == 0:
            return assignment
        worth = _worth(vals_, objective, cm.max_pair_score, min(free_rows.size, int(spare[open_cols].sum())))
        new_mentees, new_mentors = assign_flow(rows_, cols_, worth, np.maximum(spare, 0))
        if new_mentees.size == 0:
            return assignment
        assignment = sorted_assignment(np.concatenate([mentees, new_mentees]), np.concatenate([mentors, new_mentors]))
        if every_pair:
            return assignment
    return assignment


#: A graph whose mentees' own lists reach fewer than this share of the places it could fill
#: is priced before its flow. Measured on the bench cohorts: 0.63 and 0.36 with no goals
#: (10k and 20k), 0.965 and more on every other shape.
_CROWDED = 0.9
#: A flow that leaves more than this share of the places it could fill empty gets the pairs that would gain.
_CONGESTION = 0.01


def _fillable(graph: Candidates, capacity: IntArray, n_mentees: int) -> int:
    """How many pairs the graph could hold at most: mentees with an option, places with a candidate."""
    with_options = np.count_nonzero(np.bincount(graph.rows, minlength=n_mentees))
    return min(with_options, _places_reached(graph.cols, capacity))


def _places_reached(cols: IntArray, capacity: IntArray) -> int:
    """Places that edges to ``cols`` could fill: each mentor's, up to the edges it has."""
    return int(np.minimum(capacity, np.bincount(cols, minlength=capacity.size)).sum())


def _with_gaining_pairs(
    cm: CohortMatrix, graph: Candidates, assignment: Assignment, capacity: IntArray, bonus: float, k: int, tie_seed: int
) -> tuple[Candidates, FloatArray]:
    """The graph with the pairs its duals say would gain (``repair``), and every edge's worth."""
    graph = graph.union(gaining_pairs(cm, graph, assignment, capacity, bonus, k, tie_seed), cm.n_mentors)
    return graph, graph.scores + bonus


def solve_sparse(
    cm: CohortMatrix, capacity: IntArray, objective: Objective, k: int, tie_seed: int = 0, threads: int = 1
) -> Assignment:
    """Near-optimal assignment for large cohorts: the optimum of the candidate graph, by min-cost flow.

    Never holds the dense matrix, and a mentor's places are a capacity rather than
    copies of its edges, so mentors with many places cost no more than one.

    When scores hardly tell mentors apart (no goals, no rankings), every mentee's
    best mentors are the same few, and a graph of those cannot fill the places: on
    the bench's no-goals cohort the mentees' own lists reach 5,539 of 8,827 places,
    and the flow over the graph filled 7,140 of 8,730. Such a graph is priced first:
    a coarse auction over the mentees' own lists prices the mentors everyone wants,
    and each mentee's best mentors after those prices join the graph (99.36% of the
    optimum without them, 99.9967% with them).

    A flow that still leaves places open shows that the graph misses pairs the optimum
    needs (scores that tie in classes do this). The flow's duals then price every
    mentee and mentor, and the pairs that would gain at those prices join the graph
    for one more flow (``repair``).
    """
    if cm.n_mentees == 0 or cm.n_mentors == 0:
        return empty_assignment()
    max_pairs = min(cm.n_mentees, int(capacity.sum()))
    # Mentors hold several places, so they get a deeper list than mentees.
    graph = candidate_edges(cm, k, 2 * k, tie_seed, threads=threads)
    fillable = _fillable(graph, capacity, cm.n_mentees)
    listed = _places_reached(graph.cols[graph.own], capacity)
    passes = 0
    if listed < _CROWDED * fillable:
        own = graph.own
        passes += 1
        prices = market_prices(graph.rows[own], graph.cols[own], graph.scores[own], capacity)
        graph = _priced(cm, graph, prices, k, tie_seed + passes, threads)
    worth = _worth(graph.scores, objective, cm.max_pair_score, max_pairs)
    mentees, mentors = assign_flow(graph.rows, graph.cols, worth, capacity, tie_seed=tie_seed)
    fillable = _fillable(graph, capacity, cm.n_mentees)
    if fillable - mentees.size > _CONGESTION * fillable:
        passes += 1
        bonus = _bonus(objective, cm.max_pair_score, max_pairs)
        graph, worth = _with_gaining_pairs(cm, graph, (mentees, mentors), capacity, bonus, k, tie_seed + passes)
        mentees, mentors = assign_flow(graph.rows, graph.cols, worth, capacity, tie_seed=tie_seed)
    return fill_free_places(cm, capacity, sorted_assignment(mentees, mentors), objective, k)


def _priced(cm: CohortMatrix, graph: Candidates, prices: FloatArray, k: int, tie_seed: int, threads: int) -> Candidates:
    """The graph plus each mentee's best mentors by score less the mentor's price.

    A few priced options per mentee are enough: on the no-goals cohort, 10 reach the
    same total as 80, and add 0.2M edges to the graph's 1.2M instead of 0.8M.
    """
    more = candidate_edges(cm, max(k // 4, 1), 0, tie_seed, prices, threads)
    return graph.union(more._replace(own=np.zeros_like(more.own)), cm.n_mentors)


def solve_auction(cm: CohortMatrix, capacity: IntArray, objective: Objective, k: int, tie_seed: int = 0) -> Assignment:
    """Near-optimal assignment on the same candidate graph as ``solve_sparse``, by a forward auction.

    Kept for programmes that chose it; ``auto`` prefers the flow of ``solve_sparse``,
    which is exact on the same graph and faster on every measured shape.
    """
    if cm.n_mentees == 0 or cm.n_mentors == 0:
        return empty_assignment()
    graph = candidate_edges(cm, k, 2 * k, tie_seed)
    max_pairs = min(cm.n_mentees, int(capacity.sum()))
    worth = _worth(graph.scores, objective, cm.max_pair_score, max_pairs)
    outcome = auction_assign(graph.rows, graph.cols, worth, capacity)
    fillable = _fillable(graph, capacity, cm.n_mentees)
    if fillable - outcome.mentees.size > _CONGESTION * fillable:
        # The same repair as the flow's: the pairs that the graph's prices say would gain.
        bonus = _bonus(objective, cm.max_pair_score, max_pairs)
        assignment = (outcome.mentees, outcome.mentors)
        graph, worth = _with_gaining_pairs(cm, graph, assignment, capacity, bonus, k, tie_seed + 1)
        outcome = auction_assign(graph.rows, graph.cols, worth, capacity)
    assignment = sorted_assignment(outcome.mentees, outcome.mentors)
    return fill_free_places(cm, capacity, assignment, objective, k)

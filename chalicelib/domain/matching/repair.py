"""Repairing a candidate graph that leaves places open: the pairs its flow's duals say would gain.

When a flow over the candidate graph cannot fill the places the graph reaches, the
graph misses pairs the optimum needs (scores that tie in classes do this). The
flow's linear-programme duals price every mentee and mentor; a pair outside the
graph whose worth exceeds both prices would raise the optimum, and joins the graph.
"""

from __future__ import annotations

import numpy as np

from .arrays import first_occurrences
from .candidates import Candidates, Edges, Entries, tie_amplitude
from .flow import cost_scale
from .scoring import CohortMatrix, FloatArray, IntArray
from .types import Assignment

#: Most Bellman-Ford rounds for the duals. An optimal assignment's alternating paths are short
#: (1 to 47 rounds on the bench cohorts); a near-optimal one, such as the auction's, may hold a
#: cycle that gains, and its prices then stop here, still good enough to point at better pairs.
_DUAL_ROUNDS = 100


def duals(
    graph: Candidates, assignment: Assignment, capacity: IntArray, bonus: float, n_mentees: int
) -> tuple[FloatArray, FloatArray, float]:
    """Prices of mentees (``u``) and mentors (``v``) that prove ``assignment`` optimal on ``graph``, and their scale.

    They are the linear programme's duals: ``u[i] + v[j]`` is at least the worth of every
    edge and equal to it on every pair; unmatched mentees and mentors with a place left
    cost 0. Given an optimal assignment they are the longest alternating paths that end at a
    mentor with room (Bellman-Ford over mentors), computed on the integer costs the flow
    used, so ties cannot make the rounds creep by a rounding error.
    """
    mentees, mentors = assignment
    n_mentors = capacity.size
    worth = graph.scores + bonus
    scale = cost_scale(worth)
    w = np.rint(worth * scale).astype(np.int64)
    match = np.full(n_mentees, -1, dtype=np.intp)
    match[mentees] = mentors
    matched = match >= 0
    paired = match[graph.rows] == graph.cols
    held = np.zeros(n_mentees, dtype=np.int64)
    held[graph.rows[paired]] = w[paired]
    order = np.argsort(graph.cols[~paired], kind="stable")
    rows, cols, gains = graph.rows[~paired][order], graph.cols[~paired][order], w[~paired][order]
    starts = np.flatnonzero(np.concatenate([[True], cols[1:] != cols[:-1]])) if cols.size else np.zeros(0, np.intp)
    v = np.zeros(n_mentors, dtype=np.int64)
    full = np.bincount(mentors, minlength=n_mentors) >= capacity
    for _ in range(_DUAL_ROUNDS):
        u = np.where(matched, held - v[np.maximum(match, 0)], 0)
        best = np.zeros(n_mentors, dtype=np.int64)
        if starts.size:
            best[cols[starts]] = np.maximum(np.maximum.reduceat(gains - u[rows], starts), 0)
        best[~full] = 0
        if np.array_equal(best, v):
            break
        v = best
    u = np.where(matched, held - v[np.maximum(match, 0)], 0)
    return u / scale, v / scale, scale


def gaining_pairs(
    cm: CohortMatrix,
    graph: Candidates,
    assignment: Assignment,
    capacity: IntArray,
    bonus: float,
    k: int,
    tie_seed: int,
) -> Candidates:
    """Pairs outside the graph that would raise its optimum, priced by the graph's duals (``duals``).

    A pair gains when its worth exceeds what its mentee and its mentor already earn
    (``u[i] + v[j]``). Each mentee adds its ``k // 4`` best such mentors after prices, and
    each mentor with a place left its ``2 * k`` mentees who gain most by moving there.
    On a cohort whose scores tie in classes (five seniority levels, three time zones, as
    many places as mentees) the first graph fills 5,000 of 6,000 places; with these pairs
    the flow fills them all, at the optimum.
    """
    u, v, scale = duals(graph, assignment, capacity, bonus, cm.n_mentees)
    spare = capacity - np.bincount(assignment[1], minlength=capacity.size)
    open_cols = np.flatnonzero(spare > 0).astype(np.intp)
    q, depth = max(k // 4, 1), 2 * k
    rng = np.random.default_rng(tie_seed)
    amplitude = tie_amplitude(cm)
    tolerance = 0.5 / scale
    own: list[Edges] = []
    movers: list[Entries] = []
    for rows in cm.row_blocks():
        s = cm.feasible_scores(rows)
        # Worth after the mentor's price, jittered so that ties go to different mentors per mentee.
        priced = s + (bonus - v)[None, :]
        gains = (priced - u[rows, None] > tolerance) & (s > 0)
        key = np.where(gains, priced + rng.random(s.shape) * amplitude, -np.inf)
        own.append(_best_per_row(rows, s, key, q))
        if open_cols.size:
            # A mentor with room costs nothing, so a mentee gains there its priced worth less ``u``.
            gain = key[:, open_cols] - u[rows, None]
            if rows.size > depth:
                top = np.argpartition(-gain, depth - 1, axis=0)[:depth]
            else:
                top = np.broadcast_to(np.arange(rows.size, dtype=np.intp)[:, None], gain.shape)
            c = np.broadcast_to(np.arange(open_cols.size, dtype=np.intp), top.shape)
            keep = np.isfinite(gain[top, c])
            r, c = top[keep], c[keep]
            movers.append((rows[r], open_cols[c], s[r, open_cols[c]], -gain[r, c]))
    edges = [*own]
    if movers:
        rows_m, cols_m, scores_m, keys_m = (np.concatenate([m[i] for m in movers]) for i in range(4))
        order = np.lexsort((keys_m, cols_m))
        ranked = cols_m[order]
        best = order[np.arange(ranked.size) - np.searchsorted(ranked, ranked, side="left") < depth]
        edges.append((rows_m[best], cols_m[best], scores_m[best]))
    rows_out, cols_out, scores_out = (np.concatenate([e[i] for e in edges]) for i in range(3))
    first = first_occurrences(rows_out * cm.n_mentors + cols_out)
    return Candidates(rows_out[first], cols_out[first], scores_out[first], np.zeros(first.size, dtype=np.bool_))


def _best_per_row(rows: IntArray, scores: FloatArray, key: FloatArray, count: int) -> Edges:
    """Each row's ``count`` cells of highest finite ``key``, as edges with their scores."""
    if count < key.shape[1]:
        idx = np.argpartition(-key, count - 1, axis=1)[:, :count]
    else:
        idx = np.broadcast_to(np.arange(key.shape[1], dtype=np.intp), key.shape)
    keep = np.isfinite(np.take_along_axis(key, idx, axis=1))
    r = np.broadcast_to(rows[:, None], idx.shape)[keep]
    return r, idx[keep].astype(np.intp), np.take_along_axis(scores, idx, axis=1)[keep]

"""Assignment algorithms over an encoded cohort: exact (dense or flow), sparse and auction (top-k graph), stable.

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

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Literal, NamedTuple, TypeVar

import numpy as np
from scipy.optimize import linear_sum_assignment

from .auction import auction_assign, market_prices
from .flow import assign_flow, cost_scale
from .scoring import BoolArray, CohortMatrix, FloatArray, IntArray

Objective = Literal["max_score", "max_matched"]
Assignment = tuple[IntArray, IntArray]


def _empty() -> Assignment:
    return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)


def _sorted(mentees: IntArray, mentors: IntArray) -> Assignment:
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
        return _empty()
    if by_flow:
        rows, cols, vals = feasible_edges(cm)
        worth = _worth(vals, objective, cm.max_pair_score, min(cm.n_mentees, int(capacity.sum())))
        return _sorted(*assign_flow(rows, cols, worth, capacity, scale=None, tie_seed=tie_seed))
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
        return _empty()
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
        return _sorted(rows[c], slot_owner[r])
    return _sorted(rows[r], slot_owner[c])


# -- sparse --------------------------------------------------------------------------------------


class Candidates(NamedTuple):
    """Candidate edges, each (mentee row, mentor column) once, and which are among the mentee's own best."""

    rows: IntArray
    cols: IntArray
    scores: FloatArray
    own: BoolArray

    def union(self, other: Candidates, n_mentors: int) -> Candidates:
        """Both graphs' edges, each once (an edge in both keeps this graph's ``own``)."""
        rows, cols = np.concatenate([self.rows, other.rows]), np.concatenate([self.cols, other.cols])
        _, first = np.unique(rows * n_mentors + cols, return_index=True)
        return Candidates(
            rows[first],
            cols[first],
            np.concatenate([self.scores, other.scores])[first],
            np.concatenate([self.own, other.own])[first],
        )


def candidate_edges(
    cm: CohortMatrix,
    k: int,
    k_mentor: int,
    tie_seed: int = 0,
    prices: FloatArray | None = None,
    threads: int = 1,
) -> Candidates:
    """Each mentee's ``k`` best feasible mentors plus each mentor's ``k_mentor`` best feasible mentees.

    With ``prices`` (one per mentor), mentees rank mentors by score less price.

    Walks the matrix in row blocks, so only one block of scores exists at a time
    (``threads`` blocks at once when several threads score them).
    The mentor side keeps mentors who are nobody's favourite in the graph; without
    it, when mentees outnumber places, the graph misses the mentees those mentors
    should take and the total drops by about 1% on synthetic cohorts. A cell joins a
    mentor's list only when it beats the list's current last entry, so after the
    first blocks almost no cell needs more than one comparison.

    Ties are broken per mentee by a rotation of a shuffled mentor order, both drawn
    from ``tie_seed``: with the index order instead, identical mentees would all pick the
    same ``k`` mentors (the graph collapses when every score ties), and the same
    people would lose every tie round after round.

    The result does not depend on ``threads``: blocks are scored in any order but
    reach the mentor lists in one fixed order.
    """
    n, m = cm.n_mentees, cm.n_mentors
    k_row = min(k, m)
    k_col = min(k_mentor, n)
    rng = np.random.default_rng(tie_seed)
    rotation = rng.integers(0, max(m, 1), size=n)
    # Row i's jitter is a shuffled ramp rotated by rotation[i] (a window of it written out twice):
    # each mentee gets its own order of mentors, and neighbouring mentors' orders of the mentees
    # are unrelated. It stays far below real score differences, so it orders ties only.
    amplitude = min(cm.max_pair_score * 1e-4, cm.min_pair_score * 0.1)
    ramp = np.tile(rng.permutation(m).astype(np.float64) * (-amplitude / max(m, 1)), 2)
    windows = np.lib.stride_tricks.sliding_window_view(ramp, m)

    def score(rows: IntArray) -> tuple[FloatArray, FloatArray, FloatArray | None, _Edges]:
        """The block's scores, its keys for both mentor lists, and the mentees' own best edges."""
        s = cm.feasible_scores(rows)
        # Lower is better: minus the score, minus the jitter; an infeasible pair is never better.
        key = windows[rotation[rows]]
        key -= s
        if prices is not None:
            key += prices[None, :]
        np.copyto(key, np.inf, where=s <= 0)
        if k_row < m:
            idx = np.argpartition(key, k_row - 1, axis=1)[:, :k_row]
            # The mentee's k-th best key: argpartition leaves it at position k - 1.
            kth = np.take_along_axis(key, idx[:, k_row - 1 : k_row], axis=1)
        else:
            idx = np.broadcast_to(np.arange(m, dtype=np.intp), s.shape)
            kth = key.max(axis=1, keepdims=True)
        vals = np.take_along_axis(s, idx, axis=1)
        keep = vals > 0
        own = (np.broadcast_to(rows[:, None], idx.shape)[keep], idx[keep], vals[keep])
        if not k_col:
            return s, key, None, own
        # Half of each mentor's list ranks mentees by score, half by how the pair compares with
        # the mentee's own k-th best option: a mentee whose every pair scores high (a long wait, a
        # common profile) heads every mentor's list by score, and the graph would then offer the
        # other mentees no way to the mentors nobody lists first. A mentee with fewer than k
        # feasible mentors has them all in its own list, and is ranked by score here.
        relative = key - np.where(np.isfinite(kth), kth, 0.0)
        return s, key, relative, own

    pools = (_MentorPool(m, (k_col + 1) // 2, n), _MentorPool(m, k_col // 2, n)) if k_col else ()
    edges: list[_Edges] = []
    # In a random order every block is a fair sample, which lets the mentor lists close early.
    blocks = cm.row_blocks(rng.permutation(n).astype(np.intp))
    first_rows = next(blocks, None)
    if first_rows is None:
        rows, cols = _empty()
        return Candidates(rows, cols, np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.bool_))
    s, key, relative, own = score(first_rows)
    edges.append(own)
    if pools and relative is not None:
        pools[0].open(first_rows, s, key)
        pools[1].open(first_rows, s, relative)
    # Later blocks are tested against the bars the first block set: a list's bar only tightens,
    # so the cells they pass include every cell the current bar passes, and the lists, which
    # filter them again in block order, come out the same on any number of threads.
    bars = tuple(pool.bar for pool in pools)
    del s, key, relative

    def evaluate(rows: IntArray) -> tuple[IntArray, _Edges, tuple[_Entries, ...]]:
        s, key, relative, own = score(rows)
        if not bars or relative is None:
            return rows, own, ()
        return rows, own, (_below(rows, s, key, bars[0]), _below(rows, s, relative, bars[1]))

    for rows, own, offered in _in_order(evaluate, blocks, threads):
        edges.append(own)
        for pool, entries in zip(pools, offered, strict=False):
            pool.add(rows.size, entries)

    own_count = sum(e[0].size for e in edges)
    edges.extend(pool.entries() for pool in pools)
    all_rows = np.concatenate([e[0] for e in edges])
    all_cols = np.concatenate([e[1] for e in edges])
    all_vals = np.concatenate([e[2] for e in edges])
    # The mentees' own edges come first, so an edge also in a mentor's list keeps its first place.
    _, first = np.unique(all_rows * m + all_cols, return_index=True)
    return Candidates(all_rows[first], all_cols[first], all_vals[first], first < own_count)


#: (mentee rows, mentor columns, scores, keys) of some cells of a block.
_Entries = tuple[IntArray, IntArray, FloatArray, FloatArray]
#: (mentee rows, mentor columns, scores) of candidate edges.
_Edges = tuple[IntArray, IntArray, FloatArray]


def _below(rows: IntArray, scores: FloatArray, key: FloatArray, bar: FloatArray) -> _Entries:
    """The block's cells whose key is below their mentor's bar (never an infeasible one: its key is infinite)."""
    r, c = np.nonzero(key < bar[None, :])
    return rows[r], c.astype(np.intp), scores[r, c], key[r, c]


T = TypeVar("T")
R = TypeVar("R")


def _in_order(func: Callable[[T], R], items: Iterable[T], threads: int) -> Iterator[R]:
    """``map(func, items)`` over ``threads`` threads, yielding in order, with at most one result waiting per thread.

    numpy and scipy release the GIL in the work of a block, so threads share it out;
    the bounded window keeps the blocks in memory to a few.
    """
    if threads <= 1:
        yield from map(func, items)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class _MentorPool:
    """The ``size`` best feasible mentees of every mentor, by key (lower is better, infinite when infeasible).

    A cell enters a mentor's list only below the list's bar. Once a share ``f`` of the
    mentees has been seen, the list's ``2 * size * f``-th best key (never looser than
    its ``size``-th) stands for where the final ``size``-th best will be, with room to
    spare, so most cells need one comparison and the lists are sorted a few times only.
    """

    def __init__(self, n_mentors: int, size: int, n_mentees: int) -> None:
        self._size = size
        self._n_mentees = max(n_mentees, 1)
        self._seen = 0
        self._bar: FloatArray = np.full(n_mentors, np.inf, dtype=np.float64)
        self._rows: list[IntArray] = []
        self._cols: list[IntArray] = []
        self._vals: list[FloatArray] = []
        self._keys: list[FloatArray] = []
        self._pending = 0
        # Compacting sorts everything held, so it waits until the pool has grown well past its kept size.
        self._limit = 2 * max(n_mentors * size, 1 << 16)

    @property
    def bar(self) -> FloatArray:
        return self._bar.copy()

    def open(self, rows: IntArray, scores: FloatArray, key: FloatArray) -> None:
        """Take the first block, a sample too: its bars come from one partition, not a sort."""
        self._seen += rows.size
        rank = self._bar_rank()
        if rows.size > rank:
            self._bar = np.nextafter(np.partition(key, rank, axis=0)[rank], np.inf)
        self._append(_below(rows, scores, key, self._bar))

    def add(self, n_rows: int, entries: _Entries) -> None:
        """Take a later block's cells that passed an earlier bar, keeping those below the current one."""
        self._seen += n_rows
        rows, cols, vals, keys = entries
        keep = keys < self._bar[cols]
        self._append((rows[keep], cols[keep], vals[keep], keys[keep]))

    def _append(self, entries: _Entries) -> None:
        rows, cols, vals, keys = entries
        if rows.size == 0:
            return
        self._rows.append(rows)
        self._cols.append(cols)
        self._vals.append(vals)
        self._keys.append(keys)
        self._pending += rows.size
        if self._pending > self._limit:
            self._compact()

    def _compact(self) -> None:
        rows, cols = np.concatenate(self._rows), np.concatenate(self._cols)
        vals, keys = np.concatenate(self._vals), np.concatenate(self._keys)
        # One integer sort by (mentor, key). Keys have either sign: flipping the sign bit of
        # positive floats and every bit of negative ones orders their bits as their values; the
        # float32 rounding only merges keys closer than any real score difference.
        bits = keys.astype(np.float32).view(np.int32).astype(np.int64)
        ordered = np.where(bits < 0, -bits - 1, bits + (1 << 31))
        order = np.argsort((cols.astype(np.int64) << 32) | (ordered & 0xFFFFFFFF))
        cols = cols[order]
        rank = np.arange(cols.size) - np.searchsorted(cols, cols, side="left")
        ranked = rank < self._size
        keep = order[ranked]
        rows, cols, vals, keys, rank = rows[keep], cols[ranked], vals[keep], keys[keep], rank[ranked]
        at_bar = rank == self._bar_rank()
        self._bar[cols[at_bar]] = np.minimum(self._bar[cols[at_bar]], keys[at_bar])
        self._rows, self._cols, self._vals, self._keys = [rows], [cols], [vals], [keys]
        self._pending = rows.size

    def _bar_rank(self) -> int:
        share = self._seen / self._n_mentees
        return max(min(self._size, int(np.ceil(2 * self._size * share))) - 1, 0)

    def entries(self) -> tuple[IntArray, IntArray, FloatArray]:
        if not self._rows:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty.copy(), np.zeros(0, dtype=np.float64)
        self._compact()
        return self._rows[0], self._cols[0], self._vals[0]


def feasible_edges(cm: CohortMatrix) -> tuple[IntArray, IntArray, FloatArray]:
    """Every feasible pair and its score, walked in row blocks."""
    edge_rows: list[IntArray] = []
    edge_cols: list[IntArray] = []
    edge_vals: list[FloatArray] = []
    for rows in cm.row_blocks():
        s, ok = cm.masked_scores(rows)
        r, c = np.nonzero(ok)
        edge_rows.append(rows[r])
        edge_cols.append(c.astype(np.intp))
        edge_vals.append(s[r, c])
    return np.concatenate(edge_rows), np.concatenate(edge_cols), np.concatenate(edge_vals)


def _worth(vals: FloatArray, objective: Objective, max_pair_score: float, max_pairs: int) -> FloatArray:
    if objective == "max_matched":
        return vals + _cardinality_bonus(max_pair_score, max_pairs)
    return vals


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
                r, c = np.nonzero(ok)
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
        assignment = _sorted(np.concatenate([mentees, new_mentees]), np.concatenate([mentors, new_mentors]))
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
    return min(with_options, int(np.minimum(capacity, np.bincount(graph.cols, minlength=capacity.size)).sum()))


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
    for one more flow (``_improving``).
    """
    if cm.n_mentees == 0 or cm.n_mentors == 0:
        return _empty()
    max_pairs = min(cm.n_mentees, int(capacity.sum()))
    # Mentors hold several places, so they get a deeper list than mentees.
    graph = candidate_edges(cm, k, 2 * k, tie_seed, threads=threads)
    fillable = _fillable(graph, capacity, cm.n_mentees)
    listed = int(np.minimum(capacity, np.bincount(graph.cols[graph.own], minlength=capacity.size)).sum())
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
        bonus = float(_worth(np.zeros(1), objective, cm.max_pair_score, max_pairs)[0])
        passes += 1
        more = _improving(cm, graph, (mentees, mentors), capacity, bonus, k, tie_seed + passes)
        graph = graph.union(more, cm.n_mentors)
        worth = _worth(graph.scores, objective, cm.max_pair_score, max_pairs)
        mentees, mentors = assign_flow(graph.rows, graph.cols, worth, capacity, tie_seed=tie_seed)
    return fill_free_places(cm, capacity, _sorted(mentees, mentors), objective, k)


#: Most Bellman-Ford rounds for the duals. An optimal assignment's alternating paths are short
#: (1 to 47 rounds on the bench cohorts); a near-optimal one, such as the auction's, may hold a
#: cycle that gains, and its prices then stop here, still good enough to point at better pairs.
_DUAL_ROUNDS = 100


def _duals(
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


def _improving(
    cm: CohortMatrix,
    graph: Candidates,
    assignment: Assignment,
    capacity: IntArray,
    bonus: float,
    k: int,
    tie_seed: int,
) -> Candidates:
    """Pairs outside the graph that would raise its optimum, priced by the graph's duals (``_duals``).

    A pair gains when its worth exceeds what its mentee and its mentor already earn
    (``u[i] + v[j]``). Each mentee adds its ``k // 4`` best such mentors after prices, and
    each mentor with a place left its ``2 * k`` mentees who gain most by moving there.
    On a cohort whose scores tie in classes (five seniority levels, three time zones, as
    many places as mentees) the first graph fills 5,000 of 6,000 places; with these pairs
    the flow fills them all, at the optimum.
    """
    u, v, scale = _duals(graph, assignment, capacity, bonus, cm.n_mentees)
    spare = capacity - np.bincount(assignment[1], minlength=capacity.size)
    open_cols = np.flatnonzero(spare > 0).astype(np.intp)
    q, depth = max(k // 4, 1), 2 * k
    rng = np.random.default_rng(tie_seed)
    amplitude = min(cm.max_pair_score * 1e-4, cm.min_pair_score * 0.1)
    tolerance = 0.5 / scale
    own: list[_Edges] = []
    movers: list[_Entries] = []
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
    _, first = np.unique(rows_out * cm.n_mentors + cols_out, return_index=True)
    return Candidates(rows_out[first], cols_out[first], scores_out[first], np.zeros(first.size, dtype=np.bool_))


def _best_per_row(rows: IntArray, scores: FloatArray, key: FloatArray, count: int) -> _Edges:
    """Each row's ``count`` cells of highest finite ``key``, as edges with their scores."""
    if count < key.shape[1]:
        idx = np.argpartition(-key, count - 1, axis=1)[:, :count]
    else:
        idx = np.broadcast_to(np.arange(key.shape[1], dtype=np.intp), key.shape)
    keep = np.isfinite(np.take_along_axis(key, idx, axis=1))
    r = np.broadcast_to(rows[:, None], idx.shape)[keep]
    return r, idx[keep].astype(np.intp), np.take_along_axis(scores, idx, axis=1)[keep]


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
        return _empty()
    graph = candidate_edges(cm, k, 2 * k, tie_seed)
    max_pairs = min(cm.n_mentees, int(capacity.sum()))
    worth = _worth(graph.scores, objective, cm.max_pair_score, max_pairs)
    outcome = auction_assign(graph.rows, graph.cols, worth, capacity)
    fillable = _fillable(graph, capacity, cm.n_mentees)
    if fillable - outcome.mentees.size > _CONGESTION * fillable:
        # The same repair as the flow's: the pairs that the graph's prices say would gain.
        bonus = float(_worth(np.zeros(1), objective, cm.max_pair_score, max_pairs)[0])
        more = _improving(cm, graph, (outcome.mentees, outcome.mentors), capacity, bonus, k, tie_seed + 1)
        graph = graph.union(more, cm.n_mentors)
        worth = _worth(graph.scores, objective, cm.max_pair_score, max_pairs)
        outcome = auction_assign(graph.rows, graph.cols, worth, capacity)
    assignment = _sorted(outcome.mentees, outcome.mentors)
    return fill_free_places(cm, capacity, assignment, objective, k)


# -- stable --------------------------------------------------------------------------------------


def _best_first(row: FloatArray, count: int) -> IntArray:
    """The first ``count`` feasible mentors of a mentee's order (score high to low, then index).

    Always an exact prefix of the full order, so a longer prefix fetched later
    continues it consistently; most mentees never look past the first few.
    """
    fits = np.flatnonzero(row > 0)
    if fits.size > count:
        values = row[fits]
        cut = fits.size - count
        threshold = np.partition(values, cut)[cut]
        fits = fits[values >= threshold]
    order = np.lexsort((fits, -row[fits]))
    return fits[order][:count]


def solve_stable(cm: CohortMatrix, capacity: IntArray, tie_seed: int = 0) -> Assignment:
    """Mentee-proposing deferred acceptance with capacities.

    Both sides rank by pair score; ties go to the lower mentor index for mentees
    and, for mentors, to the lower mentee index (shuffled by a non-zero ``tie_seed``,
    so equally good mentees take turns), which makes both orders strict and the
    result deterministic. The objective has no effect here: every stable
    matching matches the same people (rural hospitals theorem).
    """
    n = cm.n_mentees
    if n == 0 or cm.n_mentors == 0:
        return _empty()
    scores = full_scores(cm)
    tie_rank = (np.random.default_rng(tie_seed).permutation(n) if tie_seed else np.arange(n)).tolist()
    preferences: list[list[int]] = [[] for _ in range(n)]
    complete = [False] * n
    next_choice = [0] * n
    # Per mentor, a min-heap keyed by how much the mentor likes each held mentee.
    held: list[list[tuple[float, int, int]]] = [[] for _ in range(cm.n_mentors)]
    free = deque(range(n))
    while free:
        i = free.popleft()
        while True:
            prefs = preferences[i]
            if next_choice[i] == len(prefs):
                if complete[i]:
                    break
                wanted = max(8, 4 * len(prefs))
                prefs = _best_first(scores[i], wanted).tolist()
                preferences[i] = prefs
                complete[i] = len(prefs) < wanted
                if next_choice[i] == len(prefs):
                    break
            j = prefs[next_choice[i]]
            next_choice[i] += 1
            entry = (float(scores[i, j]), -tie_rank[i], i)
            if len(held[j]) < capacity[j]:
                heapq.heappush(held[j], entry)
                break
            if held[j] and entry > held[j][0]:
                rejected = heapq.heapreplace(held[j], entry)
                free.append(rejected[2])
                break
    mentees = [i for heap in held for (_, _, i) in heap]
    mentors = [j for j, heap in enumerate(held) for _ in heap]
    return _sorted(np.array(mentees, dtype=np.intp), np.array(mentors, dtype=np.intp))

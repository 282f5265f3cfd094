"""The candidate graph of the sparse and auction solvers: each mentee's best mentors and each mentor's best mentees.

Scores are walked in row blocks (on several threads in the matching job), so the
whole mentee x mentor matrix never exists at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

from .arrays import first_occurrences, true_cells
from .scoring import BoolArray, CohortMatrix, FloatArray, IntArray

#: Ranking keys of cells, lower is better: float32 in the candidate pass, float64 in the repair.
Keys = NDArray[np.floating[Any]]
#: (mentee rows, mentor columns, scores, keys) of some cells of a block.
Entries = tuple[IntArray, IntArray, FloatArray, Keys]
#: (mentee rows, mentor columns, scores) of candidate edges.
Edges = tuple[IntArray, IntArray, FloatArray]
#: The exact (float64) scores of a block's cells, by row within the block and mentor column.
Exact = Callable[[IntArray, IntArray], FloatArray]


def tie_amplitude(cm: CohortMatrix) -> float:
    """How far random tie-breaks may move a score: far below any real difference between two scores."""
    return min(cm.max_pair_score * 1e-4, cm.min_pair_score * 0.1)


class Candidates(NamedTuple):
    """Candidate edges, each (mentee row, mentor column) once, and which are among the mentee's own best."""

    rows: IntArray
    cols: IntArray
    scores: FloatArray
    own: BoolArray

    def union(self, other: Candidates, n_mentors: int) -> Candidates:
        """Both graphs' edges, each once (an edge in both keeps this graph's ``own``)."""
        rows, cols = np.concatenate([self.rows, other.rows]), np.concatenate([self.cols, other.cols])
        first = first_occurrences(rows * n_mentors + cols)
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
    amplitude = tie_amplitude(cm)
    # Keys are float32, half the memory traffic of every pass over a block. They only choose
    # candidates (the edges keep their float64 scores), and a float32 step near the highest score
    # is still a thousandth of the jitter's amplitude, so ties stay broken.
    ramp = np.tile((rng.permutation(m) * (-amplitude / max(m, 1))).astype(np.float32), 2)
    windows = np.lib.stride_tricks.sliding_window_view(ramp, m)
    price_keys = None if prices is None else prices.astype(np.float32)

    def score(rows: IntArray) -> tuple[Exact, Keys, Keys | None, Edges]:
        """The block's exact scores of any cells, its keys for both mentor lists, and the mentees' own best edges."""
        ranking, block = cm.ranking_scores(rows)

        def exact(local: IntArray, cols: IntArray) -> FloatArray:
            return block[local, cols] if block is not None else cm.pair_scores(rows[local], cols)

        # Lower is better: minus the score, minus the jitter; an infeasible pair's key is infinite.
        key = windows[rotation[rows]]
        key -= ranking
        if price_keys is not None:
            key += price_keys[None, :]
        if k_row < m:
            idx = np.argpartition(key, k_row - 1, axis=1)[:, :k_row]
            # The mentee's k-th best key: argpartition leaves it at position k - 1.
            kth = np.take_along_axis(key, idx[:, k_row - 1 : k_row], axis=1)
        else:
            idx = np.broadcast_to(np.arange(m, dtype=np.intp), key.shape)
            kth = key.max(axis=1, keepdims=True)
        keep = np.isfinite(np.take_along_axis(key, idx, axis=1))
        local = np.broadcast_to(np.arange(rows.size, dtype=np.intp)[:, None], idx.shape)[keep]
        cols = idx[keep].astype(np.intp)
        own = (rows[local], cols, exact(local, cols))
        if not k_col:
            return exact, key, None, own
        # Half of each mentor's list ranks mentees by score, half by how the pair compares with
        # the mentee's own k-th best option: a mentee whose every pair scores high (a long wait, a
        # common profile) heads every mentor's list by score, and the graph would then offer the
        # other mentees no way to the mentors nobody lists first. A mentee with fewer than k
        # feasible mentors has them all in its own list, and is ranked by score here.
        relative = key - np.where(np.isfinite(kth), kth, 0.0)
        return exact, key, relative, own

    pools = (_MentorPool(m, (k_col + 1) // 2, n), _MentorPool(m, k_col // 2, n)) if k_col else ()
    edges: list[Edges] = []
    # In a random order every block is a fair sample, which lets the mentor lists close early.
    blocks = cm.row_blocks(rng.permutation(n).astype(np.intp))
    first_rows = next(blocks, None)
    if first_rows is None:
        empty = np.zeros(0, dtype=np.intp)
        return Candidates(empty, empty.copy(), np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.bool_))
    exact, key, relative, own = score(first_rows)
    edges.append(own)
    if pools and relative is not None:
        pools[0].open(first_rows, exact, key)
        pools[1].open(first_rows, exact, relative)
    # Later blocks are tested against the bars the first block set: a list's bar only tightens,
    # so the cells they pass include every cell the current bar passes, and the lists, which
    # filter them again in block order, come out the same on any number of threads.
    bars = tuple(pool.bar for pool in pools)
    del exact, key, relative

    def evaluate(rows: IntArray) -> tuple[IntArray, Edges, tuple[Entries, ...]]:
        exact, key, relative, own = score(rows)
        if not bars or relative is None:
            return rows, own, ()
        return rows, own, (_below(rows, exact, key, bars[0]), _below(rows, exact, relative, bars[1]))

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
    first = first_occurrences(all_rows * m + all_cols)
    return Candidates(all_rows[first], all_cols[first], all_vals[first], first < own_count)


def _below(rows: IntArray, exact: Exact, key: Keys, bar: Keys) -> Entries:
    """The block's cells whose key is below their mentor's bar (never an infeasible one: its key is infinite)."""
    r, c = true_cells(key < bar[None, :])
    return rows[r], c, exact(r, c), key[r, c]


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
        self._bar: Keys = np.full(n_mentors, np.inf, dtype=np.float32)
        self._rows: list[IntArray] = []
        self._cols: list[IntArray] = []
        self._vals: list[FloatArray] = []
        self._keys: list[Keys] = []
        self._pending = 0
        # Compacting sorts everything held, so it waits until the pool has grown well past its kept size.
        self._limit = 2 * max(n_mentors * size, 1 << 16)

    @property
    def bar(self) -> Keys:
        return self._bar.copy()

    def open(self, rows: IntArray, exact: Exact, key: Keys) -> None:
        """Take the first block, a sample too: its bars come from one partition, not a sort."""
        self._seen += rows.size
        rank = self._bar_rank()
        if rows.size > rank:
            self._bar = np.nextafter(np.partition(key, rank, axis=0)[rank], np.inf)
        self._append(_below(rows, exact, key, self._bar))

    def add(self, n_rows: int, entries: Entries) -> None:
        """Take a later block's cells that passed an earlier bar, keeping those below the current one."""
        self._seen += n_rows
        rows, cols, vals, keys = entries
        keep = keys < self._bar[cols]
        self._append((rows[keep], cols[keep], vals[keep], keys[keep]))

    def _append(self, entries: Entries) -> None:
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
        # (mentor, key) packed in one integer and sorted plainly, several times faster than an
        # argsort: each list's size-th best is then its cut, and every cell up to it stays (cells
        # tied with the cut stay too, a few more than ``size`` at most).
        packed = (cols.astype(np.int64) << 32) | _ordered_bits(keys)
        ranked = np.sort(packed)
        starts = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=self._bar.size))])
        held = np.diff(starts)
        cut = np.full(self._bar.size, np.iinfo(np.int64).max, dtype=np.int64)
        full = np.flatnonzero(held > self._size)
        cut[full] = ranked[starts[full] + self._size - 1]
        keep = packed <= cut[cols]
        rank = self._bar_rank()
        reached = np.flatnonzero(held > rank)
        self._bar[reached] = np.minimum(self._bar[reached], _key_of(ranked[starts[reached] + rank]))
        rows, cols, vals, keys = rows[keep], cols[keep], vals[keep], keys[keep]
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


def _ordered_bits(keys: Keys) -> IntArray:
    """Float32 keys as unsigned 32-bit integers in the same order.

    Keys have either sign: flipping the sign bit of positive floats and every bit of
    negative ones orders their bits as their values.
    """
    bits = keys.astype(np.float32).view(np.int32).astype(np.int64)
    return np.where(bits < 0, -bits - 1, bits + (1 << 31))


def _key_of(packed: IntArray) -> Keys:
    """The float32 key in the low 32 bits of packed (mentor, key) integers: ``_ordered_bits`` undone."""
    low = packed & 0xFFFFFFFF
    bits = np.where(low >= 1 << 31, low - (1 << 31), -low - 1)
    return bits.astype(np.int32).view(np.float32)

"""Assignment algorithms over an encoded cohort: exact (dense), sparse and auction (top-k graph), stable.

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
from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from .auction import auction_assign
from .scoring import CohortMatrix, FloatArray, IntArray

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


def solve_exact(cm: CohortMatrix, capacity: IntArray, objective: Objective, tie_seed: int = 0) -> Assignment:
    """Optimum by ``linear_sum_assignment`` with each mentor's column repeated once per place.

    Infeasible pairs sit at 0, the worth of "unmatched", and are dropped from the
    answer. This is exact: any feasible partial matching extends to a full
    assignment of the same worth by padding with 0-cells, and any full assignment
    is worth exactly its feasible pairs, so both problems share the optimum.
    Needs no dummy columns, which keeps the dense matrix at mentees x places.
    """
    if cm.n_mentees == 0 or cm.n_mentors == 0:
        return _empty()
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


def candidate_edges(
    cm: CohortMatrix, k: int, k_mentor: int, tie_seed: int = 0
) -> tuple[IntArray, IntArray, FloatArray]:
    """Each mentee's ``k`` best feasible mentors plus each mentor's ``k_mentor`` best feasible mentees.

    Walks the matrix in row blocks, so only one block of scores exists at a time.
    The mentor side keeps mentors who are nobody's favourite in the graph; without
    it, when mentees outnumber places, the graph misses the mentees those mentors
    should take and the total drops by about 1% on synthetic cohorts.

    Ties are broken per mentee by a rotation of the mentor order drawn from
    ``tie_seed``: with the index order instead, identical mentees would all pick the
    same ``k`` mentors (the graph collapses when every score ties), and the same
    people would lose every tie round after round.
    """
    n, m = cm.n_mentees, cm.n_mentors
    k_row = min(k, m)
    k_col = min(k_mentor, n)
    pool_scores: FloatArray = np.full((m, k_col), -np.inf)
    pool_rows: IntArray = np.full((m, k_col), -1, dtype=np.intp)
    edge_rows: list[IntArray] = []
    edge_cols: list[IntArray] = []
    edge_vals: list[FloatArray] = []
    rotation = np.random.default_rng(tie_seed).integers(0, max(m, 1), size=n)
    # Far below any real score difference, so the jitter only ever orders exact ties.
    jitter_scale = cm.max_pair_score * 1e-9 / max(m, 1)
    columns = np.arange(m, dtype=np.intp)
    for rows in cm.row_blocks():
        s, _ = cm.masked_scores(rows)
        if k_row < m:
            key = (columns[None, :] + rotation[rows, None]) % m * jitter_scale
            key -= s
            idx = np.argpartition(key, k_row - 1, axis=1)[:, :k_row]
            del key
        else:
            idx = np.broadcast_to(columns, s.shape)
        vals = np.take_along_axis(s, idx, axis=1)
        keep = vals > 0
        edge_rows.append(np.broadcast_to(rows[:, None], idx.shape)[keep])
        edge_cols.append(idx[keep])
        edge_vals.append(vals[keep])

        merged_scores = np.concatenate([pool_scores, s.T], axis=1)
        merged_rows = np.concatenate([pool_rows, np.broadcast_to(rows, (m, rows.size))], axis=1)
        top = np.argpartition(-merged_scores, k_col - 1, axis=1)[:, :k_col]
        pool_scores = np.take_along_axis(merged_scores, top, axis=1)
        pool_rows = np.take_along_axis(merged_rows, top, axis=1)

    keep = (pool_scores > 0) & (pool_rows >= 0)
    edge_rows.append(pool_rows[keep])
    edge_cols.append(np.broadcast_to(np.arange(m, dtype=np.intp)[:, None], pool_rows.shape)[keep])
    edge_vals.append(pool_scores[keep])

    all_rows = np.concatenate(edge_rows)
    all_cols = np.concatenate(edge_cols)
    all_vals = np.concatenate(edge_vals)
    _, first = np.unique(all_rows * m + all_cols, return_index=True)
    return all_rows[first], all_cols[first], all_vals[first]


def assign_sparse(
    rows: IntArray,
    cols: IntArray,
    weights: FloatArray,
    capacity: IntArray,
    objective: Objective,
    max_pair_score: float,
) -> Assignment:
    """Exact optimum on a sparse candidate graph, by LAPJVsp over mentees x mentor places.

    The smaller side (mentees, or places) forms the rows and each row gets a
    private dummy column worth 0, meaning "unmatched" or "place left free", so a
    full matching always exists. Costs are shifted by one constant (every row is
    matched exactly once), which keeps them positive as LAPJVsp needs without
    moving the optimum.
    """
    if rows.size == 0:
        return _empty()
    m = capacity.size
    places = np.minimum(capacity, np.bincount(cols, minlength=m))
    first_slot = np.concatenate([[0], np.cumsum(places)[:-1]]).astype(np.intp)
    n_slots = int(places.sum())
    slot_owner = np.repeat(np.arange(m, dtype=np.intp), places)
    mentee_rows, local_mentee = np.unique(rows, return_inverse=True)
    n_local = mentee_rows.size

    value = weights.astype(np.float64)
    if objective == "max_matched":
        value = value + _cardinality_bonus(max_pair_score, min(n_local, n_slots))
    shift = float(value.max()) + 1.0

    # One edge per (mentee, place) of each candidate mentor.
    copies = places[cols]
    ends = np.cumsum(copies)
    place_rank = np.arange(int(ends[-1]), dtype=np.intp) - np.repeat(ends - copies, copies)
    edge_mentee = np.repeat(local_mentee, copies)
    edge_slot = np.repeat(first_slot[cols], copies) + place_rank
    edge_cost = np.repeat(shift - value, copies)

    # LAPJVsp runs one shortest-path search per row, so the smaller side goes first.
    slots_first = n_slots < n_local
    n_first, n_second = (n_slots, n_local) if slots_first else (n_local, n_slots)
    first = edge_slot if slots_first else edge_mentee
    second = edge_mentee if slots_first else edge_slot
    dummies = np.arange(n_first, dtype=np.intp)
    graph = csr_array(
        (
            np.concatenate([edge_cost, np.full(n_first, shift)]),
            (np.concatenate([first, dummies]), np.concatenate([second, n_second + dummies])),
        ),
        shape=(n_first, n_second + n_first),
    )
    r, c = min_weight_full_bipartite_matching(graph)
    real = c < n_second
    r, c = r[real], c[real]
    if slots_first:
        return _sorted(mentee_rows[c], slot_owner[r])
    return _sorted(mentee_rows[r], slot_owner[c])


def fill_free_places(cm: CohortMatrix, capacity: IntArray, assignment: Assignment) -> Assignment:
    """Greedily pair unmatched mentees with mentors who still have places, best score first.

    Only the sparse solver needs it: a fitting mentor outside a mentee's candidate
    list may still have a place, and taking it strictly raises the total.
    """
    mentees, mentors = assignment
    spare = capacity - np.bincount(mentors, minlength=cm.n_mentors)
    open_cols = np.flatnonzero(spare > 0).astype(np.intp)
    matched = np.zeros(cm.n_mentees, dtype=np.bool_)
    matched[mentees] = True
    free_rows = np.flatnonzero(~matched).astype(np.intp)
    if open_cols.size == 0 or free_rows.size == 0:
        return assignment
    cand_rows: list[IntArray] = []
    cand_cols: list[IntArray] = []
    cand_vals: list[FloatArray] = []
    for rows in cm.row_blocks(free_rows, width=open_cols.size):
        s, ok = cm.masked_scores(rows, open_cols)
        r, c = np.nonzero(ok)
        cand_rows.append(rows[r])
        cand_cols.append(open_cols[c])
        cand_vals.append(s[r, c])
    all_rows = np.concatenate(cand_rows)
    all_cols = np.concatenate(cand_cols)
    all_vals = np.concatenate(cand_vals)
    new_mentees: list[int] = []
    new_mentors: list[int] = []
    to_place = free_rows.size
    places_left = int(spare[open_cols].sum())
    for pos in np.lexsort((all_cols, all_rows, -all_vals)):
        if not to_place or not places_left:
            break
        i, j = int(all_rows[pos]), int(all_cols[pos])
        if not matched[i] and spare[j] > 0:
            to_place -= 1
            places_left -= 1
            matched[i] = True
            spare[j] -= 1
            new_mentees.append(i)
            new_mentors.append(j)
    if not new_mentees:
        return assignment
    return _sorted(
        np.concatenate([mentees, np.array(new_mentees, dtype=np.intp)]),
        np.concatenate([mentors, np.array(new_mentors, dtype=np.intp)]),
    )


def solve_sparse(cm: CohortMatrix, capacity: IntArray, objective: Objective, k: int, tie_seed: int = 0) -> Assignment:
    """Near-optimal assignment for large cohorts without holding the dense matrix."""
    if cm.n_mentees == 0 or cm.n_mentors == 0:
        return _empty()
    # Mentors hold several places, so they get a deeper list than mentees.
    rows, cols, vals = candidate_edges(cm, k, 2 * k, tie_seed)
    assignment = assign_sparse(rows, cols, vals, capacity, objective, cm.max_pair_score)
    return fill_free_places(cm, capacity, assignment)


def solve_auction(cm: CohortMatrix, capacity: IntArray, objective: Objective, k: int, tie_seed: int = 0) -> Assignment:
    """Near-optimal assignment on the same candidate graph as ``solve_sparse``, without copying edges per place.

    For mentors with many places, where the replicated graph of ``assign_sparse``
    grows with edges x places.
    """
    if cm.n_mentees == 0 or cm.n_mentors == 0:
        return _empty()
    rows, cols, vals = candidate_edges(cm, k, 2 * k, tie_seed)
    if objective == "max_matched":
        vals = vals + _cardinality_bonus(cm.max_pair_score, min(cm.n_mentees, int(capacity.sum())))
    outcome = auction_assign(rows, cols, vals, capacity)
    assignment = _sorted(outcome.mentees, outcome.mentors)
    return fill_free_places(cm, capacity, assignment)


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

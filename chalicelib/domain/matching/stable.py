"""The stable solver: mentee-proposing deferred acceptance, for programmes that want no blocking pair."""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np

from .scoring import CohortMatrix, FloatArray, IntArray
from .solvers import Assignment, empty_assignment, full_scores, sorted_assignment


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
        return empty_assignment()
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
    return sorted_assignment(np.array(mentees, dtype=np.intp), np.array(mentors, dtype=np.intp))

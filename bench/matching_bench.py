"""Benchmark of cohort matching: the cohort shapes coordinators produce against a fair exact reference.

Run from the repository root:

    python -m bench.matching_bench [--cases typical-10k,capacity-50] [--out bench/results/matching.json]

Every case is a seeded synthetic cohort (``bench.synthetic.shaped_cohort``) of one
shape a coordinator can produce through the API. Each run happens in a fresh spawned
process, so its peak RSS (``ru_maxrss``: interpreter, numpy/scipy and the generated
profiles included) is its own:

* the default policy (``auto``), or the solver the case names, timed end to end by
  ``match_cohort`` (scoring, solving, explaining) under the API budget; a refusal
  (``MatchingBudgetExceeded``) is a result, recorded with its reason;
* the fair reference: ``scipy.optimize.linear_sum_assignment`` on the engine's own
  score matrix scaled to integers (x100, which keeps the float optimum on the bench
  cohorts), mentor columns repeated by capacity, no dummy columns, mentees nobody fits
  and places nobody could take left out (``fair_reference``). Its time is the
  assignment alone (scoring excluded, reported apart), so "x ref" is the strictest
  ratio ("x ref"). Cases whose reference matrix would pass ``--reference-cells`` skip it;
* the strongest reference: OR-tools' min-cost flow over every feasible pair of the same
  integer matrix, with each mentor's places as one arc's capacity (``flow_reference``),
  the same library the engine uses, on the whole problem rather than a candidate graph
  ("x flow"). Cases with more feasible pairs than ``--reference-edges`` skip it.
  A case that both references skip shows no share of the optimum.

The engine runs where the service would run it: within the API budget, or, for a real run
the service would queue, within the matching job's budget (the row says which).

At 2,000 x 700 the ``matching`` library's hospital/resident solver (a bench-only
dependency, see requirements-bench.txt) runs with ``--library``. Cases run one after
another so they do not compete for the cores; other work on the machine still does.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from bench.synthetic import generate_cohort, shaped_cohort

DEFAULT_OUT = "bench/results/matching.json"
LIBRARY_SIZE = (2000, 700)
SEED = 20240601
#: Integer scaling of scores for the reference, as an integer-cost assignment code would need.
SCALE = 100
#: Largest reference matrix (mentees x places) the bench builds: 200M cells is ~1.6 GB of float64,
#: and the 10k cohorts' 88M cells already take the reference minutes.
REFERENCE_CELLS = 200_000_000
#: Most feasible pairs the flow reference takes: 30M arcs peaked at about 5 GB.
REFERENCE_EDGES = 40_000_000

#: name -> (mentees, mentors, shape options, solver)
CASES: dict[str, tuple[int, int, dict[str, Any], str]] = {
    "typical-10k": (10_000, 3_500, {}, "auto"),
    "typical-20k": (20_000, 7_000, {}, "auto"),
    "capacity-50": (10_000, 200, {"capacity": 50}, "auto"),
    "capacity-1000": (10_000, 20, {"capacity": 1000}, "auto"),
    "tied-10k": (10_000, 3_500, {"tied": True}, "auto"),
    "tied-20k": (20_000, 7_000, {"tied": True}, "auto"),
    "free-text-10k": (10_000, 3_500, {"free_text": True}, "auto"),
    "no-goals-10k": (10_000, 3_500, {"bare": True}, "auto"),
    # Scores that tie in classes, with as many places as mentees: the candidate graph's weak shape.
    "tied-classes-6k": (6_000, 2_000, {"classes": True, "capacity": 3}, "auto"),
    "exact-20k": (20_000, 7_000, {}, "exact"),
    "exact-2k-capacity-1000": (2_000, 700, {"capacity": 1000}, "exact"),
}

Row = dict[str, Any]


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- cases (run inside a fresh process) ----------------------------------------------------------


def engine_case(solver: str, n_mentees: int, n_mentors: int, seed: int, shape: dict[str, Any] | None = None) -> Row:
    """Match the shaped cohort with ``solver`` ("auto" means the default policy) where the service would."""
    from chalicelib.domain.matching import MatchingBudgetExceeded, MatchingPolicy, match_cohort
    from chalicelib.domain.matching.budget import CohortShape, RunBudgets, place_run

    cohort = shaped_cohort(n_mentees, n_mentors, seed, **(shape or {}))
    baseline = _peak_rss_mb()
    policy = MatchingPolicy.model_validate({} if solver == "auto" else {"solver": solver})
    budgets = RunBudgets()
    start = time.perf_counter()
    try:
        places = sum(min(p.capacity, n_mentees) for p in cohort.mentors)
        where, _ = place_run(policy, CohortShape(n_mentees, n_mentors, places, policy.sparse_k), budgets)
        budget = budgets.api if where == "api" else budgets.job
        result = match_cohort(cohort.mentees, cohort.mentors, policy, cohort.past_pairs, budget=budget, tie_break=seed)
    except MatchingBudgetExceeded as refused:
        return {
            "solver": solver,
            "refused": refused.message,
            "seconds": time.perf_counter() - start,
            "peak_rss_mb": _peak_rss_mb(),
            "baseline_rss_mb": baseline,
        }
    seconds = time.perf_counter() - start
    figures = result.figures
    return {
        "solver": figures.solver,
        "runs_in": "API call" if where == "api" else "matching job (queued)",
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "matched": figures.matched,
        "mentees": figures.mentees,
        "places": figures.places,
        "total_score": figures.total_score,
    }


def fair_reference(scores: np.ndarray, capacities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference optimum: ``linear_sum_assignment`` on integer-scaled scores, one column per place.

    ``scores`` is mentees x mentors with NaN (or 0) where a hard rule forbids the pair.
    Each mentor's column is repeated once per place, there are no dummy columns, and the
    matrix is built in the orientation LSA solves without a copy (rows are whichever of
    places and mentees is fewer). What cannot change the optimum is left out first: a
    mentee nobody fits, and a mentor's places beyond the mentees who fit them. Returns
    the chosen feasible (mentee row, mentor column) pairs.

    Its time is set by the repeated columns: a mentor's places are identical columns,
    which LSA's shortest augmenting paths cross again and again (measured at 5,000 x
    1,750: 19-24 s with 4,311 places, 0.7 s with one column per mentor), while the
    integer scale, the dtype and the orientation change it by less than the machine's
    noise.
    """
    from scipy.optimize import linear_sum_assignment

    scores = np.nan_to_num(scores, nan=0.0)
    feasible = scores > 0
    rows = np.flatnonzero(feasible.any(axis=1))
    places = np.minimum(np.asarray(capacities, dtype=np.intp), feasible.sum(axis=0))
    del feasible
    owner = np.repeat(np.arange(scores.shape[1]), places)
    if rows.size == 0 or owner.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    # Negated integer costs: LSA minimises, and a wide matrix is used as it is.
    wide = owner.size >= rows.size
    costs = np.ascontiguousarray(scores[np.ix_(rows, owner)] if wide else scores.T[np.ix_(owner, rows)])
    costs *= -SCALE
    np.rint(costs, out=costs)
    r, c = linear_sum_assignment(costs)
    del costs
    row_pos, slot = (r, c) if wide else (c, r)
    mentee_idx, mentor_idx = rows[row_pos], owner[slot]
    chosen = scores[mentee_idx, mentor_idx] > 0
    return mentee_idx[chosen], mentor_idx[chosen]


def flow_reference(scores: np.ndarray, capacities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strongest reference we know: OR-tools' min-cost flow over every feasible pair.

    The same integer-scaled scores as ``fair_reference``; a mentor's places are the
    capacity of one arc, so nothing is repeated. It is the engine's own flow network
    (``assign_flow``) on the whole problem rather than a candidate graph. Returns the
    chosen (mentee, mentor) pairs.
    """
    from chalicelib.domain.matching.flow import assign_flow

    worth = np.nan_to_num(scores, nan=0.0)
    rows, cols = np.nonzero(worth > 0)
    return assign_flow(rows, cols, worth[rows, cols], np.asarray(capacities, dtype=np.intp), scale=SCALE)


def flow_reference_case(n_mentees: int, n_mentors: int, seed: int, shape: dict[str, Any], max_edges: int) -> Row:
    """``flow_reference`` on the engine's score matrix of the shaped cohort; arcs and solve are timed."""
    from chalicelib.domain.matching import MatchingPolicy, score_table

    cohort = shaped_cohort(n_mentees, n_mentors, seed, **shape)
    table = score_table(cohort.mentees, cohort.mentors, MatchingPolicy(), cohort.past_pairs)
    edges = int(np.count_nonzero(np.nan_to_num(table.scores, nan=0.0) > 0))
    if edges > max_edges:
        return {"skipped": f"{edges:,} feasible pairs are over the limit of {max_edges:,}"}
    places = np.minimum(np.array(table.capacities, dtype=np.intp), len(table.mentee_ids))
    return _timed(flow_reference, table.scores, places, "OR-tools flow (integer, every pair)", edges=edges)


def _timed(
    solve: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    scores: np.ndarray,
    capacities: np.ndarray,
    solver: str,
    **extra: Any,
) -> Row:
    """One reference's row: ``solve`` alone timed, its peak memory, pairs and total on ``scores``."""
    baseline = _peak_rss_mb()
    start = time.perf_counter()
    mentee_idx, mentor_idx = solve(scores, capacities)
    seconds = time.perf_counter() - start
    chosen = scores[mentee_idx, mentor_idx]
    return {
        "solver": solver,
        "seconds": seconds,
        **extra,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "matched": int(chosen.size),
        "total_score": float(chosen.sum()),
    }


def reference_case(n_mentees: int, n_mentors: int, seed: int, shape: dict[str, Any], max_cells: int) -> Row:
    """``fair_reference`` on the engine's score matrix of the shaped cohort; the assignment alone is timed."""
    from chalicelib.domain.matching import MatchingPolicy, score_table

    cohort = shaped_cohort(n_mentees, n_mentors, seed, **shape)
    start = time.perf_counter()
    table = score_table(cohort.mentees, cohort.mentors, MatchingPolicy(), cohort.past_pairs)
    scoring_seconds = time.perf_counter() - start
    n = len(table.mentee_ids)
    places = np.minimum(np.array(table.capacities, dtype=np.intp), n)
    cells = n * int(places.sum())
    if cells > max_cells:
        return {"skipped": f"reference matrix of {cells:,} cells is over the limit of {max_cells:,}"}
    return _timed(
        fair_reference,
        table.scores,
        places,
        "scipy LSA (integer, repeated columns)",
        scoring_seconds=scoring_seconds,
        places=int(places.sum()),
    )


def library_case(n_mentees: int, n_mentors: int, seed: int, max_prefs: int | None) -> Row:
    """The ``matching`` library's resident-optimal hospital/resident solver on our scores.

    Mentees rank their feasible mentors by score (at most ``max_prefs`` of them)
    and mentors rank every mentee who ranked them, so it solves the same
    stable-matching problem as the engine's stable solver. Only the library's own
    calls are timed.
    """
    from chalicelib.domain.matching import MatchingPolicy, score_table

    cohort = generate_cohort(n_mentees, n_mentors, seed)
    prep_start = time.perf_counter()
    table = score_table(cohort.mentees, cohort.mentors, MatchingPolicy(), cohort.past_pairs)
    scores = np.nan_to_num(table.scores, nan=-np.inf)
    capacity = dict(zip(table.mentor_ids, table.capacities, strict=True))
    resident_prefs: dict[str, list[str]] = {}
    ranked_by: dict[str, list[int]] = {r: [] for r in table.mentor_ids if capacity[r] > 0}
    offers_places = np.array(table.capacities) > 0
    for i, mentee_id in enumerate(table.mentee_ids):
        fits = np.flatnonzero((scores[i] > 0) & offers_places)
        order = fits[np.lexsort((fits, -scores[i, fits]))][:max_prefs]
        if order.size:
            resident_prefs[mentee_id] = [table.mentor_ids[j] for j in order]
            for j in order:
                ranked_by[table.mentor_ids[j]].append(i)
    column = {mentor_id: j for j, mentor_id in enumerate(table.mentor_ids)}
    hospital_prefs: dict[str, list[str]] = {}
    for mentor_id, rows in ranked_by.items():
        candidates = np.array(rows, dtype=np.intp)
        by_score = candidates[np.lexsort((candidates, -scores[candidates, column[mentor_id]]))]
        hospital_prefs[mentor_id] = [table.mentee_ids[i] for i in by_score]
    capacities = {mentor_id: capacity[mentor_id] for mentor_id in hospital_prefs}
    prep_seconds = time.perf_counter() - prep_start
    baseline = _peak_rss_mb()

    outcome: Row = {}

    def solve() -> None:
        from matching.games import HospitalResident

        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # The library warns about every player it has to drop or trim.
                warnings.simplefilter("ignore")
                game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
                matching = game.solve(optimal="resident")
        except (RecursionError, MemoryError, ValueError, KeyError) as exc:
            outcome["error"] = f"{type(exc).__name__}: {exc}"[:200]
            outcome["seconds"] = time.perf_counter() - start
            return
        outcome["seconds"] = time.perf_counter() - start
        outcome["pairs"] = [
            (str(res.name), str(hosp.name)) for hosp, residents in matching.items() for res in residents
        ]

    # The library deep-copies its player graph recursively: give it depth and stack.
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(512 * 1024 * 1024)
    worker = threading.Thread(target=solve)
    worker.start()
    worker.join()

    row: Row = {
        "solver": f"matching {_library_version()} HR",
        "max_prefs": max_prefs,
        "prep_seconds": prep_seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "mentees": len(table.mentee_ids),
        "places": int(sum(table.capacities)),
        "seconds": outcome.get("seconds"),
    }
    if "error" in outcome:
        row["error"] = outcome["error"]
        return row
    mentee_row = {mentee_id: i for i, mentee_id in enumerate(table.mentee_ids)}
    pairs = outcome["pairs"]
    row["matched"] = len(pairs)
    row["total_score"] = float(sum(scores[mentee_row[e], column[r]] for e, r in pairs))
    return row


def _ortools_version() -> str:
    from importlib.metadata import version

    return version("ortools")


def _library_version() -> str:
    try:
        from importlib.metadata import version

        return version("matching")
    except Exception:
        return "?"


# -- orchestration -------------------------------------------------------------------------------


def in_fresh_process(func: Callable[..., Row], args: tuple[Any, ...], timeout: float) -> Row:
    """Run one case in a newly spawned interpreter; failures and timeouts become rows, not crashes."""
    context = mp.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(1, maxtasksperchild=1) as pool:
        pending = pool.apply_async(func, args)
        try:
            return pending.get(timeout)
        except mp.TimeoutError:
            return {"error": f"timed out after {timeout:.0f} s", "seconds": time.perf_counter() - started}
        except Exception as exc:
            return {"error": f"{type(exc).__name__}: {exc}"[:200]}


def bench_case(name: str, seed: int, max_cells: int, max_edges: int, library_timeout: float | None) -> Row:
    n_mentees, n_mentors, shape, solver = CASES[name]
    print(f"\n== {name}: {n_mentees} mentees x {n_mentors} mentors {shape or ''} ==", flush=True)
    runs: list[Row] = []

    def record(label: str, row: Row, solver_label: str | None = None) -> None:
        row["run"] = label
        if solver_label is not None:
            row.setdefault("solver", solver_label)
        runs.append(row)
        note = row.get("error") or row.get("refused") or row.get("skipped") or ""
        print(
            f"  {label:<24} {_fmt(row.get('seconds'), '.2f'):>7} s {_fmt(row.get('peak_rss_mb'), '.0f'):>6} MB "
            f"{row.get('solver', '')!s:<10} total {_fmt(row.get('total_score'), '.1f')}  {note}",
            flush=True,
        )

    label = "default policy (auto)" if solver == "auto" else f"solver: {solver}"
    record(label, in_fresh_process(engine_case, (solver, n_mentees, n_mentors, seed, shape), 900))
    if "refused" in runs[0]:
        # A refusal is the answer under test; its optimum would only cost minutes.
        record("fair reference", {"skipped": "the engine refused the run, so there is nothing to compare"})
    else:
        args = (n_mentees, n_mentors, seed, shape, max_cells)
        record("fair reference", in_fresh_process(reference_case, args, 900))
    if "refused" in runs[0]:
        record("flow reference", {"skipped": "the engine refused the run, so there is nothing to compare"})
    else:
        args = (n_mentees, n_mentors, seed, shape, max_edges)
        record("flow reference", in_fresh_process(flow_reference_case, args, 900))
    if library_timeout is not None and (n_mentees, n_mentors) == LIBRARY_SIZE and not shape:
        library = f"matching {_library_version()} HR"
        row = in_fresh_process(library_case, (*LIBRARY_SIZE, seed, 50), library_timeout)
        record("matching HR, top-50", row, library)

    engine, reference, flow = runs[0], runs[1], runs[2]
    # Both references solve the same integer problem; either one's optimum will do.
    optimum = reference.get("total_score") or flow.get("total_score")
    ref_seconds = reference.get("seconds") if "total_score" in reference else None
    flow_seconds = flow.get("seconds") if "total_score" in flow else None
    for row in runs:
        if optimum and row.get("total_score") is not None:
            row["share_of_optimum"] = row["total_score"] / optimum
        if row.get("seconds") is not None and not any(k in row for k in ("error", "refused")):
            if ref_seconds:
                row["time_vs_reference"] = row["seconds"] / ref_seconds
            if flow_seconds:
                row["time_vs_flow_reference"] = row["seconds"] / flow_seconds
    return {
        "case": name,
        "mentees": n_mentees,
        "mentors": n_mentors,
        "shape": shape,
        "asked_solver": solver,
        "optimum_total_score": optimum,
        "reference_seconds": ref_seconds,
        "flow_reference_seconds": flow_seconds,
        "engine": engine,
        "runs": runs,
    }


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def render(results: list[Row]) -> str:
    header = (
        f"{'case':<24} {'run':<22} {'solver':<10} {'time s':>8} {'x ref':>7} {'x flow':>7} "
        f"{'peak MB':>8} {'matched':>8} {'% of opt':>9}"
    )
    lines = [header, "-" * len(header)]
    for case in results:
        for row in case["runs"]:
            share = row.get("share_of_optimum")
            solver = str(row.get("solver", "-"))[:10]
            lines.append(
                f"{case['case']:<24} {row['run'][:22]:<22} {solver:<10} "
                f"{_fmt(row.get('seconds'), '.2f'):>8} {_fmt(row.get('time_vs_reference'), '.3f'):>7} "
                f"{_fmt(row.get('time_vs_flow_reference'), '.3f'):>7} "
                f"{_fmt(row.get('peak_rss_mb'), '.0f'):>8} {_fmt(row.get('matched'), 'd'):>8} "
                f"{_fmt(None if share is None else 100 * share, '.4f'):>9}"
            )
            for key in ("error", "refused", "skipped"):
                if key in row:
                    lines.append(f"{'':<24}   -> {key}: {row[key]}")
            if row.get("runs_in", "API call") != "API call":
                lines.append(f"{'':<24}   -> runs in the {row['runs_in']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of: {', '.join(CASES)}")
    parser.add_argument("--out", default=DEFAULT_OUT, help="where to write the JSON results")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--reference-cells", type=int, default=REFERENCE_CELLS, help="largest reference matrix")
    parser.add_argument("--reference-edges", type=int, default=REFERENCE_EDGES, help="most pairs for the flow")
    parser.add_argument("--library", action="store_true", help="also run the matching library at 2000x700")
    parser.add_argument("--library-timeout", type=float, default=240.0, help="seconds per matching-library run")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    library_timeout = args.library_timeout if args.library else None
    names = [name.strip() for name in args.cases.split(",") if name.strip()]
    results = [
        bench_case(name, args.seed, args.reference_cells, args.reference_edges, library_timeout) for name in names
    ]
    table = render(results)
    print()
    print(table)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "seed": args.seed,
        "wall_seconds": time.perf_counter() - started,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "ortools": _ortools_version(),
            "platform": platform.platform(),
        },
        "cases": results,
    }
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {out} after {payload['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

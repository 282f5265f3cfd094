"""Benchmark of cohort matching: time, peak memory and score against the dense optimum.

Run from the repository root:

    python -m bench.matching_bench [--sizes 200x80,2000x700,10000x3500] [--out bench/results/matching.json]

For every size the same seeded synthetic cohort (``bench.synthetic``) is matched
by several solvers, each in a fresh spawned process so that its peak RSS
(``ru_maxrss``, which includes the interpreter, numpy/scipy and the generated
profiles) is its own. The reference optimum is the engine's exact solver, i.e.
``scipy.optimize.linear_sum_assignment`` on the dense mentees x places score
matrix; every other row reports its total score as a share of it and its time
as a ratio of the reference's time. At 2,000 x 700 the ``matching`` library's
hospital/resident solver (a bench-only dependency, see requirements-bench.txt)
runs on preference lists derived from the same scores.

Solver times cover ``match_cohort`` end to end (scoring, solving, explaining);
cohort generation is excluded. Runs cases one after another so they do not
compete for the two cores.
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

from bench.synthetic import generate_cohort

DEFAULT_SIZES = "200x80,2000x700,10000x3500"
DEFAULT_OUT = "bench/results/matching.json"
LIBRARY_SIZE = (2000, 700)
SEED = 20240601

Row = dict[str, Any]


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- cases (run inside a fresh process) ----------------------------------------------------------


def engine_case(solver: str, n_mentees: int, n_mentors: int, seed: int) -> Row:
    """Match the synthetic cohort with ``solver`` ("auto" means the default policy)."""
    from chalicelib.domain.matching import MatchingPolicy, match_cohort

    cohort = generate_cohort(n_mentees, n_mentors, seed)
    baseline = _peak_rss_mb()
    policy = MatchingPolicy.model_validate({} if solver == "auto" else {"solver": solver})
    start = time.perf_counter()
    result = match_cohort(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)
    seconds = time.perf_counter() - start
    figures = result.figures
    return {
        "solver": figures.solver,
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "matched": figures.matched,
        "mentees": figures.mentees,
        "places": figures.places,
        "total_score": figures.total_score,
    }


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


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        mentees, _, mentors = part.strip().lower().partition("x")
        sizes.append((int(mentees), int(mentors)))
    return sizes


def bench_size(n_mentees: int, n_mentors: int, seed: int, library_timeout: float) -> Row:
    print(f"\n== {n_mentees} mentees x {n_mentors} mentors ==", flush=True)
    cases: list[Row] = []

    def record(label: str, row: Row, solver: str | None = None) -> None:
        row["case"] = label
        if solver is not None:
            row.setdefault("solver", solver)
        cases.append(row)
        print(f"  {label:<34} done in {_fmt(row.get('seconds'), '.2f')} s {row.get('error', '')}", flush=True)

    record("dense reference (exact LSA)", in_fresh_process(engine_case, ("exact", n_mentees, n_mentors, seed), 600))
    record("default policy (auto)", in_fresh_process(engine_case, ("auto", n_mentees, n_mentors, seed), 600))
    default_solver = cases[-1].get("solver")
    for solver in ("sparse", "stable"):
        if solver != default_solver:
            record(f"{solver} solver", in_fresh_process(engine_case, (solver, n_mentees, n_mentors, seed), 600))
    if (n_mentees, n_mentors) == LIBRARY_SIZE:
        library = f"matching {_library_version()} HR"
        record(
            "matching HR, full preference lists",
            in_fresh_process(library_case, (n_mentees, n_mentors, seed, None), library_timeout),
            library,
        )
        # Full lists take minutes in the library, so also give it lists it can finish.
        record(
            "matching HR, top-50 preferences",
            in_fresh_process(library_case, (n_mentees, n_mentors, seed, 50), library_timeout),
            library,
        )

    reference = cases[0]
    optimum = reference.get("total_score")
    dense_seconds = reference.get("seconds")
    for row in cases:
        if optimum and row.get("total_score") is not None:
            row["share_of_optimum"] = row["total_score"] / optimum
        if dense_seconds and row.get("seconds") is not None and "error" not in row:
            row["time_vs_dense"] = row["seconds"] / dense_seconds
    return {
        "mentees": n_mentees,
        "mentors": n_mentors,
        "places": reference.get("places"),
        "optimum_total_score": optimum,
        "dense_seconds": dense_seconds,
        "cases": cases,
    }


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def render(results: list[Row]) -> str:
    header = (
        f"{'size':<12} {'case':<35} {'solver':<18} {'time s':>8} {'x dense':>8} "
        f"{'peak MB':>8} {'matched':>8} {'total score':>12} {'% of opt':>9}"
    )
    lines = [header, "-" * len(header)]
    for size in results:
        label = f"{size['mentees']}x{size['mentors']}"
        for row in size["cases"]:
            share = row.get("share_of_optimum")
            lines.append(
                f"{label:<12} {row['case']:<35} {row.get('solver', '-')!s:<18} "
                f"{_fmt(row.get('seconds'), '.2f'):>8} {_fmt(row.get('time_vs_dense'), '.3f'):>8} "
                f"{_fmt(row.get('peak_rss_mb'), '.0f'):>8} {_fmt(row.get('matched'), 'd'):>8} "
                f"{_fmt(row.get('total_score'), '.1f'):>12} {_fmt(None if share is None else 100 * share, '.3f'):>9}"
            )
            if "error" in row:
                lines.append(f"{'':<12}   -> {row['error']}")
    lines.append("")
    for size in results:
        default = next((r for r in size["cases"] if r["case"].startswith("default")), None)
        if default is None or "error" in default:
            continue
        lines.append(
            f"{size['mentees']}x{size['mentors']}: default solver '{default['solver']}' reaches "
            f"{100 * default.get('share_of_optimum', float('nan')):.3f}% of the dense optimum in "
            f"{default.get('time_vs_dense', float('nan')):.3f}x its time "
            f"({default['seconds']:.2f} s vs {size['dense_seconds']:.2f} s), peak RSS {default['peak_rss_mb']:.0f} MB"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated MENTEESxMENTORS")
    parser.add_argument("--out", default=DEFAULT_OUT, help="where to write the JSON results")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--library-timeout", type=float, default=240.0, help="seconds per matching-library run")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results = [bench_size(n, m, args.seed, args.library_timeout) for n, m in parse_sizes(args.sizes)]
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
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "platform": platform.platform(),
        },
        "sizes": results,
    }
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {out} after {payload['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

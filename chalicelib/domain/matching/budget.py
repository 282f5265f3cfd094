"""Memory and time budgets of a matching run, cost estimates per solver, and the solver choice.

Every solver's cost is estimated from the cohort's shape (cells, candidate edges,
places) before anything is allocated, so a run that would not fit is re-routed to
another solver or refused with a reason, never killed by the operating system.
The constants were fitted to runs of the bench's synthetic cohorts on a 2-core
machine and err on the generous side.

No numpy here: the service can plan and refuse a run without loading the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib.errors import MentoringError

from .policy import MatchingPolicy

SolverName = Literal["exact", "sparse", "auction", "stable"]

# Seconds and bytes per unit of work, measured on the bench cohorts (see bench/matching_bench.py).
# They were fitted on one thread before the engine's latest speed-ups and are kept as upper bounds:
# the whole no-goals 10k run, the slowest 10k shape, now takes 7-10 s against the 11 s estimated,
# and placing a run in the API or the job must never be optimistic.
#: Scoring a cell and choosing candidates from it: 3.1 s at 10k x 3.5k, 9.7 s at 20k x 7k (then).
_SCORE_SECONDS_PER_CELL = 9e-8
_DENSE_SECONDS_PER_CELL = 1.2e-7
_DENSE_BYTES_PER_CELL = 16.0
#: 2.1 s for 1.0M candidate pairs, 6.5 s for 2.1M; tied scores take longer.
_FLOW_SECONDS_PER_EDGE = 3.5e-6
#: Encoding profiles and explaining every pair and every unmatched person: 2.5 s at 10k x 3.5k.
_SECONDS_PER_PERSON = 2.5e-4
#: OR-tools' arcs both ways plus the edge lists handed to it.
_FLOW_BYTES_PER_EDGE = 110.0
_AUCTION_SECONDS_PER_EDGE_ROUND = 3e-4
_AUCTION_BYTES_PER_EDGE = 120.0
_STABLE_BYTES_PER_CELL = 10.0
#: Fixed working memory of scoring blocks and explanations, in MB.
_WORKING_MB = 120.0
#: A solver's estimate must stay under this share of the budget before ``auto`` uses it, so
#: estimates that are off by a little still finish.
_SAFETY = 0.8


class MatchingBudgetExceeded(MentoringError):
    """Raised before a matching run starts when no allowed solver fits its memory and time budget."""

    status_code = 422
    code = "matching_budget_exceeded"


@dataclass(frozen=True)
class MatchingBudget:
    """What one run may use. Defaults fit a 1,024 MB Lambda answering a 29 s API call.

    ``memory_mb`` is what the solver may add on top of the interpreter, libraries and
    loaded profiles (about 250 MB of the function's memory); a scheduled job with
    more memory and time passes a larger budget.
    """

    memory_mb: float = 700.0
    seconds: float = 20.0
    #: Threads that score candidate blocks. Lambda gives a function CPU in proportion to its
    #: memory, a whole core at 1,769 MB: the API's 1,024 MB has less than one, the job's 3,008 MB
    #: nearly two.
    threads: int = 1


#: For the scheduled matching job: a 3,008 MB function with its 900 s limit, less margins.
JOB_BUDGET = MatchingBudget(memory_mb=2_600.0, seconds=780.0, threads=2)


@dataclass(frozen=True)
class Estimate:
    """Predicted extra memory (MB) and seconds of one solver on one cohort shape."""

    solver: SolverName
    memory_mb: float
    seconds: float
    #: How the exact solver would run: a min-cost flow over every feasible pair rather than the dense matrix.
    by_flow: bool = False

    def fits(self, budget: MatchingBudget, share: float = 1.0) -> bool:
        return self.memory_mb <= budget.memory_mb * share and self.seconds <= budget.seconds * share

    def describe(self) -> str:
        how = " (min-cost flow)" if self.by_flow else ""
        return f"{self.solver} solver{how}: about {self.memory_mb:.0f} MB and {self.seconds:.1f} s"


@dataclass(frozen=True)
class CohortShape:
    """The sizes that drive cost: mentees, mentors with places, their places and the candidate list length.

    ``places`` counts each mentor's places up to the number of mentees (no mentor can use more).
    """

    mentees: int
    mentors: int
    places: int
    sparse_k: int = 80

    @property
    def cells(self) -> int:
        return self.mentees * self.mentors

    @property
    def candidate_edges(self) -> int:
        per_mentee = min(self.sparse_k, self.mentors)
        per_mentor = min(2 * self.sparse_k, self.mentees)
        return min(self.cells, self.mentees * per_mentee + self.mentors * per_mentor)

    @property
    def mean_capacity(self) -> float:
        return self.places / self.mentors if self.mentors else 0.0


def estimate(solver: SolverName, shape: CohortShape) -> Estimate:
    """Predicted cost of ``solver`` on a cohort of ``shape``."""
    scoring = _SCORE_SECONDS_PER_CELL * shape.cells + _SECONDS_PER_PERSON * (shape.mentees + shape.mentors)
    mb = 1.0 / (1 << 20)
    if solver == "exact":
        # Dense: every place is a column, so the matrix is mentees x places, however many mentors.
        cells = shape.mentees * shape.places
        memory = _DENSE_BYTES_PER_CELL * cells * mb + 8.0 * shape.cells * mb
        dense = Estimate(solver, _WORKING_MB + memory, scoring + _DENSE_SECONDS_PER_CELL * cells)
        # Flow: every pair may be feasible, each one arc whatever the places.
        flow_memory = _FLOW_BYTES_PER_EDGE * shape.cells * mb
        flow = Estimate(solver, _WORKING_MB + flow_memory, scoring + _FLOW_SECONDS_PER_EDGE * shape.cells, True)
        # The form further inside a Lambda's limits (1 GB, 30 s) wins; the dense one on a tie.
        return min(dense, flow, key=lambda e: (max(e.memory_mb / 1024.0, e.seconds / 30.0), e.by_flow))
    if solver == "sparse":
        edges = shape.candidate_edges
        memory = _FLOW_BYTES_PER_EDGE * edges * mb
        return Estimate(solver, _WORKING_MB + memory, scoring + _FLOW_SECONDS_PER_EDGE * edges)
    if solver == "auction":
        edges = shape.candidate_edges
        # Bids resolve per mentor, so rounds fall as places per mentor grow.
        work = _AUCTION_SECONDS_PER_EDGE_ROUND * edges / max(shape.mean_capacity, 1.0)
        return Estimate(solver, _WORKING_MB + _AUCTION_BYTES_PER_EDGE * edges * mb, scoring + work)
    memory = _STABLE_BYTES_PER_CELL * shape.cells * mb
    return Estimate(solver, _WORKING_MB + memory, 2.0 * scoring)


@dataclass(frozen=True)
class SolverPlan:
    """The solver a run will use, its estimate, and the estimates that were weighed."""

    solver: SolverName
    estimate: Estimate
    considered: tuple[Estimate, ...]


#: What a refusal under the API budget advises; a caller that knows better passes its own.
RUN_AS_JOB = "run it as a scheduled job"


def plan_solver(
    policy: MatchingPolicy, shape: CohortShape, budget: MatchingBudget | None = None, *, advice: str = RUN_AS_JOB
) -> SolverPlan:
    """Pick the solver for a cohort within ``budget``, or refuse with the estimates as the reason.

    ``auto`` uses the exact solver while mentees x places, or mentees x mentors for
    its flow form, stays within ``policy.sparse_threshold`` and its estimate fits; beyond that, whichever of the
    sparse and auction solvers is estimated cheaper, then stable as the last resort.
    The exact solver's estimate is the cheaper of its two forms (``Estimate.by_flow``).
    An explicitly chosen solver is used only when it fits.

    Raises
    ------
    MatchingBudgetExceeded
        When no allowed solver fits the budget.
    """
    budget = budget or MatchingBudget()
    if policy.solver != "auto":
        chosen = estimate(policy.solver, shape)
        if chosen.fits(budget):
            return SolverPlan(policy.solver, chosen, (chosen,))
        raise _refusal(shape, budget, (chosen,), advice)
    considered: list[Estimate] = []
    # Exact by its cheaper form: the dense matrix grows with places, the flow with pairs.
    if min(shape.mentees * shape.places, shape.cells) <= policy.sparse_threshold:
        exact = estimate("exact", shape)
        considered.append(exact)
        if exact.fits(budget, _SAFETY):
            return SolverPlan("exact", exact, tuple(considered))
    graph = sorted((estimate("sparse", shape), estimate("auction", shape)), key=lambda e: (e.seconds, e.solver))
    considered.extend(graph)
    stable = estimate("stable", shape)
    considered.append(stable)
    for option in (*graph, stable):
        if option.fits(budget, _SAFETY):
            return SolverPlan(option.solver, option, tuple(considered))
    raise _refusal(shape, budget, tuple(considered), advice)


def _refusal(
    shape: CohortShape, budget: MatchingBudget, considered: tuple[Estimate, ...], advice: str
) -> MatchingBudgetExceeded:
    options = "; ".join(e.describe() for e in considered)
    return MatchingBudgetExceeded(
        f"a cohort of {shape.mentees} mentees and {shape.places} places does not fit the budget of "
        f"{budget.memory_mb:.0f} MB and {budget.seconds:.0f} s ({options}); {advice}",
        details={
            "mentees": shape.mentees,
            "mentors": shape.mentors,
            "places": shape.places,
            "budget": {"memory_mb": budget.memory_mb, "seconds": budget.seconds},
            "estimates": [
                {"solver": e.solver, "memory_mb": round(e.memory_mb), "seconds": round(e.seconds, 1)}
                for e in considered
            ],
        },
    )


@dataclass(frozen=True)
class RunBudgets:
    """The two places a run can happen: within an API call, or in the matching job's larger function."""

    api: MatchingBudget = MatchingBudget()
    job: MatchingBudget = JOB_BUDGET


#: What a refusal advises when not even the matching job could run the cohort.
NOWHERE_ADVICE = "choose the automatic solver or match the cohort in smaller groups"


def place_run(
    policy: MatchingPolicy, shape: CohortShape, budgets: RunBudgets
) -> tuple[Literal["api", "job"], SolverPlan]:
    """Where a real run goes: within the API call when it fits, else to the matching job, with its plan.

    Raises
    ------
    MatchingBudgetExceeded
        When it fits neither, with the job's estimates as the reason.
    """
    try:
        return "api", plan_solver(policy, shape, budgets.api)
    except MatchingBudgetExceeded:
        return "job", plan_solver(policy, shape, budgets.job, advice=NOWHERE_ADVICE)

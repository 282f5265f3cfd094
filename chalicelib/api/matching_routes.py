"""Admin API v1 for matching: run (or preview) a cohort matching, review proposals, and start or end pairs.

Handlers only parse and call ``chalicelib.services.matching``; the tenant is always the
bearer key's, so another tenant's programme, run or pair answers 404 like a missing one.
Illegal status changes and a run already in progress answer 409.
"""

from __future__ import annotations

from typing import Literal

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import ApiContext, api_route, json_response
from chalicelib.domain.common import HumanText
from chalicelib.domain.matching_run import MatchRun, MatchRunSummary
from chalicelib.domain.meetings import HealthState
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.services import matching
from chalicelib.services.matching.answers import named_outcome, named_page, named_pair, named_report
from chalicelib.services.matching.reports import NamedRunReport
from chalicelib.services.programmes import get_programme

bp = Blueprint(__name__)
PROGRAMME = "/api/v1/programmes/{programme_id}"
PAIR = PROGRAMME + "/pairs/{pair_id}"
TAG = "matching"

STRICT = ConfigDict(extra="forbid")


class RunRequest(BaseModel):
    model_config = STRICT

    dry_run: bool = Field(default=False, description="Only report what would be proposed; store nothing.")


class RunList(BaseModel):
    items: list[MatchRunSummary]


# A Lambda answer must stay under 6 MB; a 20,000-person run proposes far more than that shows.
INLINE_PROPOSALS = 1000


class PairQuery(BaseModel):
    model_config = STRICT

    status: PairStatus | None = None
    health: HealthState | None = Field(default=None, description="Running pairs in this meeting-health state.")
    run_id: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=100, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)


class ReasonRequest(BaseModel):
    model_config = STRICT

    reason: HumanText = Field(min_length=1, max_length=500)


class EndRequest(BaseModel):
    model_config = STRICT

    reason: HumanText = Field(min_length=1, max_length=500)
    outcome: Literal["completed", "ended_early"]


@api_route(
    bp,
    f"{PROGRAMME}/matching-runs",
    "POST",
    summary=(
        "Match the cohort now (or preview it with dry_run): figures, the unmatched with reasons, and the first"
        f" {INLINE_PROPOSALS} proposals (all of a stored run are listed under pairs?run_id=). A run too large"
        " for an API call answers 202 with the queued run to poll; one too large for the matching job, or a"
        " dry run too large for an API call, answers 422 with the estimates"
    ),
    body=RunRequest,
    response=NamedRunReport,
    status=201,
    tag=TAG,
)
def create_run(ctx: ApiContext, body: RunRequest, programme_id: str) -> NamedRunReport | Response:
    container = ctx.container
    report = matching.run_matching(
        container.storage,
        container.notifier,
        container.clock,
        ctx.tenant_id,
        programme_id,
        dry_run=body.dry_run,
        trigger="api",
        budgets=container.matching_budgets,
    )
    programme = get_programme(container.storage, ctx.tenant_id, programme_id)
    named = named_report(container.storage, programme, report.first(INLINE_PROPOSALS))
    if report.run.status == "queued":
        poll = f"{PROGRAMME.format(programme_id=programme_id)}/matching-runs/{report.run.run_id}"
        return json_response(named, 202, headers={"Location": poll})
    return named


@api_route(
    bp,
    f"{PROGRAMME}/matching-runs",
    "GET",
    summary="List the programme's matching runs, newest first",
    response=RunList,
    tag=TAG,
)
def list_runs(ctx: ApiContext, programme_id: str) -> RunList:
    storage = ctx.container.storage
    get_programme(storage, ctx.tenant_id, programme_id)
    return RunList(items=storage.runs.list(ctx.tenant_id, programme_id))


@api_route(
    bp,
    f"{PROGRAMME}/matching-runs/{{run_id}}",
    "GET",
    summary="Read a matching run with everyone it left unmatched and the pairs it proposed",
    response=MatchRun,
    tag=TAG,
)
def get_run(ctx: ApiContext, programme_id: str, run_id: str) -> MatchRun:
    return matching.get_run(ctx.container.storage, ctx.tenant_id, programme_id, run_id)


@api_route(
    bp,
    f"{PROGRAMME}/matching-runs/{{run_id}}/approve-all",
    "POST",
    summary="Approve every proposal of a run; those that cannot start are listed with the reason",
    response=matching.ApproveAllReport,
    tag=TAG,
)
def approve_all(ctx: ApiContext, programme_id: str, run_id: str) -> matching.ApproveAllReport:
    container = ctx.container
    return matching.approve_all(
        container.storage, container.notifier, container.clock, ctx.tenant_id, programme_id, run_id=run_id
    )


@api_route(
    bp,
    f"{PROGRAMME}/pairs",
    "GET",
    summary="List the programme's pairs, by status, meeting health or run, paged with a cursor",
    query=PairQuery,
    response=matching.PairPage,
    tag=TAG,
)
def list_pairs(ctx: ApiContext, query: PairQuery, programme_id: str) -> matching.PairPage:
    storage = ctx.container.storage
    page = matching.page_of_pairs(
        storage,
        ctx.tenant_id,
        programme_id,
        status=query.status,
        health=query.health,
        run_id=query.run_id,
        limit=query.limit,
        cursor=query.cursor,
    )
    return named_page(storage, get_programme(storage, ctx.tenant_id, programme_id), page)


@api_route(bp, PAIR, "GET", summary="Read a pair with its explanation and history", response=Pair, tag=TAG)
def get_pair(ctx: ApiContext, programme_id: str, pair_id: str) -> Pair:
    storage = ctx.container.storage
    pair = matching.get_pair(storage, ctx.tenant_id, programme_id, pair_id)
    return named_pair(storage, get_programme(storage, ctx.tenant_id, programme_id), pair)


def _outcome(ctx: ApiContext, programme_id: str, outcome: matching.PairOutcome | Pair) -> matching.PairOutcome:
    """Every pair action answers ``{pair, rematch}``, in the programme's language."""
    storage = ctx.container.storage
    if isinstance(outcome, Pair):
        outcome = matching.PairOutcome(pair=outcome)
    return named_outcome(storage, get_programme(storage, ctx.tenant_id, programme_id), outcome)


@api_route(
    bp,
    f"{PAIR}/approve",
    "POST",
    summary="Approve a proposal: both are matched and told, or the mentor is asked to accept first",
    response=matching.PairOutcome,
    tag=TAG,
)
def approve_pair(ctx: ApiContext, programme_id: str, pair_id: str) -> matching.PairOutcome:
    container = ctx.container
    pair = matching.approve(
        container.storage, container.notifier, container.clock, ctx.tenant_id, programme_id, pair_id
    )
    return _outcome(ctx, programme_id, pair)


@api_route(
    bp,
    f"{PAIR}/reject",
    "POST",
    summary="Reject a proposal, with a reason; it is never proposed again",
    body=ReasonRequest,
    response=matching.PairOutcome,
    tag=TAG,
)
def reject_pair(ctx: ApiContext, body: ReasonRequest, programme_id: str, pair_id: str) -> matching.PairOutcome:
    container = ctx.container
    pair = matching.reject(container.storage, container.clock, ctx.tenant_id, programme_id, pair_id, reason=body.reason)
    return _outcome(ctx, programme_id, pair)


@api_route(
    bp,
    f"{PAIR}/accept",
    "POST",
    summary="Record the mentor's acceptance: the pair starts and both are told",
    response=matching.PairOutcome,
    tag=TAG,
)
def accept_pair(ctx: ApiContext, programme_id: str, pair_id: str) -> matching.PairOutcome:
    container = ctx.container
    pair = matching.accept(container.storage, container.notifier, container.clock, ctx.tenant_id, programme_id, pair_id)
    return _outcome(ctx, programme_id, pair)


@api_route(
    bp,
    f"{PAIR}/decline",
    "POST",
    summary="Record that the mentor declined, with a reason: the mentee's next best fit is proposed",
    body=ReasonRequest,
    response=matching.PairOutcome,
    tag=TAG,
)
def decline_pair(ctx: ApiContext, body: ReasonRequest, programme_id: str, pair_id: str) -> matching.PairOutcome:
    container = ctx.container
    outcome = matching.decline(
        container.storage,
        container.notifier,
        container.clock,
        ctx.tenant_id,
        programme_id,
        pair_id,
        reason=body.reason,
    )
    return _outcome(ctx, programme_id, outcome)


@api_route(
    bp,
    f"{PAIR}/end",
    "POST",
    summary="End a pair: completed, or ended early with a reason (the mentee is then rematched)",
    body=EndRequest,
    response=matching.PairOutcome,
    tag=TAG,
)
def end_pair(ctx: ApiContext, body: EndRequest, programme_id: str, pair_id: str) -> matching.PairOutcome:
    container = ctx.container
    outcome = matching.end_pair(
        container.storage,
        container.notifier,
        container.clock,
        ctx.tenant_id,
        programme_id,
        pair_id,
        reason=body.reason,
        completed=body.outcome == "completed",
    )
    return _outcome(ctx, programme_id, outcome)

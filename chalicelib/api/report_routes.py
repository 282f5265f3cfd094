"""Admin API v1 for reports: a programme's figures (JSON) and its CSV downloads.

The CSV downloads (participants, pairs, meetings, answers, attendance) are for the
tenant's coordinators and may hold names, addresses and comments; the figures never do.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import ApiContext, api_route
from chalicelib.domain.reports import ProgrammeFigures
from chalicelib.services import reports

bp = Blueprint(__name__)
PROGRAMME = "/api/v1/programmes/{programme_id}"
TAG = "reports"


@api_route(
    bp,
    f"{PROGRAMME}/figures",
    "GET",
    summary=(
        "The programme's figures: matched share, days to first meeting, meetings per pair against the cadence,"
        " silent pairs, survey response rates, mean rating, NPS and event attendance"
    ),
    response=ProgrammeFigures,
    tag=TAG,
)
def programme_figures(ctx: ApiContext, programme_id: str) -> ProgrammeFigures:
    container = ctx.container
    return reports.figures(container.storage, ctx.tenant_id, programme_id, container.clock.now())


@api_route(
    bp,
    f"{PROGRAMME}/exports/{{export}}",
    "GET",
    summary="A CSV download: participants, pairs, meetings, answers (with comments) or attendance",
    tag=TAG,
)
def export(ctx: ApiContext, programme_id: str, export: str) -> Response:
    container = ctx.container
    text = reports.export_csv(container.storage, ctx.tenant_id, programme_id, export, container.clock.now())
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{programme_id}-{export}.csv"',
            "Cache-Control": "no-store",
        },
    )

"""Admin API v1 for feedback: a programme's survey figures, and its answers with comments for coordinators.

Figures hold counts and scores only. Comments appear only in the answers listing, which
the programme's own tenant key reads; nothing else carries them out of the tenant.
"""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel

from chalicelib.api.http import ApiContext, api_route
from chalicelib.domain.feedback import FeedbackFigures, SurveyRequest
from chalicelib.services import feedback
from chalicelib.services.programmes import get_programme

bp = Blueprint(__name__)
PROGRAMME = "/api/v1/programmes/{programme_id}"
TAG = "feedback"


class AnswerList(BaseModel):
    items: list[SurveyRequest]


@api_route(
    bp,
    f"{PROGRAMME}/feedback",
    "GET",
    summary="The programme's survey figures: asked, answered, response rate, mean rating, NPS, not a good fit",
    response=FeedbackFigures,
    tag=TAG,
)
def feedback_figures(ctx: ApiContext, programme_id: str) -> FeedbackFigures:
    storage = ctx.container.storage
    get_programme(storage, ctx.tenant_id, programme_id)
    return feedback.programme_feedback(storage, ctx.tenant_id, programme_id)


@api_route(
    bp,
    f"{PROGRAMME}/feedback/answers",
    "GET",
    summary="Every survey answer of the programme, comments included (for its coordinators)",
    response=AnswerList,
    tag=TAG,
)
def feedback_answers(ctx: ApiContext, programme_id: str) -> AnswerList:
    storage = ctx.container.storage
    get_programme(storage, ctx.tenant_id, programme_id)
    return AnswerList(items=feedback.answers_of(storage, ctx.tenant_id, programme_id))

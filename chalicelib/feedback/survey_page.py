"""The ``survey-answer`` one-click link: a page asking for a rating, "is this a good fit?" and a comment.

``GET`` shows the questions and changes nothing; the form's ``POST`` (after the link
service has used the link up) records the answer through ``services.feedback``. The
page works without JavaScript; everything on it is escaped by ``api.pages``. A link
only answers the request it names, for the person it names, in its own tenant and
programme.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.feedback import (
    MAX_COMMENT_CHARS,
    MAX_RATING,
    AnswerChannel,
    GoalProgress,
    SurveyAnswer,
    SurveyRequest,
)
from chalicelib.domain.links import LinkClaims
from chalicelib.errors import NotFound
from chalicelib.feedback.texts import page_language, page_text
from chalicelib.services.feedback import SURVEY_ACTION, SURVEY_LINK_TTL, record_answer
from chalicelib.services.links import LinkAction, LinkContext, Page, Question


def _request(claims: LinkClaims, ctx: LinkContext) -> SurveyRequest:
    request = ctx.storage.surveys.get_request(claims.tenant_id, claims.programme_id, claims.subject_id)
    if request is None or request.participant_id != claims.participant_id:
        raise NotFound("no such survey")
    return request


def show(claims: LinkClaims, ctx: LinkContext) -> Page:
    language = page_language(claims.language)
    request = _request(claims, ctx)
    if request.answered:
        return Page(language=language, title=page_text(language, "answered"))

    def text(key: str) -> str:
        return page_text(language, key)

    progress = tuple((level.value, text(level.value)) for level in GoalProgress)
    goals = tuple(
        Question(name=f"goal_{number}", label=f"{text('goal')}: {goal}", options=progress)
        for number, goal in enumerate(request.goals, start=1)
    )
    return Page(
        language=language,
        title=text(request.kind.value),
        paragraphs=(text("intro"), *((text("goals_intro"),) if goals else ())),
        questions=(
            *goals,
            Question(
                name="rating",
                label=text("rating"),
                options=tuple((str(n), str(n)) for n in range(MAX_RATING + 1)),
            ),
            Question(name="good_fit", label=text("good_fit"), options=(("yes", text("yes")), ("no", text("no")))),
            Question(name="comment", label=text("comment"), max_length=MAX_COMMENT_CHARS),
        ),
    )


def read_form(form: Mapping[str, str]) -> SurveyAnswer:
    """The answer a posted form carries; what is not one of the page's options is taken as not answered."""
    rating_text = form.get("rating", "").strip()
    rating = int(rating_text) if rating_text.isdigit() and int(rating_text) <= MAX_RATING else None
    fit = {"yes": True, "no": False}.get(form.get("good_fit", "").strip())
    levels = {level.value: level for level in GoalProgress}
    goals = {
        name.removeprefix("goal_"): levels[value.strip()]
        for name, value in form.items()
        if name.startswith("goal_") and name.removeprefix("goal_").isdigit() and value.strip() in levels
    }
    return SurveyAnswer(rating=rating, good_fit=fit, comment=form.get("comment"), goal_progress=goals)


def answer(claims: LinkClaims, form: Mapping[str, str], ctx: LinkContext) -> Page:
    language = page_language(claims.language)
    _request(claims, ctx)
    given = read_form(form)
    if given.empty:
        return Page(language=language, title=page_text(language, "empty"))
    recorded = record_answer(
        storage=ctx.storage,
        notifier=ctx.notifier,
        clock=ctx.clock,
        tenant_id=claims.tenant_id,
        programme_id=claims.programme_id,
        survey_id=claims.subject_id,
        answer=given,
        channel=AnswerChannel.LINK,
    )
    if not recorded.stored:
        return Page(language=language, title=page_text(language, "answered"))
    thanks = page_text(language, "thanks")
    return Page(language=language, title=thanks, paragraphs=(page_text(language, "thanks_more"),))


SURVEY_ANSWER = LinkAction(name=SURVEY_ACTION, page=show, perform=answer, ttl=SURVEY_LINK_TTL)

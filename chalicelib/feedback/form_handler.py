"""The ``survey`` purpose: a survey answered in the programme's form tool rather than on our page.

The form carries the survey id as a hidden field (``survey_id``; the survey e-mail gives
it, and form tools take hidden fields from the form's URL). Answers are found by the
question's ref (or, failing that, its label) ``rating``, ``good_fit`` and ``comment``;
a form without refs is read by type: its first number is the rating, its first yes/no
the fit, its first text the comment. The mid-point and closing surveys' goal questions
have the refs ``goal_1``, ``goal_2`` ... (in the order the survey e-mail lists them), each
answered ``not_started``, ``some_progress`` or ``achieved`` (or 0, 1, 2, or the survey
page's label in any of its languages). A survey answered in a form is never a signup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.feedback import MAX_GOALS, MAX_RATING, AnswerChannel, GoalProgress, SurveyAnswer
from chalicelib.domain.forms.submission import Answer, AnswerType, FormSubmission, text_key
from chalicelib.errors import NotFound
from chalicelib.feedback.texts import PAGE_TEXTS
from chalicelib.services.feedback import record_answer
from chalicelib.services.inbox.ports import ProcessOutcome

if TYPE_CHECKING:
    from chalicelib.domain.webhook import WebhookEndpoint
    from chalicelib.services.inbox.ports import ProcessingContext

SURVEY_FIELD = "survey_id"
NO_SURVEY = "the submission names no survey (hidden field survey_id)"
UNKNOWN_SURVEY = "the submission names a survey this programme did not send"
NO_ANSWER = "the submission has neither a rating, a fit nor a goal answer"
_YES = {"yes", "true", "1", "da", "taip", "ja"}
_NO = {"no", "false", "0", "ne", "nej"}


def _named(submission: FormSubmission, name: str) -> Answer | None:
    for answer in submission.answers:
        if (answer.ref and text_key(answer.ref) == name) or (answer.label and text_key(answer.label) == name):
            return answer
    return None


def _is_goal(answer: Answer) -> bool:
    return any(name and text_key(name).startswith("goal_") for name in (answer.ref, answer.label))


def _typed(submission: FormSubmission, *types: AnswerType) -> Answer | None:
    # A goal's answer is never taken for the rating or the comment of a form without refs.
    return next((a for a in submission.answers if a.type in types and not _is_goal(a)), None)


def _rating(answer: Answer | None) -> int | None:
    if answer is None or isinstance(answer.value, bool):
        return None
    value = answer.value
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        rating = round(float(value))
        return rating if 0 <= rating <= MAX_RATING else None
    return None


def _fit(answer: Answer | None) -> bool | None:
    if answer is None:
        return None
    if isinstance(answer.value, bool):
        return answer.value
    if isinstance(answer.value, str):
        word = text_key(answer.value)
        return True if word in _YES else False if word in _NO else None
    return None


def _progress_words() -> dict[str, GoalProgress]:
    words = {str(n): level for n, level in enumerate(GoalProgress)}
    for level in GoalProgress:
        words[level.value] = level
        words.update({text_key(texts[level.value]): level for texts in PAGE_TEXTS.values()})
    return words


def _goal_progress(submission: FormSubmission) -> dict[str, GoalProgress]:
    words = _progress_words()
    progress = {}
    for number in range(1, MAX_GOALS + 1):
        answer = _named(submission, f"goal_{number}")
        value = answer.value if answer is not None else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(round(value))
        level = words.get(text_key(value)) if isinstance(value, str) else None
        if level is not None:
            progress[str(number)] = level
    return progress


def read_answer(submission: FormSubmission) -> SurveyAnswer:
    rating = _named(submission, "rating") or _typed(submission, AnswerType.NUMBER)
    fit = _named(submission, "good_fit") or _typed(submission, AnswerType.BOOLEAN)
    comment = _named(submission, "comment") or _typed(submission, AnswerType.TEXT)
    text = comment.value if comment is not None and isinstance(comment.value, str) else None
    return SurveyAnswer(
        rating=_rating(rating), good_fit=_fit(fit), comment=text, goal_progress=_goal_progress(submission)
    )


def handle_survey(submission: FormSubmission, endpoint: WebhookEndpoint, ctx: ProcessingContext) -> ProcessOutcome:
    """Keep a form's survey answer on the request it names, within the endpoint's tenant and programme."""
    hidden = {text_key(name): value for name, value in submission.hidden.items()}
    survey_id = (hidden.get(SURVEY_FIELD) or "").strip()
    if not survey_id:
        return ProcessOutcome.needs_attention(NO_SURVEY, submission_id=submission.submission_id)
    answer = read_answer(submission)
    if answer.rating is None and answer.good_fit is None and not answer.goal_progress:
        return ProcessOutcome.needs_attention(NO_ANSWER, submission_id=submission.submission_id)
    try:
        recorded = record_answer(
            storage=ctx.storage,
            notifier=ctx.notifier,
            clock=ctx.clock,
            tenant_id=endpoint.tenant_id,
            programme_id=endpoint.programme_id,
            survey_id=survey_id[:128],
            answer=answer,
            channel=AnswerChannel.FORM,
        )
    except NotFound:
        return ProcessOutcome.needs_attention(UNKNOWN_SURVEY, submission_id=submission.submission_id)
    return ProcessOutcome.done(survey_id=recorded.request.survey_id, stored=recorded.stored)

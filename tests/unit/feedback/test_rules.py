"""The feedback rules: which survey rounds fall due when, reminders, concerning answers and the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.common import StatusChange
from chalicelib.domain.feedback import (
    MAX_COMMENT_CHARS,
    MAX_GOALS,
    AnswerChannel,
    GoalProgress,
    Respondent,
    Round,
    SurveyAnswer,
    SurveyPlan,
    SurveyRequest,
    apply_answer,
    clean_comment,
    due_rounds,
    feedback_figures,
    goal_figures,
    next_check,
    next_reminder,
    pair_goals,
)
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.programme import SurveyKind, SurveySpec
from tests.support import builders

MATCHED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
SURVEYS = [
    SurveySpec(kind=SurveyKind.FIT_CHECK, offset_days=21),
    SurveySpec(kind=SurveyKind.PULSE, offset_days=30, repeat_every_days=60, low_score_alert_below=6),
    SurveySpec(kind=SurveyKind.CLOSING, offset_days=7),
]


def _pair(status: PairStatus = PairStatus.APPROVED, ended: datetime | None = None) -> Pair:
    history = [StatusChange(status="approved", at=MATCHED)]
    if ended is not None:
        history.append(StatusChange(status=status.value, at=ended))
    return builders.pair("ten_a", "prg_1", "pair_1", status=status, history=history, created_at=MATCHED)


def _plan(*sent: str) -> SurveyPlan:
    return SurveyPlan(
        tenant_id="ten_a",
        programme_id="prg_1",
        pair_id="pair_1",
        matched_at=MATCHED,
        sent=list(sent),
        expires_at=MATCHED + timedelta(days=730),
    )


def _request(**fields: object) -> SurveyRequest:
    values: dict[str, object] = {
        "survey_id": "srv_1",
        "tenant_id": "ten_a",
        "programme_id": "prg_1",
        "pair_id": "pair_1",
        "participant_id": "par_ana",
        "respondent": Respondent.MENTEE,
        "kind": SurveyKind.FIT_CHECK,
        "asked_at": MATCHED,
        "expires_at": MATCHED + timedelta(days=730),
    }
    return SurveyRequest.model_validate(values | fields)


def test_the_fit_check_falls_due_21_days_after_the_match_and_not_before() -> None:
    # GIVEN a running pair matched on 1 September
    pair = _pair()
    # WHEN the rounds are computed the day before and on the day
    before = due_rounds(_plan(), pair, SURVEYS, MATCHED + timedelta(days=20))
    on_the_day = due_rounds(_plan(), pair, SURVEYS, MATCHED + timedelta(days=21))
    # THEN only on the day is the fit check due
    assert before == []
    assert on_the_day == [Round(SurveyKind.FIT_CHECK)]


def test_pulses_repeat_every_60_days_and_an_asked_round_is_never_due_again() -> None:
    # GIVEN a pair whose fit check and first pulse were asked
    pair = _pair()
    plan = _plan("fit_check:0", "pulse:0")
    # WHEN 91 days have passed
    due = due_rounds(plan, pair, SURVEYS, MATCHED + timedelta(days=91))
    # THEN the second pulse (30 + 60 days) is due, nothing asked before
    assert due == [Round(SurveyKind.PULSE, 1)]


def test_an_ended_pair_gets_only_its_closing_survey_7_days_after_the_end() -> None:
    # GIVEN a pair completed on day 10, before its fit check ever fell due
    ended = MATCHED + timedelta(days=10)
    pair = _pair(PairStatus.COMPLETED, ended=ended)
    # WHEN the rounds are computed on day 16, then day 40
    early = due_rounds(_plan(), pair, SURVEYS, ended + timedelta(days=6))
    later = due_rounds(_plan(), pair, SURVEYS, MATCHED + timedelta(days=40))
    # THEN only the closing survey, and only from day 17
    assert early == []
    assert later == [Round(SurveyKind.CLOSING)]
    assert next_check(_plan(), pair, SURVEYS, ended) == ended + timedelta(days=7)


def test_a_pair_that_never_ran_is_not_surveyed_and_leaves_the_sweep() -> None:
    # GIVEN a pair the mentor declined
    pair = _pair(PairStatus.DECLINED, ended=MATCHED + timedelta(days=2))
    # WHEN the sweep looks at it much later
    due = due_rounds(_plan(), pair, SURVEYS, MATCHED + timedelta(days=300))
    # THEN nothing is asked and the plan needs no further look
    assert due == []
    assert next_check(_plan(), pair, SURVEYS, MATCHED + timedelta(days=300)) is None


def test_a_running_pair_is_looked_at_weekly_so_an_end_is_noticed() -> None:
    # GIVEN a running pair whose next round is 21 days away
    pair = _pair()
    # WHEN its next check is computed at the match
    wake = next_check(_plan(), pair, SURVEYS, MATCHED)
    # THEN it is a week later, not three
    assert wake == MATCHED + timedelta(days=7)


def test_reminders_go_7_14_and_21_days_after_asking_and_stop_with_an_answer() -> None:
    # GIVEN an unanswered request
    request = _request()
    schedule = []
    # WHEN its reminders are counted off one by one
    for sent in range(4):
        request.reminders_sent = sent
        schedule.append(next_reminder(request))
    # THEN 7, 14, 21 days after, then no more; and none once answered
    assert schedule == [MATCHED + timedelta(days=d) for d in (7, 14, 21)] + [None]
    request.reminders_sent = 0
    apply_answer(request, SurveyAnswer(rating=8), AnswerChannel.LINK, MATCHED + timedelta(days=1))
    assert next_reminder(request) is None


def test_the_first_answer_stands_and_a_second_changes_nothing() -> None:
    # GIVEN a request answered with 9
    request = _request()
    first = apply_answer(request, SurveyAnswer(rating=9, good_fit=True), AnswerChannel.LINK, MATCHED)
    # WHEN another answer arrives
    second = apply_answer(request, SurveyAnswer(rating=1, good_fit=False), AnswerChannel.FORM, MATCHED)
    # THEN the first is kept
    assert (first, second) == (True, False)
    assert (request.rating, request.good_fit, request.channel) == (9, True, AnswerChannel.LINK)


def test_a_low_rating_or_not_a_good_fit_is_concerning_with_the_survey_threshold() -> None:
    # GIVEN the default threshold (5) and a pulse's own threshold (6)
    answers = {
        "low": _request(rating=4),
        "fine": _request(rating=5),
        "not fit": _request(rating=9, good_fit=False),
        "pulse 5": _request(rating=5, alert_below=6),
    }
    # THEN
    assert {name: request.concerning for name, request in answers.items()} == {
        "low": True,
        "fine": False,
        "not fit": True,
        "pulse 5": True,
    }


def test_a_100_kb_comment_with_html_is_stored_cut_to_size_and_as_text() -> None:
    # GIVEN a pasted comment of 100 KB with markup and control characters
    comment = "<script>alert('x')</script>\x00 Ana je sjajna. " + "ž" * 100_000
    # WHEN it is cleaned for storage
    stored = clean_comment(comment)
    # THEN it is cut to the limit, without the control character; escaping is the page's job
    assert stored is not None
    assert len(stored) == MAX_COMMENT_CHARS
    assert stored.startswith("<script>alert('x')</script> Ana je sjajna.")
    assert clean_comment("   \n ") is None


def test_figures_count_response_rate_mean_and_nps_and_carry_no_comment() -> None:
    # GIVEN four people asked a fit check: answers 10, 9 and 3 (not a good fit, with a comment), one silent
    requests = [
        _request(survey_id="srv_a", rating=10, answered_at=MATCHED),
        _request(survey_id="srv_b", rating=9, answered_at=MATCHED),
        _request(survey_id="srv_c", rating=3, good_fit=False, comment="Marko never answers", answered_at=MATCHED),
        _request(survey_id="srv_d"),
    ]
    # WHEN the figures are computed
    figures = feedback_figures(requests)
    # THEN
    total = figures.total
    assert (total.asked, total.answered, total.response_rate) == (4, 3, 0.75)
    assert (total.mean_rating, total.nps, total.not_a_good_fit) == (7.33, 33.3, 1)
    assert set(figures.by_kind) == {"fit_check"}
    assert "Marko" not in figures.model_dump_json()


def test_a_mentees_goals_are_their_topics_then_each_line_of_their_words_without_repeats_and_bounded() -> None:
    # GIVEN chosen topics and free text with bullets, a semicolon, a repeat in other case and too many goals
    topics = ["Public speaking", "Negotiation"]
    words = "- Lead my first team; public speaking\n\n* " + "x" * 300 + "\n" + "\n".join(f"goal {n}" for n in range(20))
    # WHEN the pair's goals are taken from them
    goals = pair_goals(words, topics)
    # THEN topics come first, each line after, the repeat dropped, long ones cut and at most MAX_GOALS kept
    assert goals[:3] == ["Public speaking", "Negotiation", "Lead my first team"]
    assert goals[3] == "x" * 200
    assert len(goals) == MAX_GOALS
    assert pair_goals(None, []) == []


def test_an_answer_keeps_progress_only_for_goals_the_survey_asked_about() -> None:
    # GIVEN a pulse asking about two goals
    request = _request(kind=SurveyKind.PULSE, goals=["Lead a team", "Write a book"])
    answer = SurveyAnswer(goal_progress={"1": GoalProgress.ACHIEVED, "3": GoalProgress.ACHIEVED})
    # WHEN the answer is applied
    stored = apply_answer(request, answer, AnswerChannel.LINK, MATCHED)
    # THEN the answer counts, and only goal 1 is kept (there is no goal 3)
    assert stored
    assert request.goal_progress == {"1": GoalProgress.ACHIEVED}


def test_goal_figures_count_each_goal_of_each_pair_once_at_its_latest_answer() -> None:
    # GIVEN a pair's goal 1 answered "not started" at mid-point and "achieved" at the close, goal 2 "some progress"
    mid = _request(
        survey_id="srv_mid",
        goals=["a", "b"],
        answered_at=MATCHED + timedelta(days=30),
        goal_progress={"1": GoalProgress.NOT_STARTED, "2": GoalProgress.SOME_PROGRESS},
    )
    close = _request(
        survey_id="srv_close",
        goals=["a", "b"],
        answered_at=MATCHED + timedelta(days=90),
        goal_progress={"1": "achieved"},
    )
    unanswered = _request(survey_id="srv_open", goals=["a", "b"])
    # WHEN the goal figures are computed
    figures = goal_figures([close, unanswered, mid])
    # THEN two goals, both moved, one achieved
    assert (figures.goals, figures.with_progress, figures.achieved) == (2, 2, 1)
    assert (figures.progress_share, figures.achieved_share) == (1.0, 0.5)
    assert goal_figures([]).progress_share is None


def test_a_fit_check_counted_from_the_first_meeting_has_no_round_until_the_pair_has_met() -> None:
    # GIVEN a fit check 21 days after the first meeting, and a pair that first met on day 10
    surveys = [SurveySpec(kind=SurveyKind.FIT_CHECK, offset_days=21, count_from="after_first_meeting")]
    pair = _pair()
    unmet = _plan()
    met = _plan().model_copy(update={"first_met_at": MATCHED + timedelta(days=10)})
    # WHEN the rounds are computed on day 30 and day 31
    # THEN nothing is due while they have not met, and the fit check on day 31 once they have
    assert due_rounds(unmet, pair, surveys, MATCHED + timedelta(days=60)) == []
    assert due_rounds(met, pair, surveys, MATCHED + timedelta(days=30)) == []
    assert due_rounds(met, pair, surveys, MATCHED + timedelta(days=31)) == [Round(SurveyKind.FIT_CHECK)]

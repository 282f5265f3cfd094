"""Contract of SurveyRepository: plans and requests stored once, the two sparse due indexes, a programme's answers."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.feedback import Respondent, SurveyPlan, SurveyRequest
from chalicelib.domain.programme import SurveyKind
from chalicelib.errors import VersionConflict
from tests.support.builders import BELGRADE, at
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage

KEEP = timedelta(days=730)


def _plan(pair_id: str, next_minutes: int | None, *, programme_id: str = "prg_1") -> SurveyPlan:
    return SurveyPlan(
        tenant_id="ten_a",
        programme_id=programme_id,
        pair_id=pair_id,
        matched_at=at(0),
        next_at=None if next_minutes is None else at(next_minutes).astimezone(BELGRADE),
        expires_at=at(0) + KEEP,
    )


def _request(
    survey_id: str, remind_minutes: int | None, *, programme_id: str = "prg_1", **fields: object
) -> SurveyRequest:
    values: dict[str, object] = {
        "survey_id": survey_id,
        "tenant_id": "ten_a",
        "programme_id": programme_id,
        "pair_id": "pair_1",
        "participant_id": "par_ana",
        "respondent": Respondent.MENTEE,
        "kind": SurveyKind.PULSE,
        "number": 2,
        "asked_at": at(0),
        "remind_at": None if remind_minutes is None else at(remind_minutes),
        "alert_below": 6,
        "expires_at": at(0) + KEEP,
    }
    return SurveyRequest.model_validate(values | fields)


def test_a_plan_is_stored_once_and_reads_back_with_every_field(storage: Storage) -> None:
    # GIVEN a plan with a round asked
    plan = _plan("pair_1", 10).model_copy(update={"sent": ["fit_check:0"]})
    # WHEN it is added twice
    first = storage.surveys.add_plan(plan)
    second = storage.surveys.add_plan(_plan("pair_1", 99))
    # THEN the first stands, exactly as added
    assert (first, second) == (True, False)
    stored = storage.surveys.get_plan("ten_a", "prg_1", "pair_1")
    assert stored is not None
    assert differences(plan.model_copy(update={"version": 1}), stored) == []


def test_a_stale_plan_save_is_refused(storage: Storage) -> None:
    # GIVEN a plan read by two sweeps
    storage.surveys.add_plan(_plan("pair_1", 10))
    one = storage.surveys.get_plan("ten_a", "prg_1", "pair_1")
    two = storage.surveys.get_plan("ten_a", "prg_1", "pair_1")
    assert one is not None
    assert two is not None
    # WHEN both save
    storage.surveys.save_plan(one.model_copy(update={"sent": ["fit_check:0"]}))
    # THEN the second is refused
    with pytest.raises(VersionConflict):
        storage.surveys.save_plan(two.model_copy(update={"sent": ["fit_check:0"]}))


def test_only_plans_whose_check_has_come_are_due_oldest_first_and_closed_ones_leave(storage: Storage) -> None:
    # GIVEN plans due at minutes 30, 10 and 50, one closed, one in another programme
    for pair_id, minutes in (("pair_b", 30), ("pair_a", 10), ("pair_c", 50), ("pair_closed", None)):
        storage.surveys.add_plan(_plan(pair_id, minutes))
    storage.surveys.add_plan(_plan("pair_x", 20, programme_id="prg_2"))
    # WHEN the sweep asks at minute 30, and with a limit
    due = storage.surveys.plans_due(at(30))
    first = storage.surveys.plans_due(at(30), limit=1)
    # THEN
    assert [p.pair_id for p in due] == ["pair_a", "pair_x", "pair_b"]
    assert [p.pair_id for p in first] == ["pair_a"]
    # AND a plan saved with no next check leaves the index
    closing = storage.surveys.get_plan("ten_a", "prg_1", "pair_a")
    assert closing is not None
    storage.surveys.save_plan(closing.model_copy(update={"next_at": None}))
    assert [p.pair_id for p in storage.surveys.plans_due(at(30))] == ["pair_x", "pair_b"]


def test_a_request_is_stored_once_and_reminders_due_list_only_unanswered_ones(storage: Storage) -> None:
    # GIVEN three requests with reminders at minutes 5 and 15, and one without
    request = _request("srv_1", 5, comment=None)
    assert storage.surveys.add_request(request)
    assert not storage.surveys.add_request(_request("srv_1", 99))
    storage.surveys.add_request(_request("srv_2", 15))
    storage.surveys.add_request(_request("srv_3", None))
    # WHEN srv_1 is answered
    stored = storage.surveys.get_request("ten_a", "prg_1", "srv_1")
    assert stored is not None
    assert differences(request.model_copy(update={"version": 1}), stored) == []
    storage.surveys.save_request(
        stored.model_copy(update={"answered_at": at(6), "rating": 9, "comment": "Odlično <b>", "remind_at": None})
    )
    # THEN only srv_2 is due for a reminder
    assert [r.survey_id for r in storage.surveys.reminders_due(at(60))] == ["srv_2"]
    assert storage.surveys.reminders_due(at(14)) == []


def test_a_programme_lists_its_own_requests_only(storage: Storage) -> None:
    # GIVEN requests in two programmes
    storage.surveys.add_request(_request("srv_b", None))
    storage.surveys.add_request(_request("srv_a", None))
    storage.surveys.add_request(_request("srv_other", None, programme_id="prg_2"))
    # WHEN the first programme's are listed
    listed = storage.surveys.requests("ten_a", "prg_1")
    # THEN
    assert [r.survey_id for r in listed] == ["srv_a", "srv_b"]
    assert storage.surveys.get_request("ten_a", "prg_2", "srv_a") is None

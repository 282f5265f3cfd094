"""The survey sweep with fakes: a sweep killed midway and run again asks each person once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.common import StatusChange
from chalicelib.domain.feedback import SurveyPlan
from chalicelib.domain.pair import PairStatus
from chalicelib.notify.outbox import Notifier
from chalicelib.services.feedback import plan_surveys, sweep_surveys
from chalicelib.services.link_issuer import LinkIssuer
from chalicelib.storage.repositories import Storage, in_memory_storage
from chalicelib.storage.surveys import InMemorySurveys
from tests.support import builders

MATCHED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
LINKS = LinkIssuer(keys=(b"test-key",), base_url="https://mentorflow.example.org")


class SweepKilledAfterAsking(InMemorySurveys):
    """Surveys whose first plan save never happens, as when the Lambda is killed after queueing the messages."""

    def __init__(self) -> None:
        super().__init__()
        self.kills_left = 1

    def save_plan(self, plan: SurveyPlan) -> SurveyPlan:
        if self.kills_left:
            self.kills_left -= 1
            raise TimeoutError("Lambda timed out")
        return super().save_plan(plan)


@pytest.fixture
def storage() -> Storage:
    storage = in_memory_storage()
    storage.surveys = SweepKilledAfterAsking()
    programme = builders.programme("ten_a", "prg_1", languages=["sr", "en"], default_language="sr")
    storage.programmes.save(programme)
    for participant_id, role, email in (
        ("par_mentor", "mentor", "jelena@example.rs"),
        ("par_mentee", "mentee", "ona@example.lt"),
    ):
        storage.participants.save(
            builders.participant("ten_a", "prg_1", participant_id, profile=builders.profile(email, role=role))
        )
    pair = builders.pair(
        "ten_a", "prg_1", "pair_1", status=PairStatus.APPROVED, history=[StatusChange(status="approved", at=MATCHED)]
    )
    storage.pairs.save(pair)
    plan_surveys(storage, programme, pair)
    return storage


def test_a_sweep_killed_after_asking_and_run_again_asks_each_person_once(storage: Storage) -> None:
    # GIVEN the fit check has come
    clock = FixedClock(MATCHED + timedelta(days=21, hours=1))
    notifier = Notifier(storage.messages, clock)

    # WHEN the sweep is killed before it records the round, then runs again, then once more
    with pytest.raises(TimeoutError):
        sweep_surveys(storage=storage, notifier=notifier, clock=clock, links=LINKS)
    sweep_surveys(storage=storage, notifier=notifier, clock=clock, links=LINKS)
    last = sweep_surveys(storage=storage, notifier=notifier, clock=clock, links=LINKS)

    # THEN each person has one survey request and one message, and the plan records the round
    queued = [m for m in storage.messages.by_state("pending") if m.template == "survey_request"]  # type: ignore[arg-type]
    assert sorted(m.participant_id or "" for m in queued) == ["par_mentee", "par_mentor"]
    assert len(storage.surveys.requests("ten_a", "prg_1")) == 2
    plan = storage.surveys.get_plan("ten_a", "prg_1", "pair_1")
    assert plan is not None
    assert plan.sent == ["fit_check:0"]
    assert last.surveys_asked == 0


def test_a_person_with_a_language_we_do_not_write_is_asked_in_the_programmes_language(storage: Storage) -> None:
    # GIVEN the mentee's profile says Brazilian Portuguese, which no template is written in
    mentee = storage.participants.get("ten_a", "prg_1", "par_mentee")
    assert mentee is not None
    mentee.profile = mentee.profile.model_copy(update={"language": "pt-br"})
    storage.participants.save(mentee)
    storage.surveys.kills_left = 0  # type: ignore[attr-defined]
    clock = FixedClock(MATCHED + timedelta(days=21, hours=1))

    # WHEN the sweep asks the fit check
    report = sweep_surveys(storage=storage, notifier=Notifier(storage.messages, clock), clock=clock, links=LINKS)

    # THEN both are asked, the mentee in the programme's default language
    assert report.surveys_asked == 2
    queued = {m.participant_id: m.language for m in storage.messages.by_state("pending")}  # type: ignore[arg-type]
    assert queued["par_mentee"] == "sr"

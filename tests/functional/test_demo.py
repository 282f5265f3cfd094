"""``make demo``: the five sample programmes run a whole cycle through the real routes and jobs.

The cycle runs once per module on the in-memory store with only the seeds' own applicants
(the demo itself adds more and runs on DynamoDB Local or moto); the tests read its result.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.storage.repositories import in_memory_storage
from devtools.demo_cycle import CycleResult, render, run_cycle

LANGUAGES = {"sr", "lt", "sl", "da"}


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> CycleResult:
    # GIVEN the demo tenant's five programmes, run through ninety simulated days
    outbox: Path = tmp_path_factory.mktemp("demo-outbox")
    return run_cycle(in_memory_storage(), outbox, extra_applicants=0)


def test_every_programme_is_matched_meets_and_no_job_fails(cycle: CycleResult) -> None:
    # WHEN the figures of the five programmes are read
    figures = [report["figures"] for report in cycle.programmes]

    # THEN all five are there, every mentee was matched, pairs met and no job failed
    assert len(figures) == 5
    assert all(f["matched_share"] == 1.0 for f in figures)
    assert all(f["meetings_held"] > 0 and f["median_days_to_first_meeting"] is not None for f in figures)
    assert cycle.job_failures == []


def test_the_silent_pair_of_each_programme_is_nudged_up_the_ladder_and_escalated(cycle: CycleResult) -> None:
    # WHEN the nudges each programme wrote are counted
    counts = [(report["nudges_sent"], report["nudges_escalated"]) for report in cycle.programmes]

    # THEN each silent pair heard the three steps (both people) and the coordinator was told once
    assert counts == [(6, 1)] * 5


def test_answers_through_the_page_and_the_form_roll_up_into_the_figures(cycle: CycleResult) -> None:
    # WHEN the feedback figures are read
    totals = [report["figures"]["feedback"]["total"] for report in cycle.programmes]

    # THEN most surveys were answered, by mentees on the page and by mentors in the form tool
    assert all(set(report["answers_by_channel"]) == {"link", "form"} for report in cycle.programmes)
    # ... some low (the silent pair), and the scores are in range
    assert all(t["asked"] > 0 and 0.5 <= t["response_rate"] <= 1 for t in totals)
    assert all(0 <= t["mean_rating"] <= 10 and -100 <= t["nps"] <= 100 for t in totals)
    assert all(t["not_a_good_fit"] >= 1 for t in totals)


def test_both_events_count_invitations_yeses_and_attendance(cycle: CycleResult) -> None:
    # WHEN the events' figures are read
    events = [report["figures"]["events"] for report in cycle.programmes]

    # THEN the mentor training and the closing event were attended by some of those who said yes
    for programme_events in events:
        assert [e["kind"] for e in programme_events] == ["mentor_training", "closing"]
        assert all(0 < e["attended"] <= e["yes"] <= e["invited"] for e in programme_events)


def test_each_programme_wrote_its_e_mails_in_its_own_language(cycle: CycleResult) -> None:
    # WHEN the e-mails are counted by programme and in the outbox folder
    by_programme = {report["language"]: set(report["emails_by_language"]) for report in cycle.programmes}

    # THEN each programme wrote in its language only, and every .eml file says its language
    assert by_programme == {language: {language} for language in LANGUAGES}
    assert set(cycle.eml_by_language) == LANGUAGES
    assert sum(cycle.eml_by_language.values()) == len(list(cycle.outbox.glob("*.eml")))


def test_the_report_names_every_programme_its_figures_and_the_outbox(cycle: CycleResult) -> None:
    # WHEN the report is printed
    text = render(cycle)

    # THEN it shows each programme's table and where the e-mails are
    assert all(report["name"] in text for report in cycle.programmes)
    assert text.count("matched share") == 5
    assert text.count("NPS") == 5
    assert str(cycle.outbox) in text

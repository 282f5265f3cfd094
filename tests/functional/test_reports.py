"""Programme figures and CSV downloads through the admin API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from chalicelib.domain.meetings import MeetingStatus
from tests.support import builders
from tests.support.world import V1, World


def test_figures_count_matching_meetings_silence_and_feedback_and_the_csvs_keep_formulas_as_text(world: World) -> None:
    # GIVEN two pairs approved today, one of which met on day 10 and day 40; a mentee whose name looks like a formula
    coordinator = world.tenant()
    programme_id = coordinator.programme(meeting_cadence_days=30)
    for n in (1, 2):
        coordinator.enrol(programme_id, "mentor", f"Mentor {n}", f"mentor{n}@example.rs", language="sr")
    coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", language="sr")
    coordinator.enrol(programme_id, "mentee", '=HYPERLINK("x")', "formula@example.org", language="sr")
    coordinator.enrol(programme_id, "mentee", "Waiting Person", "wait@example.org", language="sr")
    run = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body
    pair_ids = [p["pair_id"] for p in run["proposals"]]
    for pair_id in pair_ids:
        coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{pair_id}/approve", {})
    start = world.clock.now()
    for number, day in enumerate((10, 40)):
        world.storage.meetings.save(
            builders.meeting(
                coordinator.tenant_id,
                programme_id,
                pair_ids[0],
                f"mtg_{number}",
                starts_at=start + timedelta(days=day),
                status=MeetingStatus.HELD,
                updated_at=start,
            )
        )

    # WHEN 60 days have passed
    world.clock.advance(timedelta(days=60))
    figures = coordinator.get(f"{V1}/programmes/{programme_id}/figures").json_body
    participants_csv = coordinator.get(f"{V1}/programmes/{programme_id}/exports/participants")
    unknown = coordinator.get(f"{V1}/programmes/{programme_id}/exports/secrets")

    # THEN two of three mentees are matched, the first pair met after 10 days and once a cadence, the other is silent
    assert (figures["mentees"], figures["matched_mentees"], figures["matched_share"]) == (3, 2, 0.6667)
    assert figures["median_days_to_first_meeting"] == 10.0
    assert (figures["meetings_held"], figures["meetings_per_pair"]) == (2, 1.0)
    assert figures["meetings_against_cadence"] == 0.5
    assert figures["silent_pairs"] == 1
    # AND the CSV is text with the formula defused
    assert participants_csv.status_code == 200
    assert participants_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(participants_csv.body.decode())))
    assert len(rows) == 5
    assert '\'=HYPERLINK("x")' in {row["name"] for row in rows}
    assert unknown.status_code == 404

"""The operator CLI's job commands read the one job table: what it lists is what EventBridge runs."""

from __future__ import annotations

import io
import json

from chalicelib.cli import run as run_cli
from chalicelib.jobs import JOBS
from tests.support.world import World


def test_jobs_lists_every_job_with_its_schedule_expression(world: World) -> None:
    # GIVEN the job table WHEN an operator lists the jobs
    out = io.StringIO()
    status = run_cli(["jobs"], world.container, out)

    # THEN each job appears once, with the expression its Lambda is scheduled by
    assert status == 0
    listed = json.loads(out.getvalue())
    assert listed == {
        name: {"schedule": job.schedule.expression(), "description": job.description} for name, job in JOBS.items()
    }
    assert listed["send-messages"]["schedule"] == "rate(5 minutes)"


def test_run_job_refuses_a_job_that_is_not_in_the_table(world: World) -> None:
    # GIVEN / WHEN an operator runs a job no schedule knows of
    out = io.StringIO()
    status = run_cli(["run-job", "nightly-sync"], world.container, out)

    # THEN nothing runs and the known jobs are named
    assert status == 2
    assert "unknown job 'nightly-sync'" in out.getvalue()
    assert all(name in out.getvalue() for name in JOBS)


def test_run_job_runs_a_job_of_the_table_and_prints_its_counts(world: World) -> None:
    # GIVEN an empty outbox WHEN an operator sends the queued messages now
    out = io.StringIO()
    status = run_cli(["run-job", "send-messages"], world.container, out)

    # THEN the job ran and reported its counts: nothing was there to send
    assert status == 0
    assert json.loads(out.getvalue())["sent"] == 0

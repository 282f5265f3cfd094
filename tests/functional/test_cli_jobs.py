"""The operator CLI's job commands read the one job table: what it lists is what EventBridge runs."""

from __future__ import annotations

import io
import json
from pathlib import Path

from chalicelib.cli import STACK_FILE_ENV, settings_for_cli
from chalicelib.cli import run as run_cli
from chalicelib.container import Container
from chalicelib.jobs import JOBS
from chalicelib.notify.channels import RecordingChannel
from devtools.local_stack import write_stack_file
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


def test_the_cli_finds_the_running_local_stack_and_writes_its_mail_to_the_stack_outbox(tmp_path: Path) -> None:
    # GIVEN a local stack's file naming its table, database and outbox, and a shell without MENTORFLOW_ settings
    stack_file = tmp_path / "stack.json"
    write_stack_file(
        stack_file,
        {
            "MENTORFLOW_STAGE": "local",
            "MENTORFLOW_TABLE_NAME": "mentorflow-local",
            "MENTORFLOW_DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:8001",
            "MENTORFLOW_EMAIL_CHANNEL": "file",
            "MENTORFLOW_OUTBOX_DIR": str(tmp_path / "outbox"),
        },
    )

    # WHEN the CLI works out its settings
    settings = settings_for_cli({STACK_FILE_ENV: str(stack_file), "AWS_DEFAULT_REGION": "us-east-1"})

    # THEN it uses the stack's database and writes e-mails as files, never through SES
    assert settings.dynamodb_endpoint_url == "http://127.0.0.1:8001"
    assert settings.email_channel == "file"
    assert settings.outbox_dir == str(tmp_path / "outbox")


def test_without_a_local_stack_the_cli_refuses_to_send_through_ses_from_the_local_stage(
    world: World, tmp_path: Path
) -> None:
    # GIVEN no stack file and no settings in the shell
    settings = settings_for_cli({STACK_FILE_ENV: str(tmp_path / "missing.json")})
    container = Container(settings=settings, _storage=world.container.storage)

    # WHEN an operator runs the sender by hand
    out = io.StringIO()
    status = run_cli(["run-job", "send-messages"], container, out, refuse_local_ses=True)

    # THEN nothing is sent and they are told how to reach the stack
    assert status == 2
    assert "make run" in out.getvalue()
    assert settings.email_channel == "ses"


def test_an_operator_sets_a_tenants_from_address_and_the_sender_uses_it(world: World) -> None:
    # GIVEN a tenant and a queued message of theirs
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentee", "Ana Novak", "ana@example.si")
    channel = RecordingChannel()
    world.container._channel = channel

    # WHEN the operator sets the tenant's verified sender and rate, and the sender runs
    out = io.StringIO()
    status = run_cli(
        ["set-sending", "--tenant", coordinator.tenant_id, "--sender", "Mentorstvo@Skupnost.example.si", "--rate", "2"],
        world.container,
        out,
    )
    run_cli(["run-job", "send-messages"], world.container, io.StringIO())

    # THEN the welcome went from that address
    assert status == 0
    assert json.loads(out.getvalue())["sender_email"] == "mentorstvo@skupnost.example.si"
    assert channel.senders == ["mentorstvo@skupnost.example.si"]

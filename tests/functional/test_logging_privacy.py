"""Logs carry ids and counts, never personal data, secrets or raw bodies."""

from __future__ import annotations

import json
import logging

import pytest

from chalicelib.jobs import run_job
from tests.support.world import RecordingProcessor, World, signed_standard


def test_no_email_name_secret_or_body_reaches_the_logs(
    world: World, processor: RecordingProcessor, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN
    caplog.set_level(logging.DEBUG, logger="mentorflow")
    caplog.set_level(logging.INFO)
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    issued = coordinator.endpoint(programme_id, "standard")
    secrets_and_personal_data = [
        "dragana.djordjevic@example.rs",
        "Dragana Đorđević",
        coordinator.api_key,
        issued.secret,
        "private answer about burnout",
    ]
    body = json.dumps({"answers": [{"id": "goals", "value": "private answer about burnout"}]}).encode()
    processor.failures_left = 1
    # WHEN
    coordinator.post(
        f"/api/v1/programmes/{programme_id}/participants",
        {"profile": {"role": "mentor", "email": "dragana.djordjevic@example.rs", "name": "Dragana Đorđević"}},
    )
    world.client.http.post(
        f"/hooks/standard/{issued.endpoint.endpoint_id}",
        headers=signed_standard(issued.secret, body, msg_id="msg_log", at=world.clock.now()),
        body=body,
    )
    world.client.http.post(
        f"/hooks/standard/{issued.endpoint.endpoint_id}",
        headers={
            "webhook-id": "x",
            "webhook-timestamp": "1",
            "webhook-signature": "v1,AAAA",
            "Content-Type": "application/json",
        },
        body=body,
    )
    run_job("retry-deliveries", world.container)
    # THEN
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "webhook processing failed" in logged
    for sensitive in secrets_and_personal_data:
        assert sensitive not in logged

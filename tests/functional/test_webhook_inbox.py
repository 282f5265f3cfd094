"""The webhook inbox: verification, durable idempotent recording, retries with back-off, parking and replay."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from chalicelib.cli import run as run_cli
from chalicelib.domain.webhook import DeliveryState
from chalicelib.jobs import run_job
from tests.support.world import RecordingProcessor, World, signed_standard

BODY = json.dumps({"type": "form.submitted", "data": {"answers": [{"id": "name", "value": "Søren Ærø"}]}}).encode()


def _post(world: World, endpoint_id: str, headers: dict[str, str], body: bytes = BODY, source: str = "standard"):  # type: ignore[no-untyped-def]
    return world.client.http.post(f"/hooks/{source}/{endpoint_id}", headers=headers, body=body)


def _setup(world: World):  # type: ignore[no-untyped-def]
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "standard")
    return coordinator, issued


def test_a_signed_delivery_is_recorded_and_processed(world: World, processor: RecordingProcessor) -> None:
    # GIVEN
    _, issued = _setup(world)
    headers = signed_standard(issued.secret, BODY, msg_id="msg_1", at=world.clock.now())
    # WHEN
    response = _post(world, issued.endpoint.endpoint_id, headers)
    # THEN
    assert response.status_code == 200
    assert response.json_body == {"delivery_id": "msg_1", "state": "done", "duplicate": False}
    assert processor.processed == ["msg_1"]
    stored = world.storage.deliveries.get(issued.endpoint.endpoint_id, "msg_1")
    assert stored is not None
    assert stored.state is DeliveryState.DONE
    assert stored.attempts == 1
    assert stored.expires_at is not None
    assert stored.expires_at > world.clock.now()


def test_a_replayed_delivery_is_processed_once(world: World, processor: RecordingProcessor) -> None:
    # GIVEN
    _, issued = _setup(world)
    headers = signed_standard(issued.secret, BODY, msg_id="msg_dup", at=world.clock.now())
    # WHEN
    answers = [_post(world, issued.endpoint.endpoint_id, headers) for _ in range(5)]
    # THEN
    assert [a.json_body["duplicate"] for a in answers] == [False, True, True, True, True]
    assert processor.processed == ["msg_dup"]


def test_wrong_missing_or_expired_signatures_answer_401_and_store_nothing(
    world: World, processor: RecordingProcessor
) -> None:
    # GIVEN
    _, issued = _setup(world)
    endpoint_id = issued.endpoint.endpoint_id
    good = signed_standard(issued.secret, BODY, msg_id="msg_x", at=world.clock.now())
    wrong_secret = signed_standard("whsec_" + "QUJD" * 8, BODY, msg_id="msg_x", at=world.clock.now())
    expired = signed_standard(issued.secret, BODY, msg_id="msg_x", at=world.clock.now() - timedelta(minutes=6))
    tampered_body = BODY.replace(b"form.submitted", b"form.deleted")
    # WHEN
    answers = [
        _post(world, endpoint_id, wrong_secret),
        _post(world, endpoint_id, {"Content-Type": "application/json"}),
        _post(world, endpoint_id, expired),
        _post(world, endpoint_id, good, body=tampered_body),
        _post(world, endpoint_id, {**good, "webhook-timestamp": "yesterday"}),
        _post(world, endpoint_id, {**good, "webhook-signature": "v1,"}),
    ]
    # THEN
    assert [a.status_code for a in answers] == [401] * len(answers)
    assert {a.json_body["error"] for a in answers} == {"invalid_signature"}
    assert world.storage.deliveries.for_endpoint(endpoint_id) == []
    assert processor.processed == []


def test_unknown_sources_and_endpoints_answer_404_and_store_nothing(world: World) -> None:
    # GIVEN
    _, issued = _setup(world)
    headers = signed_standard(issued.secret, BODY, msg_id="msg_y", at=world.clock.now())
    # WHEN
    unknown_source = _post(world, issued.endpoint.endpoint_id, headers, source="fax")
    other_source = _post(world, issued.endpoint.endpoint_id, headers, source="typeform")
    unknown_endpoint = _post(world, "ep_missing", headers)
    # THEN
    assert [r.status_code for r in (unknown_source, other_source, unknown_endpoint)] == [404, 404, 404]
    assert world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id) == []


def test_oversized_bodies_and_unexpected_content_types_are_refused_before_storage(world: World) -> None:
    # GIVEN
    _, issued = _setup(world)
    huge = b'{"a": "' + b"x" * 1_100_000 + b'"}'
    headers_huge = signed_standard(issued.secret, huge, msg_id="msg_big", at=world.clock.now())
    headers_xml = signed_standard(
        issued.secret, b"<a/>", msg_id="msg_xml", at=world.clock.now(), content_type="application/xml"
    )
    # WHEN
    too_big = _post(world, issued.endpoint.endpoint_id, headers_huge, body=huge)
    wrong_type = _post(world, issued.endpoint.endpoint_id, headers_xml, body=b"<a/>")
    # THEN
    assert too_big.status_code == 413
    assert wrong_type.status_code == 415
    assert world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id) == []


def test_a_failing_processor_leaves_the_delivery_retryable_and_the_sweeper_finishes_it(
    world: World, processor: RecordingProcessor
) -> None:
    # GIVEN
    _, issued = _setup(world)
    processor.failures_left = 2
    headers = signed_standard(issued.secret, BODY, msg_id="msg_retry", at=world.clock.now())
    # WHEN
    first = _post(world, issued.endpoint.endpoint_id, headers)
    early_sweep = run_job("retry-deliveries", world.container)
    world.clock.advance(timedelta(minutes=1, seconds=1))
    second_sweep = run_job("retry-deliveries", world.container)
    after_second = world.storage.deliveries.get(issued.endpoint.endpoint_id, "msg_retry")
    world.clock.advance(timedelta(minutes=2, seconds=1))
    third_sweep = run_job("retry-deliveries", world.container)
    # THEN
    assert first.status_code == 202
    assert first.json_body["state"] == "retrying"
    assert early_sweep["retried"] == 0
    assert second_sweep["failed"] == 1
    assert after_second is not None
    assert after_second.attempts == 2
    assert after_second.last_error == "ProcessingFailed: downstream system unavailable"
    assert after_second.body == BODY
    assert third_sweep["done"] == 1
    assert processor.processed == ["msg_retry"]
    final = world.storage.deliveries.get(issued.endpoint.endpoint_id, "msg_retry")
    assert final is not None
    assert final.state is DeliveryState.DONE
    assert final.attempts == 3


def test_a_delivery_that_keeps_failing_is_parked_dead_listed_by_the_cli_and_replayed(
    world: World, processor: RecordingProcessor
) -> None:
    # GIVEN
    _, issued = _setup(world)
    processor.failures_left = 100
    headers = signed_standard(issued.secret, BODY, msg_id="msg_dead", at=world.clock.now())
    _post(world, issued.endpoint.endpoint_id, headers)
    for _ in range(world.container.settings.delivery_max_attempts):
        world.clock.advance(timedelta(hours=7))
        run_job("retry-deliveries", world.container)
    parked = world.storage.deliveries.get(issued.endpoint.endpoint_id, "msg_dead")
    # WHEN
    listing = io.StringIO()
    run_cli(["deliveries", "--state", "dead"], world.container, listing)
    processor.failures_left = 0
    replay_out = io.StringIO()
    code = run_cli(
        ["replay", "--endpoint", issued.endpoint.endpoint_id, "--delivery", "msg_dead"], world.container, replay_out
    )
    # THEN
    assert parked is not None
    assert parked.state is DeliveryState.DEAD
    assert parked.attempts == world.container.settings.delivery_max_attempts
    assert [d["delivery_id"] for d in json.loads(listing.getvalue())] == ["msg_dead"]
    assert code == 0
    assert json.loads(replay_out.getvalue())["state"] == "done"
    assert processor.processed == ["msg_dead"]
    assert world.storage.deliveries.by_state(DeliveryState.DEAD) == []


def test_a_delivery_signed_with_the_old_secret_is_accepted_only_during_the_grace_period(
    world: World, processor: RecordingProcessor
) -> None:
    # GIVEN
    coordinator, issued = _setup(world)
    old_secret = issued.secret
    coordinator.post(f"/api/v1/endpoints/{issued.endpoint.endpoint_id}/rotate", {"grace_hours": 1})
    # WHEN
    within = _post(
        world,
        issued.endpoint.endpoint_id,
        signed_standard(old_secret, BODY, msg_id="msg_old_1", at=world.clock.now()),
    )
    world.clock.advance(timedelta(hours=2))
    after = _post(
        world,
        issued.endpoint.endpoint_id,
        signed_standard(old_secret, BODY, msg_id="msg_old_2", at=world.clock.now()),
    )
    # THEN
    assert within.status_code == 200
    assert after.status_code == 401
    assert processor.processed == ["msg_old_1"]


def test_deliveries_are_listed_for_the_coordinator_and_replayed_through_the_api(
    world: World, processor: RecordingProcessor
) -> None:
    # GIVEN
    coordinator, issued = _setup(world)
    processor.failures_left = 1
    _post(world, issued.endpoint.endpoint_id, signed_standard(issued.secret, BODY, msg_id="m1", at=world.clock.now()))
    endpoint_path = f"/api/v1/endpoints/{issued.endpoint.endpoint_id}"
    # WHEN
    retrying = coordinator.get(f"{endpoint_path}/deliveries?state=retrying").json_body["items"]
    replayed = coordinator.post(f"{endpoint_path}/deliveries/m1/replay")
    missing = coordinator.post(f"{endpoint_path}/deliveries/nope/replay")
    # THEN
    assert [(d["delivery_id"], d["attempts"], d["body_kept"]) for d in retrying] == [("m1", 1, True)]
    assert "body" not in retrying[0]
    assert replayed.json_body["state"] == "done"
    assert missing.status_code == 404
    assert processor.processed == ["m1"]


def test_a_one_megabyte_submission_is_stored_whole_and_processed(world: World, processor: RecordingProcessor) -> None:
    # GIVEN
    _, issued = _setup(world)
    big = json.dumps({"answers": [{"id": "goals", "value": "Želim da naučim " * 40_000}]}).encode()
    headers = signed_standard(issued.secret, big, msg_id="msg_1mb", at=world.clock.now())
    # WHEN
    response = _post(world, issued.endpoint.endpoint_id, headers, body=big)
    # THEN
    assert len(big) > 1_000_000
    assert response.status_code == 200
    stored = world.storage.deliveries.get(issued.endpoint.endpoint_id, "msg_1mb")
    assert stored is not None
    assert stored.body == big
    assert processor.processed == ["msg_1mb"]

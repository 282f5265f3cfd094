"""Retention by design: deliveries go with their endpoint, and those waiting for a person end too."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from chalicelib.cli import run as run_cli
from chalicelib.domain.webhook import Delivery, DeliveryState
from chalicelib.jobs import run_job
from chalicelib.storage.deliveries import InMemoryDeliveries
from chalicelib.storage.repositories import in_memory_storage
from tests.support import builders
from tests.support.world import RecordingProcessor, World, signed_standard, standard_source, world_with

BODY = json.dumps({"type": "form.submitted", "data": {"answers": [{"id": "goals", "value": "Vođenje tima"}]}}).encode()


def _deliver(world: World, secret: str, endpoint_id: str, msg_id: str) -> int:
    headers = signed_standard(secret, BODY, msg_id=msg_id, at=world.clock.now())
    return int(world.client.http.post(f"/hooks/standard/{endpoint_id}", headers=headers, body=BODY).status_code)


def test_deleting_an_endpoint_deletes_every_delivery_it_received(world: World, processor: RecordingProcessor) -> None:
    # GIVEN an endpoint with a done delivery and one that failed and waits for a retry
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "standard")
    endpoint_id = issued.endpoint.endpoint_id
    _deliver(world, issued.secret, endpoint_id, "msg_done")
    processor.failures_left = 1
    _deliver(world, issued.secret, endpoint_id, "msg_retrying")
    assert len(world.storage.deliveries.for_endpoint(endpoint_id)) == 2

    # WHEN the coordinator deletes the endpoint
    answer = coordinator.delete(f"/api/v1/endpoints/{endpoint_id}")

    # THEN no delivery of it is left, and none is waiting in the retry sweep
    assert answer.status_code in (200, 204)
    assert world.storage.deliveries.for_endpoint(endpoint_id) == []
    assert world.storage.deliveries.by_state(DeliveryState.RETRYING) == []


def test_a_delivery_needing_attention_or_parked_dead_expires_after_the_retention(
    world: World, processor: RecordingProcessor
) -> None:
    # GIVEN an endpoint whose handler always fails, with at most a few attempts
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "standard")
    processor.failures_left = 100
    received = world.clock.now()

    # WHEN a delivery fails until it is parked
    _deliver(world, issued.secret, issued.endpoint.endpoint_id, "msg_dead")
    for _ in range(10):
        world.clock.advance(timedelta(hours=7))
        run_job("retry-deliveries", world.container)

    # THEN it is dead and ends after the default retention of 90 days, raw answers with it
    stored = world.storage.deliveries.get(issued.endpoint.endpoint_id, "msg_dead")
    assert stored is not None
    assert stored.state is DeliveryState.DEAD
    assert stored.expires_at == received + timedelta(days=90)


def test_a_tenant_s_own_retention_ends_its_parked_deliveries_sooner_and_leaves_others_at_the_default(
    world: World, processor: RecordingProcessor
) -> None:
    # GIVEN two tenants, one keeping parked submissions for 30 days, both with a handler that always fails
    brief = world.tenant("Kratko")
    usual = world.tenant("Obično")
    answer = brief.put("/api/v1/tenant/retention", {"retention_days": 30})
    endpoints = {t.tenant_id: t.endpoint(t.programme(), "standard") for t in (brief, usual)}
    processor.failures_left = 100
    received = world.clock.now()

    # WHEN a delivery to each fails until it is parked
    for issued in endpoints.values():
        _deliver(world, issued.secret, issued.endpoint.endpoint_id, "msg_dead")
    for _ in range(10):
        world.clock.advance(timedelta(hours=7))
        run_job("retry-deliveries", world.container)

    # THEN the first ends after its 30 days, the other after the deployment's 90
    assert (answer.status_code, answer.json_body) == (200, {"retention_days": 30})
    ends = {
        tenant_id: world.storage.deliveries.get(issued.endpoint.endpoint_id, "msg_dead")
        for tenant_id, issued in endpoints.items()
    }
    assert {tenant_id: (d.state, d.expires_at) for tenant_id, d in ends.items() if d is not None} == {
        brief.tenant_id: (DeliveryState.DEAD, received + timedelta(days=30)),
        usual.tenant_id: (DeliveryState.DEAD, received + timedelta(days=90)),
    }


def test_the_retention_is_read_and_set_through_the_api_and_the_cli_within_its_bounds(world: World) -> None:
    # GIVEN a tenant that set no retention of its own
    coordinator = world.tenant()
    before = coordinator.get("/api/v1/tenant/retention").json_body

    # WHEN it asks for too short and too long a period, then the operator sets a year with the CLI
    too_short = coordinator.put("/api/v1/tenant/retention", {"retention_days": 6})
    too_long = coordinator.put("/api/v1/tenant/retention", {"retention_days": 3651})
    out = io.StringIO()
    status = run_cli(["set-retention", "--tenant", coordinator.tenant_id, "--days", "365"], world.container, out)

    # THEN the default was 90, the bad values were refused, and the CLI's year is what the API reads
    assert before == {"retention_days": 90}
    assert (too_short.status_code, too_long.status_code) == (400, 400)
    assert status == 0
    assert json.loads(out.getvalue())["retention_days"] == 365
    assert coordinator.get("/api/v1/tenant/retention").json_body == {"retention_days": 365}


def test_the_coordinator_digest_counts_the_signups_needing_attention_that_expire_within_a_week(world: World) -> None:
    # GIVEN a programme with a coordinator and three signups needing attention: one expiring in 5 days,
    # one in 8, one in 30; and another programme's, expiring tomorrow
    coordinator = world.tenant()
    mojca = {"name": "Mojca Kranjc", "email": "mojca@skupnost.example.si", "language": "en"}
    programme_id = coordinator.programme(languages=["en"], default_language="en", coordinators=[mojca])
    other_id = coordinator.programme(languages=["en"], default_language="en")
    issued = coordinator.endpoint(programme_id, "standard")
    now = world.clock.now()
    for delivery_id, days, programme in (
        ("d5", 5, programme_id),
        ("d8", 8, programme_id),
        ("d30", 30, programme_id),
        ("o1", 1, other_id),
    ):
        world.storage.deliveries.add(
            builders.delivery(
                issued.endpoint.endpoint_id,
                delivery_id,
                tenant_id=coordinator.tenant_id,
                programme_id=programme,
                state=DeliveryState.NEEDS_ATTENTION,
                body=BODY,
                received_at=now,
                updated_at=now,
                expires_at=now + timedelta(days=days),
            )
        )

    # WHEN the daily digests are queued
    run_job("send-coordinator-digests", world.container)

    # THEN Mojca's digest says three wait and one of them goes within seven days, quoting no answer
    (digest,) = [
        m for m in world.storage.messages.for_tenant(coordinator.tenant_id) if m.template == "coordinator_digest"
    ]
    assert "Signups kept for your attention (the form's answers need a decision): 3." in digest.body_text
    assert "Of these, 1 will be deleted within 7 days" in digest.body_text
    assert "Vođenje" not in digest.body_text


class Throttled(Exception):
    """Stands for DynamoDB refusing a write for a moment."""


class SavesThrottledOnce(InMemoryDeliveries):
    """Deliveries whose first outcome write fails, after the delivery itself was stored."""

    def __init__(self) -> None:
        super().__init__()
        self.failures_left = 1

    def save(self, delivery: Delivery) -> Delivery:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise Throttled
        return super().save(delivery)


def test_a_storage_error_after_a_delivery_is_stored_answers_the_vendor_202_and_the_sweeper_finishes_it(
    processor: RecordingProcessor,
) -> None:
    # GIVEN storage that fails to record the first outcome of a stored delivery
    storage = in_memory_storage()
    storage.deliveries = SavesThrottledOnce()
    with world_with(storage, sources=standard_source(processor)) as world:
        coordinator = world.tenant()
        issued = coordinator.endpoint(coordinator.programme(), "standard")

        # WHEN the vendor posts, and the sweeper runs once the delivery counts as interrupted
        status = _deliver(world, issued.secret, issued.endpoint.endpoint_id, "msg_throttled")
        world.clock.advance(timedelta(minutes=6))
        run_job("retry-deliveries", world.container)

        # THEN the vendor was told it is kept, not 500, and the delivery is done
        assert status == 202
        stored = storage.deliveries.get(issued.endpoint.endpoint_id, "msg_throttled")
        assert stored is not None
        assert stored.state is DeliveryState.DONE

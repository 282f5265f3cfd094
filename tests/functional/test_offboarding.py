"""Tenant off-boarding: every item of the tenant goes, its API keys first; other tenants keep theirs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.cli import run as run_cli
from chalicelib.storage.repositories import dynamo_storage
from tests.integration.tables import moto_table
from tests.support.world import TenantHandle, World, signed_standard, world_with

V1 = "/api/v1"


def _busy_tenant(world: World, name: str) -> TenantHandle:
    """A tenant with a programme, a participant, a queued message, an endpoint and a delivery."""
    coordinator = world.tenant(name)
    programme_id = coordinator.programme()
    person = {"role": "mentee", "email": f"ana@{name.lower()}.example", "name": "Ana Anić"}
    assert coordinator.post(f"{V1}/programmes/{programme_id}/participants", {"profile": person}).status_code == 201
    issued = coordinator.endpoint(programme_id, "standard")
    body = json.dumps({"type": "form.submitted", "data": {}}).encode()
    headers = signed_standard(issued.secret, body, msg_id=f"msg_{name}", at=world.clock.now())
    world.client.http.post(f"/hooks/standard/{issued.endpoint.endpoint_id}", headers=headers, body=body)
    return coordinator


def _text(item: Any) -> str:
    return json.dumps(item, default=repr, sort_keys=True)


@pytest.fixture
def table_world() -> Iterator[tuple[World, Any]]:
    with moto_table() as table, world_with(dynamo_storage(table)) as world:
        yield world, table


def test_offboarding_deletes_every_item_of_the_tenant_and_its_keys_stop_working(
    table_world: tuple[World, Any],
) -> None:
    # GIVEN two busy tenants
    world, table = table_world
    leaving = _busy_tenant(world, "Leaving")
    staying = _busy_tenant(world, "Staying")
    before = table.scan()["Items"]

    # WHEN the operator off-boards one of them
    out = io.StringIO()
    status = run_cli(["offboard-tenant", "--tenant", leaving.tenant_id, "--yes"], world.container, out)

    # THEN its key no longer works, no item of it is left, and the other tenant has all of its items
    assert status == 0
    assert leaving.get(f"{V1}/programmes").status_code == 401
    assert staying.get(f"{V1}/programmes").status_code == 200
    after = [_text(item) for item in table.scan()["Items"]]
    assert not [item for item in after if leaving.tenant_id in item]
    assert json.loads(out.getvalue())["deleted_items"] == len(before) - len(after)
    assert sorted(after) == sorted(_text(item) for item in before if staying.tenant_id in _text(item))


def test_offboarding_on_the_fake_deletes_the_same_and_needs_confirmation(world: World) -> None:
    # GIVEN a busy tenant on the in-memory storage
    leaving = _busy_tenant(world, "Leaving")

    # WHEN the operator forgets --yes, then confirms
    unconfirmed = run_cli(["offboard-tenant", "--tenant", leaving.tenant_id], world.container, io.StringIO())
    works_still = leaving.get(f"{V1}/programmes").status_code
    confirmed = run_cli(["offboard-tenant", "--tenant", leaving.tenant_id, "--yes"], world.container, io.StringIO())

    # THEN nothing went without confirmation, and everything after it
    assert (unconfirmed, works_still, confirmed) == (2, 200, 0)
    assert leaving.get(f"{V1}/programmes").status_code == 401
    assert world.storage.tenants.get(leaving.tenant_id) is None
    assert world.storage.participants.by_email(leaving.tenant_id, "ana@leaving.example") == []
    assert world.storage.endpoints.list(leaving.tenant_id) == []
    assert world.storage.messages.for_tenant(leaving.tenant_id) == []

"""A programme with one running pair, a meetings endpoint and a connected calendar, on faked vendors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.calendars import CalendarConnection, ConnectionState, Grant, Provider
from chalicelib.domain.meetings import Meeting
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.participant import participant_id_for
from chalicelib.domain.webhook import Purpose
from chalicelib.jobs import run_job
from chalicelib.storage.repositories import in_memory_storage
from tests.support.builders import participant
from tests.support.calendars import CalendarVendors, calendar_vendors
from tests.support.world import TenantHandle, World, world_with

MENTOR = "Milica.Đorđević@example.org"
MENTEE = "soren.aero@example.dk"
STRANGER = "someone.else@example.com"
REFRESH_TOKEN = "1//0g-refresh-token"


@dataclass
class CalendarScene:
    world: World
    vendors: CalendarVendors
    tenant: TenantHandle
    programme_id: str
    endpoint_id: str
    secret: str
    connection_id: str

    @property
    def connection(self) -> CalendarConnection:
        found = self.world.storage.calendars.get(self.tenant.tenant_id, self.connection_id)
        assert found is not None
        return found

    def meetings(self) -> list[Meeting]:
        return self.world.storage.meetings.for_pair(self.tenant.tenant_id, self.programme_id, "pair_1")

    def pair(self) -> Pair:
        found = self.world.storage.pairs.get(self.tenant.tenant_id, self.programme_id, "pair_1")
        assert found is not None
        return found

    def renew(self) -> dict[str, Any]:
        return run_job("renew-calendar-watches", self.world.container)

    def post(self, source: str, *, headers: dict[str, str], body: bytes = b"", query: str = "") -> Any:
        path = f"/hooks/{source}/{self.endpoint_id}" + (f"?{query}" if query else "")
        return self.world.client.http.post(path, headers=headers, body=body)


@contextmanager
def calendar_scene(provider: Provider | None, mentor: str = MENTOR) -> Iterator[CalendarScene]:
    """A running pair of ``mentor`` and ``MENTEE``; a connection of the mentor's calendar, or with no provider an
    invite endpoint."""
    with world_with(in_memory_storage()) as world, calendar_vendors(world.clock) as vendors:
        world.container._calendar_apis = vendors.apis
        tenant = world.tenant()
        programme_id = tenant.programme()
        source = {Provider.GOOGLE: "google-calendar", Provider.MICROSOFT: "msgraph", None: "invite"}[provider]
        issued = tenant.endpoint(programme_id, source, Purpose.MEETINGS)
        storage, t = world.storage, tenant.tenant_id
        for email in (mentor, MENTEE):
            person_id = participant_id_for(t, programme_id, email.lower())
            storage.participants.save(participant(t, programme_id, person_id, email=email.lower()))
        storage.pairs.save(
            Pair(
                pair_id="pair_1",
                tenant_id=t,
                programme_id=programme_id,
                mentor_id=participant_id_for(t, programme_id, mentor.lower()),
                mentee_id=participant_id_for(t, programme_id, MENTEE),
                status=PairStatus.ACTIVE,
                created_at=world.clock.now(),
                updated_at=world.clock.now(),
            )
        )
        if provider is None:
            yield CalendarScene(world, vendors, tenant, programme_id, issued.endpoint.endpoint_id, issued.secret, "")
            return
        connection = CalendarConnection(
            tenant_id=t,
            programme_id=programme_id,
            endpoint_id=issued.endpoint.endpoint_id,
            provider=provider,
            grant=Grant.PERSONAL,
            calendar_id=mentor,
            state=ConnectionState.ACTIVE,
            renew_at=world.clock.now(),
            created_at=world.clock.now(),
            updated_at=world.clock.now(),
        )
        connection.refresh_token = vendors.apis.vault.seal(
            REFRESH_TOKEN, tenant_id=t, connection_id=connection.connection_id
        )
        (vendors.google if provider is Provider.GOOGLE else vendors.graph).oauth.refresh_tokens.add(REFRESH_TOKEN)
        storage.calendars.save(connection)
        yield CalendarScene(
            world, vendors, tenant, programme_id, issued.endpoint.endpoint_id, issued.secret, connection.connection_id
        )

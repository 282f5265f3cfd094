"""Test support: a wired mentorflow "world" (container, storage, clock) and small builders.

Functional tests install a ``Container`` whose storage is either the in-memory fake
or DynamoDB on moto, whose clock is fixed, and whose sources may be a test source
whose signup handler records what it was handed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalice.test import Client

from chalicelib.clock import FixedClock
from chalicelib.container import Container, use_container
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle, WebhookEndpoint
from chalicelib.errors import ProcessingFailed
from chalicelib.registry import source_registry
from chalicelib.services import endpoints as endpoint_service
from chalicelib.services import programmes as programme_service
from chalicelib.services import tenants as tenant_service
from chalicelib.services.inbox.ports import ProcessingContext, ProcessOutcome, SourceRegistry, SourceSpec
from chalicelib.services.links import LinkAction
from chalicelib.settings import Settings
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.signing import StandardWebhooksVerifier
from devtools.demo_forms import standard_headers

START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
# Signs the one-click links of every test world: the first signs, both are accepted.
TEST_LINK_KEYS = "test-link-key-current,test-link-key-previous"
V1 = "/api/v1"


@dataclass
class RecordingProcessor:
    """A signup handler, handed the stored delivery itself, that remembers what it processed and can fail."""

    processed: list[str] = field(default_factory=list)
    failures_left: int = 0

    def __call__(self, delivery: Delivery, endpoint: WebhookEndpoint, ctx: ProcessingContext, /) -> ProcessOutcome:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ProcessingFailed("downstream system unavailable")
        self.processed.append(delivery.delivery_id)
        return ProcessOutcome.done(seen=len(self.processed))


def _as_stored(delivery: Delivery) -> Delivery:
    return delivery


def standard_source(processor: RecordingProcessor) -> SourceRegistry:
    """The deployment's sources, but ``standard`` hands the stored delivery itself to ``processor`` (signups)."""
    spec = SourceSpec(
        name="standard",
        verifier=StandardWebhooksVerifier,
        parsers={Purpose.SIGNUP: _as_stored},
        secret_style=SecretStyle.WHSEC,
        delivery_id=StandardWebhooksVerifier.delivery_id,
    )
    return SourceRegistry(specs={**source_registry().specs, spec.name: spec}, handlers={Purpose.SIGNUP: processor})


@dataclass
class World:
    container: Container
    clock: FixedClock
    client: Client

    @property
    def storage(self) -> Storage:
        return self.container.storage

    def tenant(self, name: str = "Kulturni centar Beograd") -> TenantHandle:
        tenant, issued = tenant_service.bootstrap_tenant(self.storage, name=name, clock=self.clock)
        return TenantHandle(self, tenant.tenant_id, issued.secret)


@dataclass
class TenantHandle:
    world: World
    tenant_id: str
    api_key: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json", **extra}

    def get(self, path: str) -> Any:
        return self.world.client.http.get(path, headers=self.headers())

    def post(self, path: str, body: Any = None) -> Any:
        return self.world.client.http.post(path, headers=self.headers(), body=json.dumps(body or {}))

    def patch(self, path: str, body: Any) -> Any:
        return self.world.client.http.patch(path, headers=self.headers(), body=json.dumps(body))

    def put(self, path: str, body: Any) -> Any:
        return self.world.client.http.put(path, headers=self.headers(), body=json.dumps(body))

    def delete(self, path: str) -> Any:
        return self.world.client.http.delete(path, headers=self.headers())

    def programme(self, **fields: Any) -> str:
        defaults: dict[str, Any] = {
            "name": "Mentorski program 2026",
            "languages": ["sr", "en"],
            "default_language": "sr",
        }
        programme = programme_service.create_programme(
            self.world.storage, tenant_id=self.tenant_id, fields=defaults | fields, clock=self.world.clock
        )
        return programme.programme_id

    def enrol(self, programme_id: str, role: str, name: str, email: str, **profile: Any) -> str:
        """Enrol one person through the admin API, as a coordinator would; the new participant's id."""
        body = {"profile": {"role": role, "email": email, "name": name, "languages": ["en"], **profile}}
        response = self.post(f"{V1}/programmes/{programme_id}/participants", body)
        assert response.status_code == 201, response.json_body
        return str(response.json_body["participant_id"])

    def endpoint(
        self, programme_id: str, source: str = "standard", purpose: Purpose = Purpose.SIGNUP
    ) -> endpoint_service.IssuedEndpoint:
        return endpoint_service.create_endpoint(
            self.world.storage,
            tenant_id=self.tenant_id,
            programme_id=programme_id,
            source=source,
            description=None,
            base_url="https://mentorflow.example.org",
            clock=self.world.clock,
            sources=self.world.container.sources,
            purpose=purpose,
        )


def signed_standard(
    secret: str, body: bytes, *, msg_id: str, at: datetime, content_type: str = "application/json"
) -> dict[str, str]:
    return standard_headers(secret, body, msg_id=msg_id, at=at, content_type=content_type)


@contextmanager
def world_with(
    storage: Storage,
    *,
    sources: SourceRegistry | None = None,
    settings: Settings | None = None,
    link_actions: Mapping[str, LinkAction] | None = None,
) -> Iterator[World]:
    from app import app

    clock = FixedClock(START)
    container = Container(
        settings=settings or Settings(link_keys=TEST_LINK_KEYS),
        clock=clock,
        _storage=storage,
        _sources=sources,
        _link_actions=link_actions,
    )
    use_container(container)
    try:
        # The local stage names no deployed secrets (SSM parameters): a test must never reach for AWS.
        with Client(app, stage_name="local") as client:
            yield World(container=container, clock=clock, client=client)
    finally:
        use_container(None)

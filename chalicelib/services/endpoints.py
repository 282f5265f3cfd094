"""Webhook endpoints: create (secret shown once), list, rotate secrets with a grace period, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalicelib.clock import Clock
from chalicelib.domain.webhook import EndpointSecret, Source, WebhookEndpoint, generate_secret
from chalicelib.errors import NotFound
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str
    url: str


def endpoint_url(base_url: str, endpoint: WebhookEndpoint, secret: str | None = None) -> str:
    url = f"{base_url.rstrip('/')}/hooks/{endpoint.source.value}/{endpoint.endpoint_id}"
    # Jotform signs nothing: its URL itself carries the secret token.
    if endpoint.source is Source.JOTFORM and secret:
        url += f"?token={secret}"
    return url


def create_endpoint(
    storage: Storage,
    *,
    tenant_id: str,
    programme_id: str,
    source: Source,
    description: str | None,
    base_url: str,
    clock: Clock,
) -> IssuedEndpoint:
    get_programme(storage, tenant_id, programme_id)
    now = clock.now()
    secret = generate_secret(source)
    endpoint = WebhookEndpoint(
        tenant_id=tenant_id,
        programme_id=programme_id,
        source=source,
        description=description,
        secrets=[EndpointSecret(value=secret, created_at=now)],
        created_at=now,
        updated_at=now,
    )
    saved = storage.endpoints.save(endpoint)
    return IssuedEndpoint(endpoint=saved, secret=secret, url=endpoint_url(base_url, saved, secret))


def get_endpoint(storage: Storage, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
    """The tenant's endpoint; another tenant's looks exactly like a missing one."""
    endpoint = storage.endpoints.get(endpoint_id)
    if endpoint is None or endpoint.tenant_id != tenant_id:
        raise NotFound("no such webhook endpoint")
    return endpoint


def rotate_secret(
    storage: Storage, *, tenant_id: str, endpoint_id: str, grace: timedelta, base_url: str, clock: Clock
) -> IssuedEndpoint:
    endpoint = get_endpoint(storage, tenant_id, endpoint_id)
    secret = generate_secret(endpoint.source)
    endpoint.rotate(secret, at=clock.now(), grace=grace)
    saved = storage.endpoints.save(endpoint)
    return IssuedEndpoint(endpoint=saved, secret=secret, url=endpoint_url(base_url, saved, secret))


def delete_endpoint(storage: Storage, *, tenant_id: str, endpoint_id: str) -> None:
    storage.endpoints.delete(get_endpoint(storage, tenant_id, endpoint_id))

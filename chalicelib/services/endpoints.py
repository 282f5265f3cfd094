"""Webhook endpoints: create (secret shown once), list, rotate secrets with a grace period, delete.

Only what the registered sources and handlers support can be created: a source with a
spec, for a purpose that source parses and a feature handles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalicelib.clock import Clock
from chalicelib.domain.webhook import EndpointSecret, Purpose, SecretStyle, WebhookEndpoint, generate_secret
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.services.inbox.ports import SourceRegistry
from chalicelib.services.inbox.service import delete_delivery
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str
    url: str


def endpoint_url(
    base_url: str, endpoint: WebhookEndpoint, secret: str | None = None, *, sources: SourceRegistry
) -> str:
    url = f"{base_url.rstrip('/')}/hooks/{endpoint.source}/{endpoint.endpoint_id}"
    spec = sources.spec(endpoint.source)
    # Vendors that sign nothing prove themselves by the URL: it carries the secret token.
    if spec is not None and spec.token_parameter and secret:
        url += f"?{spec.token_parameter}={secret}"
    return url


def _secret_style(sources: SourceRegistry, source: str) -> SecretStyle:
    spec = sources.spec(source)
    return spec.secret_style if spec is not None else SecretStyle.TOKEN


def check_supported(sources: SourceRegistry, source: str, purpose: Purpose) -> None:
    """Refuse an endpoint nothing would receive or act on, naming what there is.

    Raises
    ------
    ValidationFailed
        ``source`` has no registered spec, or no handler for ``purpose`` reads its deliveries.
    """
    names = sorted(sources.specs)
    if source not in sources.specs:
        raise ValidationFailed(
            f"source must be one of: {', '.join(names)}",
            details=[{"field": "source", "allowed": names}],
        )
    purposes = [p.value for p in sources.purposes(source)]
    if purpose.value not in purposes:
        raise ValidationFailed(
            f"{source} endpoints can be for: {', '.join(purposes) or 'nothing yet'}",
            details=[{"field": "purpose", "allowed": purposes}],
        )


def create_endpoint(
    storage: Storage,
    *,
    tenant_id: str,
    programme_id: str,
    source: str,
    description: str | None,
    base_url: str,
    clock: Clock,
    sources: SourceRegistry,
    purpose: Purpose = Purpose.SIGNUP,
) -> IssuedEndpoint:
    check_supported(sources, source, purpose)
    get_programme(storage, tenant_id, programme_id)
    now = clock.now()
    secret = generate_secret(_secret_style(sources, source))
    endpoint = WebhookEndpoint(
        tenant_id=tenant_id,
        programme_id=programme_id,
        source=source,
        purpose=purpose,
        description=description,
        secrets=[EndpointSecret(value=secret, created_at=now)],
        created_at=now,
        updated_at=now,
    )
    saved = storage.endpoints.save(endpoint)
    return IssuedEndpoint(endpoint=saved, secret=secret, url=endpoint_url(base_url, saved, secret, sources=sources))


def get_endpoint(storage: Storage, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
    """The tenant's endpoint; another tenant's looks exactly like a missing one."""
    endpoint = storage.endpoints.get(endpoint_id)
    if endpoint is None or endpoint.tenant_id != tenant_id:
        raise NotFound("no such webhook endpoint")
    return endpoint


def rotate_secret(
    storage: Storage,
    *,
    tenant_id: str,
    endpoint_id: str,
    grace: timedelta,
    base_url: str,
    clock: Clock,
    sources: SourceRegistry,
) -> IssuedEndpoint:
    endpoint = get_endpoint(storage, tenant_id, endpoint_id)
    secret = generate_secret(_secret_style(sources, endpoint.source))
    endpoint.rotate(secret, at=clock.now(), grace=grace)
    saved = storage.endpoints.save(endpoint)
    return IssuedEndpoint(endpoint=saved, secret=secret, url=endpoint_url(base_url, saved, secret, sources=sources))


# Deliveries of one endpoint are bounded by their retention; this is no page size but a safety stop.
_ALL_DELIVERIES = 1_000_000


def delete_endpoint(storage: Storage, *, tenant_id: str, endpoint_id: str) -> int:
    """Delete an endpoint with every delivery it received (raw personal data among them); how many went.

    Deliveries go first: should this stop half-way, the endpoint is still there to delete
    again, and no delivery is left that nothing can list, replay or erase.
    """
    endpoint = get_endpoint(storage, tenant_id, endpoint_id)
    deliveries = storage.deliveries.for_endpoint(endpoint_id, limit=_ALL_DELIVERIES)
    for delivery in deliveries:
        delete_delivery(delivery, storage)
    storage.endpoints.delete(endpoint)
    return len(deliveries)

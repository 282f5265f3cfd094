"""What the nightly job, the admin API and the webhook handler call: configure connectors, run syncs, push status.

Each connector's run is isolated: a vendor's failure is recorded on its own connector
(counts and our own error text, never a vendor's body or a credential) and the next
connector runs regardless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.participant import ParticipantStatus
from chalicelib.domain.sync import (
    CredentialRef,
    FieldMap,
    ScopeRule,
    SyncConnector,
    SyncFigures,
    Vendor,
    credential_prefix,
)
from chalicelib.domain.webhook import Purpose, WebhookEndpoint
from chalicelib.errors import ConfigurationError, NotFound, ValidationFailed
from chalicelib.logging import log_event, log_warning
from chalicelib.services.concurrency import update_with_retry
from chalicelib.sync.connectors import CONTACTS, PUSHES, build_push, build_source
from chalicelib.sync.engine import run_sync
from chalicelib.sync.http import VendorError, VendorHttp
from chalicelib.sync.invitations import Inviter
from chalicelib.sync.ports import ProgrammeStatus
from chalicelib.sync.secrets import SecretReader

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from chalicelib.clock import Clock
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.repositories import Storage


@dataclass
class SyncTools:
    """The I/O a run needs: an HTTP client per run and the credential reader (injected in tests and benches)."""

    http: Callable[[], VendorHttp] = VendorHttp
    secrets: SecretReader = field(default_factory=SecretReader)
    inviter: Inviter | None = None


class ConnectorSettings(BaseModel):
    """What a coordinator sends to connect or reconfigure a connector."""

    model_config = ConfigDict(extra="forbid")

    vendor: Vendor
    credentials: CredentialRef
    settings: dict[str, str] = Field(default_factory=dict, max_length=20)
    mapping: FieldMap
    scopes: list[ScopeRule] = Field(default_factory=list, max_length=50)
    enabled: bool = True


def connect(
    storage: Storage, *, tenant_id: str, settings: ConnectorSettings, clock: Clock, stage: str
) -> SyncConnector:
    """Create a connector.

    Raises
    ------
    ValidationFailed
        A scope names a programme the tenant does not have, or the credentials live where
        the ``stage``'s functions may not read.
    """
    _check_credentials(settings.credentials, stage)
    _check_programmes(storage, tenant_id, settings.scopes)
    now = clock.now()
    connector = SyncConnector(tenant_id=tenant_id, created_at=now, updated_at=now, **dict(settings))
    return storage.connectors.save(connector)


def configure(
    storage: Storage, *, tenant_id: str, connector_id: str, settings: ConnectorSettings, clock: Clock, stage: str
) -> SyncConnector:
    """Replace a connector's settings; its cursor is kept unless the vendor or the mapping changes.

    Raises
    ------
    NotFound
        No such connector for this tenant.
    ValidationFailed
        As for ``connect``.
    """
    _check_credentials(settings.credentials, stage)
    _check_programmes(storage, tenant_id, settings.scopes)

    def change(current: SyncConnector) -> SyncConnector:
        if settings.vendor is not current.vendor or settings.mapping != current.mapping:
            # What was read under another mapping must be read again: a full sync.
            current.cursor = current.page = current.run_watermark = None
            _forget_fingerprints(storage, current, settings)
        for name, value in settings:
            setattr(current, name, value)
        current.updated_at = clock.now()
        return current

    return update_with_retry(
        lambda: get_connector(storage, tenant_id, connector_id),
        change,
        storage.connectors.save,
        message="the connector kept changing; try again",
    )


def _forget_fingerprints(storage: Storage, current: SyncConnector, settings: ConnectorSettings) -> None:
    """Make every person compare as changed; keep who is whom unless the vendor's ids themselves change.

    Keeping the link from vendor id to participant lets a person whose e-mail changed
    meanwhile be recognised on the full sync rather than enrolled a second time.
    """
    tenant_id, connector_id = current.tenant_id, current.connector_id
    if settings.vendor is not current.vendor or settings.mapping.external_id != current.mapping.external_id:
        storage.synced_people.delete_all(tenant_id, connector_id)
        return
    people = storage.synced_people.list(tenant_id, connector_id)
    storage.synced_people.put_many(person.model_copy(update={"fields_hash": ""}) for person in people)


def _check_credentials(credentials: CredentialRef, stage: str) -> None:
    if not credentials.readable_in(stage):
        prefix = credential_prefix(credentials.store, stage)
        raise ValidationFailed(
            f"body: credentials.name: a {credentials.store.value} credential must be named under {prefix}"
            " (the only place this deployment may read)",
            details=[{"field": "credentials.name", "message": f"must start with {prefix}"}],
        )


def _check_programmes(storage: Storage, tenant_id: str, scopes: Sequence[ScopeRule]) -> None:
    for scope in scopes:
        if storage.programmes.get(tenant_id, scope.programme_id) is None:
            raise ValidationFailed(f"body: scopes: no programme {scope.programme_id}")


def get_connector(storage: Storage, tenant_id: str, connector_id: str) -> SyncConnector:
    connector = storage.connectors.get(tenant_id, connector_id)
    if connector is None:
        raise NotFound("no such connector")
    return connector


def delete_connector(storage: Storage, *, tenant_id: str, connector_id: str) -> None:
    """Remove a connector and every fingerprint it kept."""
    connector = get_connector(storage, tenant_id, connector_id)
    storage.synced_people.delete_all(tenant_id, connector_id)
    storage.connectors.delete(connector)


def sync_connector(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    *,
    tenant_id: str,
    connector_id: str,
    tools: SyncTools | None = None,
    full: bool = False,
) -> SyncFigures:
    """Pull (or, for a CRM, push) one connector now; its figures are stored as its last run.

    Raises
    ------
    NotFound
        No such connector for this tenant.
    VendorError
        The vendor failed; the error is recorded on the connector and the position kept.
    """
    tools = tools or SyncTools()
    connector = get_connector(storage, tenant_id, connector_id)
    http = tools.http()
    try:
        credentials = tools.secrets.read(connector.credentials)
        if connector.vendor in PUSHES:
            return _push(storage, clock, connector, http, credentials)
        source = build_source(connector, http, credentials)
        figures = run_sync(
            storage=storage,
            notifier=notifier,
            clock=clock,
            connector=connector,
            source=source,
            full=full,
            inviter=tools.inviter,
        )
    except (VendorError, ConfigurationError) as exc:
        _record(storage, connector, SyncFigures(started_at=clock.now(), finished_at=clock.now(), error=str(exc)[:500]))
        log_warning("sync failed", tenant_id=tenant_id, connector_id=connector_id, vendor=connector.vendor.value)
        raise
    log_event("sync finished", tenant_id=tenant_id, connector_id=connector_id, requests=http.requests_made)
    return figures


def sync_all(storage: Storage, notifier: Notifier, clock: Clock, *, tools: SyncTools | None = None) -> dict[str, int]:
    """Run every enabled connector of every tenant, one after another, each failure contained to its connector."""
    counts = {"connectors": 0, "synced": 0, "failed": 0}
    for connector in storage.connectors.enabled():
        counts["connectors"] += 1
        try:
            sync_connector(
                storage,
                notifier,
                clock,
                tenant_id=connector.tenant_id,
                connector_id=connector.connector_id,
                tools=tools,
            )
        except (VendorError, ConfigurationError):
            counts["failed"] += 1
        # One tenant's surprise (a bug, a throttled table) must not stop every other tenant's sync.
        except Exception as exc:
            counts["failed"] += 1
            _record(
                storage, connector, SyncFigures(started_at=clock.now(), error=f"internal error ({type(exc).__name__})")
            )
            log_warning("sync crashed", tenant_id=connector.tenant_id, connector_id=connector.connector_id)
        else:
            counts["synced"] += 1
    return counts


def sync_from_webhook(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    *,
    tenant_id: str,
    vendor: str,
    external_ids: Sequence[str] = (),
    tools: SyncTools | None = None,
) -> SyncFigures | None:
    """Sync at once the connector a vendor's webhook concerns; None when the tenant connects nothing of that vendor.

    An HR system is pulled from its cursor; a CRM's records named by the webhook are read
    and applied to the participants they concern, enrolling nobody.
    """
    for connector in storage.connectors.list(tenant_id):
        if connector.vendor.value != vendor or not connector.enabled:
            continue
        if connector.vendor in CONTACTS:
            return apply_contact_changes(storage, notifier, clock, connector=connector, ids=external_ids, tools=tools)
        if connector.vendor not in PUSHES:
            return sync_connector(
                storage, notifier, clock, tenant_id=tenant_id, connector_id=connector.connector_id, tools=tools
            )
    return None


def apply_contact_changes(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    *,
    connector: SyncConnector,
    ids: Sequence[str],
    tools: SyncTools | None = None,
) -> SyncFigures:
    """Read the CRM records ``ids`` through the connector's mapping and update the participants they are.

    A record's e-mail, language, department or other mapped field changes the participant
    as an HR change does; a record that is nobody's is counted out of scope and left.

    Raises
    ------
    VendorError
        The CRM failed; recorded on the connector, and the inbox retries the delivery.
    """
    tools = tools or SyncTools()
    http = tools.http()
    try:
        credentials = tools.secrets.read(connector.credentials)
        source = CONTACTS[connector.vendor](connector, http, credentials, ids)
        return run_sync(
            storage=storage, notifier=notifier, clock=clock, connector=connector, source=source, enrol=False
        )
    except (VendorError, ConfigurationError) as exc:
        _record(storage, connector, SyncFigures(started_at=clock.now(), finished_at=clock.now(), error=str(exc)[:500]))
        log_warning("contact change failed", tenant_id=connector.tenant_id, connector_id=connector.connector_id)
        raise


def _push(
    storage: Storage, clock: Clock, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]
) -> SyncFigures:
    figures = SyncFigures(started_at=clock.now())
    statuses: list[ProgrammeStatus] = []
    for scope in connector.scopes:
        programme = storage.programmes.get(connector.tenant_id, scope.programme_id)
        if programme is None:
            continue
        cursor: str | None = None
        while True:
            page = storage.participants.list(connector.tenant_id, programme.programme_id, limit=100, cursor=cursor)
            statuses.extend(
                ProgrammeStatus(
                    email=p.email,
                    programme_id=programme.programme_id,
                    programme_name=programme.name,
                    status=p.status.value,
                    role=p.role.value,
                )
                for p in page.items
                if p.status is not ParticipantStatus.APPLIED
            )
            cursor = page.next_cursor
            if cursor is None:
                break
    figures.read = len(statuses)
    figures.pushed = build_push(connector, http, credentials).push(statuses)
    figures.finished_at = clock.now()
    _record(storage, connector, figures)
    return figures


def _record(storage: Storage, connector: SyncConnector, figures: SyncFigures) -> None:
    def change(current: SyncConnector) -> SyncConnector:
        current.last_run = figures
        return current

    update_with_retry(
        lambda: get_connector(storage, connector.tenant_id, connector.connector_id),
        change,
        storage.connectors.save,
        message="the connector kept changing",
    )


def salesforce_organisations(storage: Storage, tenant_id: str) -> list[str]:
    """The Salesforce organisation ids the tenant's connectors name (setting ``organization_id``)."""
    return [
        connector.settings["organization_id"]
        for connector in storage.connectors.list(tenant_id)
        if connector.vendor is Vendor.SALESFORCE and connector.settings.get("organization_id")
    ]


def use_vendor_secret(
    storage: Storage, *, tenant_id: str, endpoint_id: str, secret: str, grace: timedelta, clock: Clock
) -> WebhookEndpoint:
    """Make the signing key an HR vendor issued the endpoint's secret; the previous one stays valid for ``grace``.

    BambooHR, HiBob, Merge and HubSpot each generate the key they sign with, so a people
    endpoint verifies with theirs rather than one mentorflow made up.

    Raises
    ------
    NotFound
        No such endpoint for this tenant.
    ValidationFailed
        The endpoint is not a people endpoint.
    """
    endpoint = storage.endpoints.get(endpoint_id)
    if endpoint is None or endpoint.tenant_id != tenant_id:
        raise NotFound("no such webhook endpoint")
    if endpoint.purpose is not Purpose.PEOPLE:
        raise ValidationFailed("only a people endpoint takes a vendor's signing key")
    endpoint.rotate(secret, at=clock.now(), grace=grace)
    return storage.endpoints.save(endpoint)

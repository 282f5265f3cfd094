"""Keeping watches alive: the scheduled job renews every channel and subscription a day before it lapses.

A connection without a watch (just connected, or whose Graph subscription was removed)
is due at once and gets one. A Google channel cannot be extended: a new one is opened and
the old one stopped. A Graph subscription is extended, or made again when Graph no longer
knows it. A failed renewal is retried with back-off; a refused grant revokes the connection.
"""

from __future__ import annotations

from contextlib import suppress

from chalicelib.calendars import google, graph
from chalicelib.calendars.apis import CalendarApis, GrantRevoked, NotFoundAtVendor, VendorFailure
from chalicelib.calendars.sync import SOURCES
from chalicelib.calendars.tokens import bearer
from chalicelib.clock import Clock
from chalicelib.domain.calendars import GRANT_WITHDRAWN, CalendarConnection, Provider
from chalicelib.errors import MentoringError, VersionConflict
from chalicelib.logging import log_warning
from chalicelib.storage.repositories import Storage


def renew_due(*, storage: Storage, apis: CalendarApis, clock: Clock, limit: int = 100) -> dict[str, int]:
    """Renew (or open) every watch due by now; counts of renewed, failed and revoked connections."""
    counts = {"renewed": 0, "failed": 0, "revoked": 0}
    for connection in storage.calendars.due_for_renewal(clock.now(), limit=limit):
        outcome = _renew(connection, storage, apis, clock)
        try:
            storage.calendars.save(connection)
        except VersionConflict:
            # A push saved the connection meanwhile; it is still due and the next run takes it.
            outcome = "failed"
        counts[outcome] += 1
    return counts


def _renew(connection: CalendarConnection, storage: Storage, apis: CalendarApis, clock: Clock) -> str:
    now = clock.now()
    endpoint = storage.endpoints.get(connection.endpoint_id)
    secrets = endpoint.valid_secrets(now) if endpoint is not None else []
    if not secrets:
        connection.revoke("its webhook endpoint is gone", at=now)
        return "revoked"
    address = apis.hook_url(SOURCES[connection.provider], connection.endpoint_id)
    try:
        token = bearer(connection, apis, clock)
        if connection.provider is Provider.GOOGLE:
            _renew_channel(connection, apis, token, address, secrets[0], clock)
        else:
            _renew_subscription(connection, apis, token, address, secrets[0], clock)
    except GrantRevoked:
        connection.revoke(GRANT_WITHDRAWN, at=now)
        return "revoked"
    except (VendorFailure, MentoringError, KeyError, ValueError) as exc:
        log_warning("calendar watch renewal failed", connection_id=connection.connection_id, error=type(exc).__name__)
        connection.renewal_failed(f"renewal failed: {_why(exc)}", at=now)
        return "failed"
    return "renewed"


def _why(exc: Exception) -> str:
    return exc.message if isinstance(exc, MentoringError) else type(exc).__name__


def _renew_channel(
    connection: CalendarConnection, apis: CalendarApis, token: str, address: str, secret: str, clock: Clock
) -> None:
    old = (connection.watch_id, connection.watch_resource_id)
    channel_id, resource_id, expires = google.watch(
        apis, token, connection.calendar_id, address=address, channel_token=secret
    )
    connection.watching(channel_id, resource_id, expires, at=clock.now())
    if old[0] is not None:
        # The old channel lapses by itself within a day; its pings name an unknown channel and are ignored.
        with suppress(VendorFailure, NotFoundAtVendor):
            google.stop(apis, token, old[0], old[1])


def _renew_subscription(
    connection: CalendarConnection, apis: CalendarApis, token: str, address: str, secret: str, clock: Clock
) -> None:
    now = clock.now()
    if connection.watch_id is not None:
        try:
            expires = graph.renew(apis, token, connection.watch_id, now)
        except NotFoundAtVendor:
            pass
        else:
            connection.watching(connection.watch_id, None, expires, at=now)
            return
    subscription_id, expires = graph.subscribe(
        apis, token, connection.calendar_id, address=address, client_state=secret, now=now
    )
    connection.watching(subscription_id, None, expires, at=now)


def stop_watch(connection: CalendarConnection, apis: CalendarApis, clock: Clock) -> str | None:
    """Stop the connection's channel or subscription at the vendor; why it could not be, or None.

    A watch the vendor no longer knows counts as stopped. One that could not be stopped
    lapses by itself (a week at most) and its pushes then name a revoked connection.
    """
    if connection.watch_id is None:
        return None
    try:
        token = bearer(connection, apis, clock)
        if connection.provider is Provider.GOOGLE:
            google.stop(apis, token, connection.watch_id, connection.watch_resource_id)
        else:
            graph.unsubscribe(apis, token, connection.watch_id)
    except NotFoundAtVendor:
        return None
    except GrantRevoked:
        return "the grant was already withdrawn"
    except (VendorFailure, MentoringError, KeyError, ValueError) as exc:
        log_warning("calendar watch not stopped", connection_id=connection.connection_id, error=type(exc).__name__)
        return _why(exc)
    return None

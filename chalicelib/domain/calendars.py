"""Calendar connections: a Google or Microsoft calendar mentorflow may read, and how it is watched.

A connection is either an organisation-wide grant (a Google Workspace service account with
domain-wide delegation, a Microsoft Entra app with application permissions), which names the
calendar it reads and refers to the credentials kept in Secrets Manager, or a person's own
OAuth consent, whose tokens are kept sealed (KMS-encrypted) on the connection itself.

Each connection is watched: a Google push channel or a Microsoft Graph subscription, which
expires and is renewed before it does. The connection records its watch, the vendor's sync
token, and how the last sync and the last renewal went, for the admin API.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.common import DomainModel, new_id
from chalicelib.domain.meetings import MeetingEvent


class Provider(StrEnum):
    GOOGLE = "google"
    MICROSOFT = "microsoft"


class Grant(StrEnum):
    """Who allowed mentorflow to read the calendar."""

    ORGANISATION = "organisation"
    PERSONAL = "personal"


class ConnectionState(StrEnum):
    PENDING = "pending"  # a connect link was sent; no consent yet
    ACTIVE = "active"
    FAILING = "failing"  # the last sync or renewal failed; it is retried
    REVOKED = "revoked"  # consent withdrawn or the grant removed; nothing is read any more


class SealedSecret(BaseModel):
    """A secret encrypted under a KMS key, bound to its connection by the encryption context."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str
    ciphertext: str = Field(repr=False)


# Google channels live at most a week; Graph event subscriptions are asked for just under three days
# (4,230 minutes, the limit every Graph version accepts for events). Renewing a day early leaves
# room for a failed renewal to be retried before the watch lapses.
RENEW_BEFORE = timedelta(hours=24)
RENEW_RETRY_FIRST = timedelta(minutes=15)
RENEW_RETRY_CAP = timedelta(hours=4)
# Why a connection was revoked when the vendor refused its grant (said to coordinators; names nobody).
GRANT_WITHDRAWN = "the calendar's owner or administrator withdrew access"
# A revoked connection keeps its record (for the admin API) this long, then DynamoDB's TTL removes it.
REVOKED_KEPT_FOR = timedelta(days=30)


class CalendarConnection(DomainModel):
    """One calendar mentorflow reads for a programme, and the state of its watch."""

    connection_id: str = Field(default_factory=lambda: new_id("cal"))
    tenant_id: str
    programme_id: str
    endpoint_id: str = Field(description="The webhook endpoint the vendor notifies (its secret is the token).")
    provider: Provider
    grant: Grant
    calendar_id: str = Field(description="Google: the calendar id (an address); Microsoft: the user id or address.")
    participant_id: str | None = Field(default=None, description="Whose own consent it is (personal grants).")
    state: ConnectionState = ConnectionState.PENDING
    credentials_ref: str | None = Field(default=None, description="Secrets Manager ARN of an organisation grant.")
    access_token: SealedSecret | None = Field(default=None, repr=False)
    refresh_token: SealedSecret | None = Field(default=None, repr=False)
    token_expires_at: datetime | None = None
    watch_id: str | None = Field(default=None, description="Google channel id or Graph subscription id.")
    watch_resource_id: str | None = None
    watch_expires_at: datetime | None = None
    renew_at: datetime | None = Field(default=None, description="When the renewal job next looks at this watch.")
    renew_failures: int = 0
    sync_token: str | None = Field(default=None, repr=False)
    last_sync_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None

    @property
    def readable(self) -> bool:
        return self.state in (ConnectionState.ACTIVE, ConnectionState.FAILING)

    def watching(self, watch_id: str, resource_id: str | None, expires_at: datetime, *, at: datetime) -> None:
        """A new channel or subscription is in place: renew it a day before it lapses."""
        self.watch_id = watch_id
        self.watch_resource_id = resource_id
        self.watch_expires_at = expires_at
        self.renew_at = max(at, expires_at - RENEW_BEFORE)
        self.renew_failures = 0
        if self.state is ConnectionState.FAILING:
            self.state = ConnectionState.ACTIVE
        self.updated_at = at

    def renewal_failed(self, reason: str, *, at: datetime) -> None:
        """Try again after 15 minutes, doubling up to four hours, but never after the watch lapses."""
        self.renew_failures += 1
        wait = min(RENEW_RETRY_FIRST * 2 ** (self.renew_failures - 1), RENEW_RETRY_CAP)
        self.renew_at = at + wait
        self.failed(reason, at=at)

    def synced(self, sync_token: str | None, *, at: datetime) -> None:
        self.sync_token = sync_token
        self.last_sync_at = at
        if self.state is ConnectionState.FAILING and self.renew_failures == 0:
            self.state = ConnectionState.ACTIVE
        self.updated_at = at

    def failed(self, reason: str, *, at: datetime) -> None:
        """Record why (a short text naming no person) and keep retrying."""
        self.last_error = reason[:300]
        self.last_error_at = at
        if self.state is ConnectionState.ACTIVE:
            self.state = ConnectionState.FAILING
        self.updated_at = at

    def revoke(self, reason: str, *, at: datetime) -> None:
        """Forget every token and the watch; the record itself goes after ``REVOKED_KEPT_FOR``."""
        self.state = ConnectionState.REVOKED
        self.access_token = None
        self.refresh_token = None
        self.token_expires_at = None
        self.sync_token = None
        self.renew_at = None
        self.last_error = reason[:300]
        self.last_error_at = at
        self.updated_at = at
        self.expires_at = at + REVOKED_KEPT_FOR


# A mailbox's event id is remembered this long after it was last seen; a deletion later than that is not told.
MAILBOX_EVENT_KEPT_FOR = timedelta(days=400)


class MailboxEvent(DomainModel):
    """Which meeting one mailbox's copy of an event is: Graph ids differ per mailbox, the iCalendar UID does not.

    A deletion names only the mailbox's id; this is how it finds the meeting it cancels.
    Only ids, and only for events that belonged to a pair.
    """

    tenant_id: str
    event_id: str
    ical_uid: str
    expires_at: datetime


class NoticeKind(StrEnum):
    """What a calendar push says: something changed, or the watch itself needs attention (Graph lifecycle)."""

    CHANGED = "changed"
    DELETED = "deleted"
    REAUTHORIZATION_REQUIRED = "reauthorizationRequired"
    SUBSCRIPTION_REMOVED = "subscriptionRemoved"
    MISSED = "missed"


class CalendarNotice(BaseModel):
    """One item of a push: which watch it came through and, for Graph, which event changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    watch_id: str = Field(min_length=1, max_length=200)
    kind: NoticeKind = NoticeKind.CHANGED
    event_id: str | None = Field(default=None, max_length=500)


class CalendarPush(BaseModel):
    """A calendar vendor's push, read from a stored delivery: it names watches and events, never their contents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Provider
    notices: list[CalendarNotice] = Field(min_length=1)


class Invitation(BaseModel):
    """The meetings an invitation mailed to a programme's invite address describes (one per occurrence)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: list[MeetingEvent] = Field(min_length=1)

"""Google Calendar: pulling changes with ``events.list`` and a sync token, watch channels, and event reading.

Changes are listed with ``singleEvents=true`` so a recurring meeting arrives as one item
per occurrence (each with its own id), and ``showDeleted=true`` so cancellations arrive
too. A 410 means the sync token expired: the caller starts over with a full sync.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from chalicelib.calendars.apis import CalendarApis
from chalicelib.domain.meetings import MeetingEvent, MeetingEventStatus

SOURCE = "google-calendar"
API = "https://www.googleapis.com/calendar/v3"
CHANNEL_TTL = timedelta(days=7)
# A sync reads at most this many pages of 250 events; the rest waits for the next ping.
MAX_PAGES = 40


def list_changes(apis: CalendarApis, token: str, calendar_id: str, sync_token: str | None) -> tuple[list[Any], str]:
    """Every event changed since ``sync_token`` (all of them without one) and the next sync token.

    Raises
    ------
    SyncTokenGone
        The sync token is no longer valid.
    """
    url = f"{API}/calendars/{quote(calendar_id, safe='')}/events"
    params = {"singleEvents": "true", "showDeleted": "true", "maxResults": "250"}
    if sync_token:
        params["syncToken"] = sync_token
    items: list[Any] = []
    for _ in range(MAX_PAGES):
        page = apis.http.call("GET", url, token=token, params=params) or {}
        items.extend(page.get("items") or [])
        if page.get("nextSyncToken"):
            return items, str(page["nextSyncToken"])
        if not page.get("nextPageToken"):
            break
        params["pageToken"] = str(page["nextPageToken"])
    return items, sync_token or ""


def watch(
    apis: CalendarApis, token: str, calendar_id: str, *, address: str, channel_token: str
) -> tuple[str, str | None, datetime]:
    """Open a channel on the calendar's events: (channel id, resource id, expiry)."""
    channel_id = "mf-" + secrets.token_hex(16)
    body = {
        "id": channel_id,
        "type": "web_hook",
        "address": address,
        "token": channel_token,
        "params": {"ttl": str(int(CHANNEL_TTL.total_seconds()))},
    }
    url = f"{API}/calendars/{quote(calendar_id, safe='')}/events/watch"
    answer = apis.http.call("POST", url, token=token, json_body=body) or {}
    expiration = datetime.fromtimestamp(int(answer["expiration"]) / 1000, tz=UTC)
    return str(answer.get("id") or channel_id), answer.get("resourceId"), expiration


def stop(apis: CalendarApis, token: str, channel_id: str, resource_id: str | None) -> None:
    apis.http.call("POST", f"{API}/channels/stop", token=token, json_body={"id": channel_id, "resourceId": resource_id})


def _when(value: Any) -> datetime | None:
    if not isinstance(value, dict):
        return None
    if value.get("dateTime"):
        moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if value.get("date"):
        # An all-day meeting: its day, from midnight UTC (the log keeps days, not local midnights).
        return datetime.combine(date.fromisoformat(str(value["date"])), time(), tzinfo=UTC)
    return None


def _emails(people: Any) -> list[str]:
    if not isinstance(people, list):
        return []
    return [str(p["email"]) for p in people if isinstance(p, dict) and p.get("email") and not p.get("resource")]


def meeting_event(item: Any, *, known: tuple[datetime, datetime] | None = None) -> MeetingEvent | None:
    """The meeting an events.list item describes, or None when it cannot be one (no times, no id).

    ``known`` gives the stored times of a cancelled event that arrives bare (Google keeps only
    the id and status of a deleted event).
    """
    if not isinstance(item, dict) or not item.get("id"):
        return None
    cancelled = item.get("status") == "cancelled"
    start, end = _when(item.get("start")), _when(item.get("end"))
    if (start is None or end is None) and cancelled and known is not None:
        start, end = known
    if start is None or end is None:
        return None
    updated = item.get("updated")
    organiser = item.get("organizer") if isinstance(item.get("organizer"), dict) else {}
    return MeetingEvent(
        source=SOURCE,
        external_id=str(item["id"])[:500],
        status=MeetingEventStatus.CANCELLED if cancelled else MeetingEventStatus.BOOKED,
        start=start,
        end=max(end, start),
        organiser_email=organiser.get("email") if isinstance(organiser, dict) else None,
        attendee_emails=_emails(item.get("attendees")),
        sequence=int(item["sequence"]) if isinstance(item.get("sequence"), int) else None,
        updated_at=datetime.fromisoformat(str(updated).replace("Z", "+00:00")) if updated else None,
    )

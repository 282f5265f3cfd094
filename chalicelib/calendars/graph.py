"""Microsoft Graph: reading a changed event, recurring series by instance, and event subscriptions.

Times are asked for in UTC (``Prefer: outlook.timezone="UTC"``), so Outlook's Windows time
zone names never need translating. A series master is expanded into its occurrences within
a window; each occurrence has its own id and counts once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from chalicelib.calendars.apis import CalendarApis
from chalicelib.domain.meetings import MeetingEvent, MeetingEventStatus

SOURCE = "msgraph"
API = "https://graph.microsoft.com/v1.0"
UTC_TIMES = {"Prefer": 'outlook.timezone="UTC"'}
SUBSCRIPTION_LIFETIME = timedelta(minutes=4230)
# Occurrences of a series are read this far back and ahead of now.
SERIES_WINDOW = (timedelta(days=30), timedelta(days=180))
_FIELDS = "id,iCalUId,start,end,isCancelled,isAllDay,organizer,attendees,type,lastModifiedDateTime"


def _user(calendar_id: str) -> str:
    return f"{API}/users/{quote(calendar_id, safe='@')}"


def get_event(apis: CalendarApis, token: str, calendar_id: str, event_id: str) -> Any:
    """The event as Graph has it now (raises ``NotFoundAtVendor`` once it is deleted)."""
    url = f"{_user(calendar_id)}/events/{quote(event_id, safe='')}"
    return apis.http.call("GET", url, token=token, params={"$select": _FIELDS}, headers=UTC_TIMES)


def _paged(apis: CalendarApis, token: str, url: str, params: dict[str, str] | None) -> list[Any]:
    items: list[Any] = []
    next_url: str | None = url
    for _ in range(20):
        if next_url is None:
            break
        page = apis.http.call("GET", next_url, token=token, params=params, headers=UTC_TIMES) or {}
        items.extend(page.get("value") or [])
        next_url, params = page.get("@odata.nextLink"), None
    return items


def occurrences(apis: CalendarApis, token: str, calendar_id: str, series_id: str, now: datetime) -> list[Any]:
    url = f"{_user(calendar_id)}/events/{quote(series_id, safe='')}/instances"
    return _paged(apis, token, url, _window(now))


def calendar_view(apis: CalendarApis, token: str, calendar_id: str, now: datetime) -> list[Any]:
    """Every occurrence in the window: what a ``missed`` lifecycle notice is caught up with."""
    return _paged(apis, token, f"{_user(calendar_id)}/calendarView", _window(now))


def _window(now: datetime) -> dict[str, str]:
    back, ahead = SERIES_WINDOW
    return {
        "startDateTime": (now - back).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endDateTime": (now + ahead).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "$select": _FIELDS,
    }


def subscribe(
    apis: CalendarApis, token: str, calendar_id: str, *, address: str, client_state: str, now: datetime
) -> tuple[str, datetime]:
    body = {
        "changeType": "created,updated,deleted",
        "notificationUrl": address,
        "lifecycleNotificationUrl": address,
        "resource": f"users/{calendar_id}/events",
        "expirationDateTime": _graph_time(now + SUBSCRIPTION_LIFETIME),
        "clientState": client_state,
    }
    answer = apis.http.call("POST", f"{API}/subscriptions", token=token, json_body=body) or {}
    return str(answer["id"]), _parse_time(answer["expirationDateTime"])


def renew(apis: CalendarApis, token: str, subscription_id: str, now: datetime) -> datetime:
    url = f"{API}/subscriptions/{quote(subscription_id, safe='')}"
    asked = _graph_time(now + SUBSCRIPTION_LIFETIME)
    answer = apis.http.call("PATCH", url, token=token, json_body={"expirationDateTime": asked})
    return _parse_time((answer or {}).get("expirationDateTime") or asked)


def unsubscribe(apis: CalendarApis, token: str, subscription_id: str) -> None:
    apis.http.call("DELETE", f"{API}/subscriptions/{quote(subscription_id, safe='')}", token=token)


def reauthorize(apis: CalendarApis, token: str, subscription_id: str) -> None:
    apis.http.call("POST", f"{API}/subscriptions/{quote(subscription_id, safe='')}/reauthorize", token=token)


def _graph_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _parse_time(text: Any) -> datetime:
    value = str(text).replace("Z", "+00:00")
    head, dot, rest = value.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        value = f"{head}.{digits[:6]}{zone}"
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    return _parse_time(value["dateTime"])


def _address(person: Any) -> str | None:
    email = person.get("emailAddress") if isinstance(person, dict) else None
    found = email.get("address") if isinstance(email, dict) else None
    return str(found) if found else None


def is_series(item: Any) -> bool:
    return isinstance(item, dict) and item.get("type") == "seriesMaster"


def meeting_uid(item: dict[str, Any]) -> str:
    """Which meeting an event is, the same in every mailbox holding it: its iCalendar UID (one per occurrence).

    Graph's ``id`` differs per mailbox, so two connected mailboxes of one pair would log the
    meeting twice; an item without ``iCalUId`` falls back to it.
    """
    uid = item.get("iCalUId")
    return str(uid if isinstance(uid, str) and uid else item["id"])[:500]


def meeting_event(item: Any) -> MeetingEvent | None:
    """The meeting a Graph event describes (one occurrence), or None for a series master or a shapeless item."""
    if not isinstance(item, dict) or not item.get("id") or is_series(item):
        return None
    start, end = _when(item.get("start")), _when(item.get("end"))
    if start is None or end is None:
        return None
    attendees = item.get("attendees")
    attendees = attendees if isinstance(attendees, list) else []
    modified = item.get("lastModifiedDateTime")
    return MeetingEvent(
        source=SOURCE,
        external_id=meeting_uid(item),
        status=MeetingEventStatus.CANCELLED if item.get("isCancelled") else MeetingEventStatus.BOOKED,
        start=start,
        end=max(start, end),
        organiser_email=_address(item.get("organizer")),
        attendee_emails=[a for a in (_address(p) for p in attendees) if a],
        updated_at=_parse_time(modified) if modified else None,
    )


def cancellation(external_id: str, start: datetime, end: datetime | None, at: datetime) -> MeetingEvent:
    """A deleted event, told with the times the log already holds (Graph names only its id)."""
    return MeetingEvent(
        source=SOURCE,
        external_id=external_id,
        status=MeetingEventStatus.CANCELLED,
        start=start,
        end=end or start,
        updated_at=at,
    )

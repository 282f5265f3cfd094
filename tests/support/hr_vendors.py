"""Fakes of the HR vendors' HTTP APIs on ``responses``: the documented endpoints, auth, paging and changed-since.

One neutral ``Employee`` is rendered in each vendor's own shape; each fake knows when
every employee last changed, so a changed-since pull returns only those changed after
the cursor. ``requests`` counts what each fake served.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

Reply = tuple[int, dict[str, str], str]


@dataclass
class Employee:
    number: int
    first: str
    last: str
    email: str | None
    department: str = "Umetnost"
    manager_email: str | None = None
    start: str = "2026-08-20"
    termination: str | None = None
    language: str = "sr"
    location: str = "Beograd"
    changed_at: datetime = field(default_factory=lambda: datetime(2026, 8, 1, tzinfo=UTC))

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def _json(status: int, body: Any) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(body)


def _basic(request: Any) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def _query(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class FakeVendor:
    """What every fake shares: the organisation, its credentials, and the requests served."""

    vendor: str
    mapping: dict[str, Any]
    settings: dict[str, str]
    credentials: dict[str, str]
    employees: dict[int, Employee] = field(default_factory=dict)
    served: int = 0

    def hire(self, *people: Employee) -> None:
        for person in people:
            self.employees[person.number] = person

    def change(self, number: int, at: datetime, **fields: Any) -> None:
        person = self.employees[number]
        for name, value in fields.items():
            setattr(person, name, value)
        person.changed_at = at

    def changed_since(self, since: datetime | None) -> list[Employee]:
        return [e for _, e in sorted(self.employees.items()) if since is None or e.changed_at > since]

    def install(self, mock: responses.RequestsMock) -> None:
        raise NotImplementedError

    def _count(self, handler: Callable[[Any], Reply]) -> Callable[[Any], Reply]:
        def counted(request: Any) -> Reply:
            self.served += 1
            return handler(request)

        return counted


class FakeBambooHR(FakeVendor):
    """``POST /api/gateway.php/{company}/v1/reports/custom`` with ``filters.lastChanged``; API key as basic user."""

    BASE = "https://api.bamboohr.com/api/gateway.php/kcb/v1"

    def __init__(self) -> None:
        super().__init__(
            vendor="bamboohr",
            mapping={
                "external_id": "id",
                "email": "workEmail",
                "first_name": "firstName",
                "last_name": "lastName",
                "department": "department",
                "manager_email": "supervisorEmail",
                "start_date": "hireDate",
                "termination_date": "terminationDate",
                "location": "location",
                "status": "status",
            },
            settings={"subdomain": "kcb"},
            credentials={"api_key": "bamboo-key-1"},
        )

    @staticmethod
    def render(e: Employee) -> dict[str, Any]:
        return {
            "id": str(e.number),
            "workEmail": e.email,
            "firstName": e.first,
            "lastName": e.last,
            "department": e.department,
            "supervisorEmail": e.manager_email,
            "hireDate": e.start,
            "terminationDate": e.termination or "0000-00-00",
            "location": e.location,
            "status": "Inactive" if e.termination else "Active",
        }

    def report(self, request: Any) -> Reply:
        if _basic(request) != ("bamboo-key-1", "x"):
            return _json(401, {"error": "unauthorised"})
        body = json.loads(request.body)
        since = _since(((body.get("filters") or {}).get("lastChanged") or {}).get("value"))
        employees = [self.render(e) for e in self.changed_since(since)]
        return _json(200, {"title": body.get("title"), "fields": body.get("fields"), "employees": employees})

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, f"{self.BASE}/reports/custom", callback=self._count(self.report))


class FakeHiBob(FakeVendor):
    """``POST /v1/people/search`` with a service user's basic auth; no changed-since, leavers with showInactive."""

    def __init__(self) -> None:
        super().__init__(
            vendor="hibob",
            mapping={
                "external_id": "id",
                "email": "email",
                "name": "displayName",
                "department": "work.department",
                "manager_email": "work.reportsTo.email",
                "start_date": "work.startDate",
                "termination_date": "internal.terminationDate",
                "status": "internal.status",
                "location": "address.site",
            },
            settings={},
            credentials={"service_user_id": "SERVICE-81", "token": "bob-token-1"},
        )

    @staticmethod
    def render(e: Employee) -> dict[str, Any]:
        return {
            "id": str(e.number),
            "email": e.email,
            "displayName": e.name,
            "work": {"department": e.department, "startDate": e.start, "reportsTo": {"email": e.manager_email}},
            "internal": {"terminationDate": e.termination, "status": "Terminated" if e.termination else "Active"},
            "address": {"site": e.location},
        }

    def search(self, request: Any) -> Reply:
        if _basic(request) != ("SERVICE-81", "bob-token-1"):
            return _json(401, {"error": "unauthorised"})
        body = json.loads(request.body)
        if not body.get("showInactive"):
            return _json(200, {"employees": [self.render(e) for e in self.changed_since(None) if not e.termination]})
        return _json(200, {"employees": [self.render(e) for e in self.changed_since(None)]})

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, "https://api.hibob.com/v1/people/search", callback=self._count(self.search))


class FakePersonio(FakeVendor):
    """``POST /v1/auth`` for a token, then ``GET /v1/company/employees`` paged by limit and offset."""

    BASE = "https://api.personio.de/v1"

    def __init__(self) -> None:
        super().__init__(
            vendor="personio",
            mapping={
                "external_id": "attributes.id",
                "email": "attributes.email",
                "first_name": "attributes.first_name",
                "last_name": "attributes.last_name",
                "department": "attributes.department.value.attributes.name",
                "manager_email": "attributes.supervisor.value.attributes.email",
                "start_date": "attributes.hire_date",
                "termination_date": "attributes.termination_date",
                "status": "attributes.status",
            },
            settings={"page_size": "2"},
            credentials={"client_id": "papi-1", "client_secret": "papi-secret"},
        )

    @staticmethod
    def render(e: Employee) -> dict[str, Any]:
        def attribute(label: str, value: Any) -> dict[str, Any]:
            return {"label": label, "value": value, "type": "standard", "universal_id": label.lower()}

        supervisor = None
        if e.manager_email:
            supervisor = {"type": "Employee", "attributes": {"email": attribute("Email", e.manager_email)}}
        return {
            "type": "Employee",
            "attributes": {
                "id": attribute("ID", e.number),
                "email": attribute("Email", e.email),
                "first_name": attribute("First name", e.first),
                "last_name": attribute("Last name", e.last),
                "department": attribute("Department", {"type": "Department", "attributes": {"name": e.department}}),
                "supervisor": attribute("Supervisor", supervisor),
                "hire_date": attribute("Hire date", f"{e.start}T00:00:00+02:00"),
                "termination_date": attribute("Termination date", e.termination and f"{e.termination}T00:00:00+02:00"),
                "status": attribute("Status", "inactive" if e.termination else "active"),
            },
        }

    def auth(self, request: Any) -> Reply:
        body = json.loads(request.body)
        if body != {"client_id": "papi-1", "client_secret": "papi-secret"}:
            return _json(401, {"success": False, "error": {"message": "Unauthorized"}})
        return _json(200, {"success": True, "data": {"token": "personio-bearer"}})

    def list(self, request: Any) -> Reply:
        if request.headers.get("Authorization") != "Bearer personio-bearer":
            return _json(401, {"success": False})
        query = _query(request)
        limit, offset = int(query.get("limit", 200)), int(query.get("offset", 0))
        chosen = self.changed_since(_since(query.get("updated_since")))
        page = chosen[offset : offset + limit]
        metadata = {
            "total_elements": len(chosen),
            "current_page": offset // limit,
            "total_pages": -(-len(chosen) // limit),
        }
        data = [self.render(e) for e in page]
        return _json(200, {"success": True, "metadata": metadata, "offset": offset, "limit": limit, "data": data})

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, f"{self.BASE}/auth", callback=self._count(self.auth))
        mock.add_callback(responses.GET, f"{self.BASE}/company/employees", callback=self._count(self.list))


class FakeWorkday(FakeVendor):
    """A RaaS report URL answering ``{"Report_Entry": [...]}``, with the tenant's own field names and prompt."""

    URL = "https://wd2-impl-services1.workday.com/ccx/service/customreport2/kcb/ISU_Mentorflow/Mentorflow_Workers"

    def __init__(self) -> None:
        super().__init__(
            vendor="workday",
            mapping={
                "external_id": "Employee_ID",
                "email": "Work_Email",
                "name": "Legal_Name",
                "department": "Supervisory_Organization",
                "manager_email": "Manager_Work_Email",
                "start_date": "Hire_Date",
                "termination_date": "Termination_Date",
                "location": "Location",
                "language": "Preferred_Language",
            },
            settings={"report_url": self.URL, "since_parameter": "Updated_Since"},
            credentials={"username": "ISU_Mentorflow", "password": "wd-pass"},
        )

    @staticmethod
    def render(e: Employee) -> dict[str, Any]:
        entry = {
            "Employee_ID": f"2{e.number:04d}",
            "Work_Email": e.email,
            "Legal_Name": e.name,
            "Supervisory_Organization": e.department,
            "Manager_Work_Email": e.manager_email,
            "Hire_Date": e.start,
            "Location": e.location,
            "Preferred_Language": {"sr": "sr_RS", "sl": "sl_SI"}.get(e.language, e.language),
        }
        if e.termination:
            entry["Termination_Date"] = e.termination
        return {k: v for k, v in entry.items() if v is not None}

    def report(self, request: Any) -> Reply:
        if _basic(request) != ("ISU_Mentorflow", "wd-pass"):
            return 401, {"Content-Type": "text/html"}, "<html>Sign in</html>"
        query = _query(request)
        if query.get("format") != "json":
            return 200, {"Content-Type": "application/xml"}, "<wd:Report_Data/>"
        entries = [self.render(e) for e in self.changed_since(_since(query.get("Updated_Since")))]
        return _json(200, {"Report_Entry": entries})

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.GET, self.URL, callback=self._count(self.report))


class FakeMerge(FakeVendor):
    """``GET /api/hris/v1/employees`` paged by ``cursor``, narrowed by ``modified_after``, ``expand=manager``."""

    URL = "https://api.merge.dev/api/hris/v1/employees"

    def __init__(self) -> None:
        super().__init__(
            vendor="merge",
            mapping={
                "external_id": "id",
                "email": "work_email",
                "name": "display_full_name",
                "department": "team.name",
                "manager_email": "manager.work_email",
                "start_date": "start_date",
                "termination_date": "termination_date",
                "status": "employment_status",
                "location": "work_location.name",
            },
            settings={"page_size": "2"},
            credentials={"api_key": "merge-key", "account_token": "acct-kcb"},
        )

    def render(self, e: Employee, expand: set[str]) -> dict[str, Any]:
        manager = None
        if e.manager_email:
            manager = next((m for m in self.employees.values() if m.email == e.manager_email), None)
        manager_id = f"merge-{manager.number}" if manager else None
        return {
            "id": f"merge-{e.number}",
            "remote_id": str(e.number),
            "work_email": e.email,
            "first_name": e.first,
            "last_name": e.last,
            "display_full_name": e.name,
            "team": {"name": e.department} if "team" in expand else f"team-{e.department}",
            "manager": {"id": manager_id, "work_email": e.manager_email} if "manager" in expand else manager_id,
            "work_location": {"name": e.location} if "work_location" in expand else "loc-1",
            "start_date": f"{e.start}T00:00:00Z",
            "termination_date": f"{e.termination}T00:00:00Z" if e.termination else None,
            "employment_status": "INACTIVE" if e.termination else "ACTIVE",
            "modified_at": e.changed_at.isoformat(),
        }

    def list(self, request: Any) -> Reply:
        if (
            request.headers.get("Authorization") != "Bearer merge-key"
            or request.headers.get("X-Account-Token") != "acct-kcb"
        ):
            return _json(401, {"detail": "Invalid token."})
        query = _query(request)
        expand = set(query.get("expand", "").split(","))
        size = int(query.get("page_size", 100))
        chosen = self.changed_since(_since(query.get("modified_after")))
        start = int(base64.b64decode(query["cursor"]).decode()) if "cursor" in query else 0
        following = start + size
        next_cursor = base64.b64encode(str(following).encode()).decode() if following < len(chosen) else None
        results = [self.render(e, expand) for e in chosen[start:following]]
        return _json(200, {"next": next_cursor, "previous": None, "results": results})

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.GET, self.URL, callback=self._count(self.list))


VENDORS: dict[str, Callable[[], FakeVendor]] = {
    "bamboohr": FakeBambooHR,
    "hibob": FakeHiBob,
    "personio": FakePersonio,
    "workday": FakeWorkday,
    "merge": FakeMerge,
}

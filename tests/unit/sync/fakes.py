"""A fake organisation for the sync specifications: employees as a vendor lists them, served in pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.participant import Role
from chalicelib.domain.sync import CredentialRef, FieldMap, ScopeRule, SecretStore, SyncConnector, Vendor
from chalicelib.sync.http import CursorRejected
from chalicelib.sync.ports import PullPage

NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

# BambooHR-shaped records; the mapping below is what a coordinator would configure for them.
MAPPING = FieldMap(
    external_id="id",
    email="workEmail",
    first_name="firstName",
    last_name="lastName",
    department="department",
    manager_email="supervisorEmail",
    company="division",
    start_date="hireDate",
    termination_date="terminationDate",
    location="location",
    language="preferredLanguage",
    status="status",
)


def employee(number: int, name: str, email: str | None, **fields: Any) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    record: dict[str, Any] = {
        "id": str(number),
        "firstName": first,
        "lastName": last,
        "workEmail": email,
        "department": "Umetnost",
        "supervisorEmail": None,
        "division": "Kulturni centar",
        "hireDate": "2026-08-20",
        "terminationDate": "0000-00-00",
        "location": "Beograd",
        "preferredLanguage": "sr",
        "status": "Active",
    }
    record.update(fields)
    return record


def connector(tenant_id: str, programme_id: str, *, role: Role = Role.MENTEE, **scope: Any) -> SyncConnector:
    return SyncConnector(
        tenant_id=tenant_id,
        connector_id="con_hr",
        vendor=Vendor.BAMBOOHR,
        credentials=CredentialRef(store=SecretStore.SSM, name="/mentorflow/bamboohr"),
        settings={"subdomain": "kcb"},
        mapping=MAPPING,
        scopes=[ScopeRule(programme_id=programme_id, role=role, **scope)],
        created_at=NOW,
        updated_at=NOW,
    )


class Interrupted(Exception):
    """Stands for the Lambda being stopped mid-run."""


@dataclass
class FakeOrganisation:
    """Serves its employees in pages of ``page_size``; ``changed`` lists who changed since the last cursor."""

    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    page_size: int = 2
    changed: set[str] | None = None
    stop_after_pages: int | None = None
    reject_cursor: bool = False
    pulls: list[tuple[str | None, str | None]] = field(default_factory=list)

    def add(self, *records: Mapping[str, Any]) -> None:
        for record in records:
            self.employees[str(record["id"])] = dict(record)
            if self.changed is not None:
                self.changed.add(str(record["id"]))

    def update(self, number: int, **fields: Any) -> None:
        self.employees[str(number)].update(fields)
        if self.changed is not None:
            self.changed.add(str(number))

    def pull(self, *, since: str | None, page: str | None) -> PullPage:
        self.pulls.append((since, page))
        if since is not None and self.reject_cursor:
            raise CursorRejected("the vendor no longer accepts the stored position (410)")
        if self.stop_after_pages is not None and len(self.pulls) > self.stop_after_pages:
            raise Interrupted
        chosen: Sequence[dict[str, Any]] = [
            e
            for key, e in sorted(self.employees.items())
            if since is None or self.changed is None or key in self.changed
        ]
        start = int(page or 0)
        following = start + self.page_size
        return PullPage(
            records=[dict(e) for e in chosen[start:following]],
            next_page=str(following) if following < len(chosen) else None,
        )

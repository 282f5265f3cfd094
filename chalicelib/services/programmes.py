"""Programmes: create, read, update and list, always within one tenant."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chalicelib.clock import Clock
from chalicelib.domain.programme import Programme, ProgrammeStatus
from chalicelib.errors import Conflict, NotFound, ValidationFailed, VersionConflict
from chalicelib.storage.repositories import Storage

ARCHIVED_FOR_GOOD = (
    "the programme is archived and cannot be reopened: it stays closed, takes no signups and is not matched again"
)


def create_programme(storage: Storage, *, tenant_id: str, fields: dict[str, Any], clock: Clock) -> Programme:
    now = clock.now()
    programme = _build(dict(fields, tenant_id=tenant_id, created_at=now, updated_at=now))
    return storage.programmes.save(programme)


def get_programme(storage: Storage, tenant_id: str, programme_id: str) -> Programme:
    programme = storage.programmes.get(tenant_id, programme_id)
    if programme is None:
        raise NotFound("no such programme")
    return programme


def update_programme(
    storage: Storage,
    *,
    tenant_id: str,
    programme_id: str,
    changes: dict[str, Any],
    expected_version: int | None,
    clock: Clock,
) -> Programme:
    """Apply ``changes`` to the stored programme.

    Raises
    ------
    VersionConflict
        ``expected_version`` is stale.
    Conflict
        The programme is archived and the change would reopen it (``reopens``).
    """
    current = get_programme(storage, tenant_id, programme_id)
    if expected_version is not None and expected_version != current.version:
        raise VersionConflict(
            "the programme was changed since you read it",
            details={"expected_version": expected_version, "current_version": current.version},
        )
    if reopens(current, changes):
        raise Conflict(ARCHIVED_FOR_GOOD)
    merged = current.model_dump() | changes | {"updated_at": clock.now()}
    return storage.programmes.save(_build(merged))


def reopens(current: Programme, changes: dict[str, Any]) -> bool:
    """Whether ``changes`` would bring an archived programme back: another status, no archive date, a matching date.

    Its people are scrubbed on the archive's schedule whatever the programme says, so a
    reopened one would take signups and form pairs only to lose them without warning.
    """
    if current.archived_at is None:
        return False
    status = changes.get("status", current.status)
    unarchived = "archived_at" in changes and changes["archived_at"] != current.archived_at
    return status != ProgrammeStatus.CLOSED or unarchived or changes.get("matching_date") is not None


def _build(data: dict[str, Any]) -> Programme:
    try:
        return Programme.model_validate(data)
    except ValidationError as exc:
        # The fields come from the request body, with the tenant and timestamps that cannot be wrong.
        raise ValidationFailed.from_pydantic(exc, where="body") from exc

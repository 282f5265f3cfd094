"""Programmes: create, read, update and list, always within one tenant."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chalicelib.clock import Clock
from chalicelib.domain.programme import Programme
from chalicelib.errors import NotFound, ValidationFailed, VersionConflict
from chalicelib.storage.repositories import Storage


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
    """Apply ``changes`` to the stored programme; a stale ``expected_version`` is a conflict."""
    current = get_programme(storage, tenant_id, programme_id)
    if expected_version is not None and expected_version != current.version:
        raise VersionConflict(
            "the programme was changed since you read it",
            details={"expected_version": expected_version, "current_version": current.version},
        )
    merged = current.model_dump() | changes | {"updated_at": clock.now()}
    return storage.programmes.save(_build(merged))


def _build(data: dict[str, Any]) -> Programme:
    try:
        return Programme.model_validate(data)
    except ValidationError as exc:
        # The fields come from the request body, with the tenant and timestamps that cannot be wrong.
        raise ValidationFailed.from_pydantic(exc, where="body") from exc

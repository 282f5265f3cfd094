"""Exact comparison of stored state: what ``==`` on pydantic models would let through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


def differences(expected: BaseModel, actual: BaseModel) -> list[str]:
    """Where two entities differ in value, type (int vs float) or a datetime's UTC offset; [] if identical.

    ``==`` alone compares datetimes as instants and ``4 == 4.0``, which would hide a lossy round trip.
    """
    if type(expected) is not type(actual):
        return [f"type {type(expected).__name__} != {type(actual).__name__}"]
    return _differences(expected.model_dump(), actual.model_dump(), "")


def _differences(expected: Any, actual: Any, path: str) -> list[str]:
    if type(expected) is not type(actual):
        kinds = f"{type(expected).__name__} != {type(actual).__name__}"
        return [f"{path or '.'}: {expected!r} != {actual!r} ({kinds})"]
    if isinstance(expected, dict):
        if set(expected) != set(actual):
            return [f"{path or '.'}: keys {sorted(expected)} != {sorted(actual)}"]
        return [d for key in expected for d in _differences(expected[key], actual[key], f"{path}.{key}")]
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items != {len(actual)}"]
        pairs = enumerate(zip(expected, actual, strict=True))
        return [d for i, (e, a) in pairs for d in _differences(e, a, f"{path}[{i}]")]
    if isinstance(expected, datetime) and expected.utcoffset() != actual.utcoffset():
        return [f"{path}: offset {expected.utcoffset()} != {actual.utcoffset()}"]
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


"""The one back-off curve every retried side effect follows (webhook deliveries, e-mails)."""

from __future__ import annotations

from datetime import timedelta


def exponential_backoff(attempts: int, *, first: timedelta, cap: timedelta) -> timedelta:
    """``first`` after the first failed attempt, doubling after each further one, never more than ``cap``."""
    return min(first * (2 ** max(attempts - 1, 0)), cap)

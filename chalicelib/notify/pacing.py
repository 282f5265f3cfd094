"""Sending pace: each tenant at its own rate, all of them together within SES's send rate.

A sweep is one thread sending one message at a time, so pacing is a matter of waiting
long enough before each send: since the last send of anyone (SES's rate, for the whole
account) and since the last send for the same tenant (the tenant's share). A send that
would have to wait beyond the sweep's time budget is left for the next sweep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SendPacer:
    """Decides when the next message of a tenant may go, and waits for it.

    ``overall_rate`` and each tenant's rate are messages per second; None is no limit.
    ``budget`` is how many seconds the sweep may spend; ``sleep`` and ``monotonic`` are
    injectable so tests need not wait.
    """

    overall_rate: float | None = None
    tenant_rate: Callable[[str], float | None] = lambda tenant_id: None
    budget: float | None = None
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    _started: float | None = None
    _last_any: float | None = None
    _last_by_tenant: dict[str, float] = field(default_factory=dict)

    def turn(self, tenant_id: str) -> bool:
        """Wait until ``tenant_id`` may send; False (without waiting) when that is past the budget."""
        now = self.monotonic()
        if self._started is None:
            self._started = now
        ready = max(
            _after(self._last_any, self.overall_rate),
            _after(self._last_by_tenant.get(tenant_id), self.tenant_rate(tenant_id)),
            now,
        )
        if self.budget is not None and ready - self._started > self.budget:
            return False
        if ready > now:
            self.sleep(ready - now)
        sent_at = max(ready, self.monotonic())
        self._last_any = sent_at
        self._last_by_tenant[tenant_id] = sent_at
        return True


def _after(last: float | None, rate: float | None) -> float:
    if last is None or not rate:
        return float("-inf")
    return last + 1.0 / rate


__all__ = ["SendPacer"]

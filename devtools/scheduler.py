"""A small in-process scheduler for the local stack, standing in for the deployed EventBridge schedules.

``chalice local`` serves HTTP routes only, so ``python -m devtools.local_stack`` runs
every job of ``chalicelib.jobs.JOBS`` here instead: each once at start (so a local run
shows every job at work), then on its own schedule: a ``Rate`` every so many minutes
from the start, a ``Cron`` at its next UTC firing time, as EventBridge would. Deciding
what is due (``due``/``tick``) takes the time (seconds since the epoch) as an argument,
so it is tested with a fake clock and no sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from chalicelib.schedules import Cron, Rate

logger = logging.getLogger(__name__)

# Upper bound on one wait, so a clock that jumps (suspend, NTP) is noticed within a minute.
MAX_WAIT_SECONDS = 60.0


class ScheduledJob(Protocol):
    @property
    def schedule(self) -> Rate | Cron: ...


@dataclass(frozen=True)
class JobOutcome:
    """What one run of a job came to: its integer counts, or the type of the error it raised."""

    name: str
    ok: bool
    counts: dict[str, int] = field(default_factory=dict)
    error_type: str | None = None

    def describe(self) -> str:
        if not self.ok:
            return f"{self.name} failed: {self.error_type}"
        counts = ", ".join(f"{key}={value}" for key, value in sorted(self.counts.items()))
        return f"{self.name} ok" + (f" ({counts})" if counts else "")


class LocalScheduler:
    """Runs named jobs on their schedules, one after another, on one thread.

    Parameters
    ----------
    jobs
        Job name to anything with a ``schedule`` (``chalicelib.jobs.JOBS``).
    run
        Runs one job by name and returns its result (``lambda name: run_job(name, container)``).
    clock
        Seconds since the epoch (cron times are UTC); every job is due at the first ``tick``.
    sleep
        Waits the given seconds; None waits on the ``stop_event`` of ``run_forever`` so a stop is immediate.
    on_outcome
        Called with each run's outcome (the local stack prints it).
    """

    def __init__(
        self,
        jobs: Mapping[str, ScheduledJob],
        run: Callable[[str], Mapping[str, Any]],
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] | None = None,
        on_outcome: Callable[[JobOutcome], None] | None = None,
    ) -> None:
        self._schedules = {name: job.schedule for name, job in jobs.items()}
        self._run = run
        self._clock = clock
        self._sleep = sleep
        self._on_outcome = on_outcome
        self._next_at: dict[str, float] = {}

    @property
    def job_names(self) -> list[str]:
        return list(self._schedules)

    def due(self, now: float) -> list[str]:
        """Names of the jobs due at ``now``, in the order they were given. Changes nothing."""
        return [name for name in self._schedules if name not in self._next_at or self._next_at[name] <= now]

    def tick(self, now: float) -> list[JobOutcome]:
        """Run every job due at ``now`` and schedule its next run; one failing job does not stop the others."""
        outcomes = []
        for name in self.due(now):
            outcome = self._run_one(name)
            self._reschedule(name, now)
            outcomes.append(outcome)
            if self._on_outcome is not None:
                self._on_outcome(outcome)
        return outcomes

    def seconds_until_next(self, now: float) -> float:
        """Seconds from ``now`` until the earliest job is due (0 when one is due already)."""
        if not self._schedules:
            return MAX_WAIT_SECONDS
        if len(self._next_at) < len(self._schedules):
            return 0.0
        return max(0.0, min(self._next_at.values()) - now)

    def run_forever(self, stop_event: threading.Event) -> None:
        """Tick and wait until ``stop_event`` is set; a job already running finishes first."""
        while not stop_event.is_set():
            self.tick(self._clock())
            if stop_event.is_set():
                break
            wait = min(self.seconds_until_next(self._clock()), MAX_WAIT_SECONDS)
            if self._sleep is not None:
                self._sleep(wait)
            else:
                stop_event.wait(wait)

    def _run_one(self, name: str) -> JobOutcome:
        try:
            result = self._run(name)
        except Exception as exc:
            # The type only: messages of data errors can quote the records they failed on.
            logger.warning("job %s failed: %s", name, type(exc).__name__)
            return JobOutcome(name=name, ok=False, error_type=type(exc).__name__)
        counts = {
            key: value
            for key, value in result.items()
            if isinstance(value, int) and not isinstance(value, bool)
        }
        return JobOutcome(name=name, ok=True, counts=counts)

    def _reschedule(self, name: str, now: float) -> None:
        schedule = self._schedules[name]
        if isinstance(schedule, Cron):
            # From now, not from the missed time: after a stall a cron job runs once, then at its next time.
            following = schedule.next_after(datetime.fromtimestamp(now, UTC))
            self._next_at[name] = following.timestamp() if following is not None else float("inf")
            return
        interval = schedule.minutes * 60.0
        planned = self._next_at.get(name, now) + interval
        # After a long stall (a suspended laptop) run once, not once per missed interval.
        self._next_at[name] = planned if planned > now else now + interval

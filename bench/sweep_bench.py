"""Sweep benchmark: the hourly meeting-health and nudge sweep over 100,000 pairs of which 1% are due.

``python -m bench.sweep_bench [--pairs 100000] [--due-share 0.01] [--out bench/results/sweep.json]``

Pairs are stored in the in-memory fake (100,000 on moto would measure moto's sorting of
the whole table). Every repository call is counted by the items it returns: the pairs
the due index gives, and what handling a due pair reads (its meetings, the programme
once; the two people of a nudge come with the pair, which carries their contacts from its
approval). Printed: items read from the due index per due pair
(the sweep's own reading), all items read per due pair, and the sweep's time.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


class Counted:
    """A repository whose every call counts the items it returned under ``<repository>.<method>``."""

    def __init__(self, name: str, inner: Any, reads: Counter[str]) -> None:
        self._name, self._inner, self._reads = name, inner, reads

    def __getattr__(self, method: str) -> Any:
        target = getattr(self._inner, method)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            result = target(*args, **kwargs)
            if method.startswith(("get", "due", "for_", "list", "by_")):
                items = getattr(result, "items", result)
                self._reads[f"{self._name}.{method}"] += (
                    len(items) if isinstance(items, list) else int(result is not None)
                )
            return result

        return call


def build(pairs: int, due_share: float) -> tuple[Any, Any, int]:
    from chalicelib.domain.common import StatusChange
    from chalicelib.domain.nudges import contact_of
    from chalicelib.domain.pair import Pair, PairStatus
    from chalicelib.domain.participant import Participant, Profile, Role
    from chalicelib.domain.programme import Programme
    from chalicelib.storage.repositories import in_memory_storage

    storage = in_memory_storage()
    now = START + timedelta(days=15)
    programme = storage.programmes.save(
        Programme(
            programme_id="prg_bench",
            tenant_id="ten_bench",
            name="Bench",
            timezone="Europe/Belgrade",
            # Meetings every 11 days and 3 days' grace: the due pairs reach their first nudge on day 14.
            meeting_cadence_days=11,
            coordinator_email="coordinator@example.org",
            created_at=START,
            updated_at=START,
        )
    )
    due_every = round(1 / due_share)
    due = 0
    for n in range(pairs):
        is_due = n % due_every == 0
        contacts = []
        if is_due:
            for role, pid in ((Role.MENTOR, f"par_m{n}"), (Role.MENTEE, f"par_e{n}")):
                person = storage.participants.save(
                    Participant(
                        participant_id=pid,
                        tenant_id="ten_bench",
                        programme_id="prg_bench",
                        profile=Profile(role=role, email=f"{pid}@example.org", name=pid, language="sr"),
                        created_at=START,
                        updated_at=START,
                    )
                )
                contacts.append(contact_of(person))
        storage.pairs.save(
            Pair(
                pair_id=f"pair_{n:06d}",
                tenant_id="ten_bench",
                programme_id="prg_bench",
                mentor_id=f"par_m{n}",
                mentee_id=f"par_e{n}",
                status=PairStatus.ACTIVE,
                history=[StatusChange(status="approved", at=START)],
                next_due_at=now - timedelta(hours=1) if is_due else now + timedelta(days=1 + n % 20),
                contacts=contacts,
                created_at=START,
                updated_at=START,
            )
        )
        due += is_due
    return storage, programme, due


def run(pairs: int, due_share: float) -> dict[str, Any]:
    # One log line per queued message would time the terminal, not the sweep.
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from chalicelib.clock import FixedClock
    from chalicelib.notify.outbox import Notifier
    from chalicelib.services.meetings import check_due_health
    from chalicelib.storage.repositories import Storage

    storage, _programme, due = build(pairs, due_share)
    reads: Counter[str] = Counter()
    counted = Storage(**{f.name: Counted(f.name, getattr(storage, f.name), reads) for f in fields(Storage)})
    clock = FixedClock(START + timedelta(days=15))
    notifier = Notifier(storage.messages, clock)
    sweep: Callable[[], dict[str, int]] = lambda: check_due_health(storage=counted, clock=clock, notifier=notifier)  # noqa: E731
    started = time.perf_counter()
    totals: Counter[str] = Counter()
    while True:
        counts = sweep()
        totals.update(counts)
        if counts["checked"] == 0:
            break
    seconds = time.perf_counter() - started
    index_reads = reads["pairs.due"]
    return {
        "pairs": pairs,
        "due": due,
        "checked": totals["checked"],
        "nudges_queued": totals["nudged"],
        "index_items_per_due": round(index_reads / due, 3),
        "all_items_per_due": round(sum(reads.values()) / due, 3),
        "reads": dict(sorted(reads.items())),
        "sweep_seconds": round(seconds, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sweep.json")
    args = parser.parse_args(argv)
    result = run(args.pairs, args.due_share)
    print(f"sweep: {result['pairs']:,} pairs, {result['due']:,} due, {result['checked']:,} checked")
    print(f"  items read from the due index per due pair: {result['index_items_per_due']}")
    print(f"  all items read per due pair (index, meetings, programme, people): {result['all_items_per_due']}")
    print(f"  nudges queued: {result['nudges_queued']:,}; sweep time: {result['sweep_seconds']} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

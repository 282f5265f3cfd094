"""Meetings benchmark: signed Cal.com notifications through the real webhook route, in memory and on moto.

``python -m bench.meetings_bench [--notifications 10000] [--pairs 200] [--out bench/results/meetings.json]``

* The notifications are a programme's booking traffic: bookings of running pairs, some
  cancelled or ended afterwards, some rescheduled, and bookings of strangers (who are no
  pair). Each is a distinct, correctly signed Cal.com delivery.
* On the in-memory fake the route's time is our own code (verification, parsing, finding
  the pair, the meeting log, the pair's health) plus the Chalice test client: the median
  is printed.
* On moto the same notifications are sent again and every DynamoDB call is counted
  through botocore's event hooks, per operation, to give the calls per notification.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT, bench_storage, offline_aws_environment, p95, write_result

START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def _mentor(pair: int) -> str:
    return f"mentor.{pair}@example.org"


def _mentee(pair: int) -> str:
    return f"Mentee.{pair}@Example.org"


def notification(index: int, pairs: int) -> bytes:
    """The ``index``-th notification: a cycle of booked, rescheduled, cancelled, ended and strangers' bookings."""
    kind = index % 10
    pair = (index // 10) % pairs
    booking = index // 10
    start = START + timedelta(days=7 + booking % 60, hours=index % 8)
    trigger = "BOOKING_CREATED"
    uid = f"bk-{booking}-a"
    extra: dict[str, Any] = {}
    people = (_mentor(pair), _mentee(pair))
    if kind in (3, 4):
        trigger, uid = "BOOKING_CANCELLED" if kind == 3 else "BOOKING_CREATED", f"bk-{booking}-b"
    elif kind == 5:
        trigger, uid = "BOOKING_RESCHEDULED", f"bk-{booking}-c"
        extra = {"rescheduleUid": f"bk-{booking}-a"}
        start += timedelta(days=1)
    elif kind in (6, 7):
        trigger, uid = "MEETING_ENDED", f"bk-{booking}-c"
        start += timedelta(days=1)
    elif kind >= 8:
        people = (f"host.{index}@elsewhere.example", f"guest.{index}@elsewhere.example")
        uid = f"stranger-{index}"
    payload = {
        "triggerEvent": trigger,
        "createdAt": (START + timedelta(seconds=index)).isoformat(),
        "payload": {
            "uid": uid,
            "title": "Mentoring session",
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(hours=1)).isoformat(),
            "organizer": {"email": people[0], "name": "Host", "timeZone": "Europe/Belgrade"},
            "attendees": [{"email": people[1], "name": "Guest", "timeZone": "Europe/Vilnius"}],
            **extra,
        },
    }
    return json.dumps(payload).encode("utf-8")


@dataclass
class Run:
    route_ms: list[float]
    states: Counter[str]
    meetings: int
    dynamodb_calls: Counter[str]


def run(kind: str, notifications: int, pairs: int) -> Run:
    from chalice.test import Client

    from app import app
    from chalicelib.clock import FixedClock
    from chalicelib.container import Container, use_container
    from chalicelib.domain.webhook import Purpose
    from chalicelib.registry import source_registry
    from chalicelib.services import endpoints, programmes, tenants
    from chalicelib.settings import Settings
    from chalicelib.storage.endpoints import CachedEndpoints
    from chalicelib.storage.programmes import CachedProgrammes
    from chalicelib.webhooks.sources import calcom
    from tests.support.pairs import stored_pair

    with bench_storage(kind) as (storage, calls):
        clock = FixedClock(START)
        tenant, _ = tenants.bootstrap_tenant(storage, name="Bench", clock=clock)
        programme = programmes.create_programme(
            storage, tenant_id=tenant.tenant_id, fields={"name": "Bench programme"}, clock=clock
        )
        issued = endpoints.create_endpoint(
            storage,
            tenant_id=tenant.tenant_id,
            programme_id=programme.programme_id,
            source="calcom",
            description=None,
            base_url="http://127.0.0.1:8000",
            clock=clock,
            sources=source_registry(),
            purpose=Purpose.MEETINGS,
        )
        stored = [
            stored_pair(storage, tenant.tenant_id, programme.programme_id, _mentor(p), _mentee(p), approved_at=START)
            for p in range(pairs)
        ]
        bodies = [notification(i, pairs) for i in range(notifications)]
        path = f"/hooks/calcom/{issued.endpoint.endpoint_id}"

        # As the deployed container builds its storage: endpoints and programmes kept briefly by the warm process.
        storage.endpoints = CachedEndpoints(storage.endpoints)
        storage.programmes = CachedProgrammes(storage.programmes)
        use_container(Container(settings=Settings(), clock=clock, _storage=storage))
        route_ms: list[float] = []
        states: Counter[str] = Counter()
        calls.clear()
        with Client(app, stage_name="local") as client:
            for body in bodies:
                headers = {
                    "Content-Type": "application/json",
                    "X-Cal-Signature-256": calcom.SIGNING.sign(issued.secret, body),
                }
                started = time.perf_counter()
                response = client.http.post(path, headers=headers, body=body)
                route_ms.append((time.perf_counter() - started) * 1000)
                states[str(response.json_body.get("state", response.status_code))] += 1
        use_container(None)
        counted = Counter(calls)
        meetings = sum(
            len(storage.meetings.for_pair(tenant.tenant_id, programme.programme_id, p.pair_id)) for p in stored
        )
        return Run(route_ms, states, meetings, counted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notifications", type=int, default=10_000)
    # moto's Query sorts the whole table, so counting calls on all 10,000 would take hours; the traffic
    # repeats in cycles of ten notifications, so any multiple of ten gives the same calls per notification.
    parser.add_argument("--moto-notifications", type=int, default=500, help="how many are counted on moto")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "meetings.json")
    args = parser.parse_args(argv)
    offline_aws_environment()

    moto_count = min(args.moto_notifications, args.notifications)
    memory = run("memory", args.notifications, args.pairs)
    moto = run("moto", moto_count, args.pairs)
    total_calls = sum(moto.dynamodb_calls.values())
    result = {
        "notifications": args.notifications,
        "pairs": args.pairs,
        "memory": {
            "median_route_ms": round(statistics.median(memory.route_ms), 3),
            "p95_route_ms": p95(memory.route_ms),
            "states": dict(memory.states),
            "meetings_stored": memory.meetings,
        },
        "moto": {
            "notifications": moto_count,
            "median_route_ms": round(statistics.median(moto.route_ms), 3),
            "states": dict(moto.states),
            "dynamodb_calls_per_notification": round(total_calls / moto_count, 2),
            "dynamodb_calls_by_operation": dict(moto.dynamodb_calls),
            "meetings_stored": moto.meetings,
        },
    }
    print(f"meetings: {args.notifications} signed Cal.com notifications through POST /hooks/calcom/{{endpoint}}")
    print(
        f"  in-memory storage: median {result['memory']['median_route_ms']} ms per notification "
        f"(p95 {result['memory']['p95_route_ms']} ms; our code plus the Chalice test client) {dict(memory.states)}"
    )
    print(
        f"  moto DynamoDB ({moto_count}): {result['moto']['dynamodb_calls_per_notification']} DynamoDB calls per "
        f"notification {dict(moto.dynamodb_calls)}"
    )
    print(f"  meetings stored: {memory.meetings} (memory), {moto.meetings} (moto)")
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Intake benchmark: signed signups through the real webhook route, on in-memory storage and on moto.

``python -m bench.intake_bench [--signups 1000] [--out bench/results/intake.json]``

* On the in-memory fake the route's time is our own code (verification, parsing,
  mapping, onboarding, outbox) plus the Chalice test client: the median is printed.
* On moto the same signups are sent again and every DynamoDB call is counted through
  botocore's event hooks, per operation, to give the calls per signup.
* The messages queued are counted from the outbox: one confirmation per new person.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT, bench_storage, offline_aws_environment, p95, write_result

MAPPING = ROOT / "integrations" / "google-forms" / "mapping.mentee-signup.json"
FIRST_NAMES = ["Ona", "Søren", "Dragana", "Žiga", "Eglė", "Mads", "Milica", "Ana", "Jonas", "Špela"]
LAST_NAMES = ["Čiurlionytė", "Ærø", "Đorđević", "Šuštar", "Kazlauskienė", "Jørgensen", "Petrović", "Novak"]
LANGUAGES = ["Srpski", "Lietuvių", "Slovenščina", "Dansk", "English"]


def signup_body(index: int, submitted_at: str) -> bytes:
    name = f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {LAST_NAMES[index % len(LAST_NAMES)]}"
    payload = {
        "type": "form.submitted",
        "timestamp": submitted_at,
        "data": {
            "form_id": "bench-form",
            "response_id": f"resp-{index}",
            "submitted_at": submitted_at,
            "respondent_email": f"Mentee.{index}@Example.org",
            "answers": [
                {"id": "1", "title": "Full name", "type": "text", "value": name},
                {
                    "id": "2",
                    "title": "Which language should we write to you in?",
                    "type": "choice",
                    "value": LANGUAGES[index % len(LANGUAGES)],
                },
                {"id": "3", "title": "Which languages do you speak?", "type": "choices", "value": ["English"]},
                {"id": "4", "title": "Your time zone", "type": "choice", "value": "Europe/Vilnius"},
                {"id": "5", "title": "Years of professional experience", "type": "number", "value": index % 15},
                {
                    "id": "6",
                    "title": "What would you like to work on?",
                    "type": "choices",
                    "value": ["Leadership", "Fundraising"],
                },
                {
                    "id": "7",
                    "title": "I agree that my answers are used to match me within this programme.",
                    "type": "choices",
                    "value": ["Yes"],
                },
            ],
        },
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


@dataclass
class Run:
    route_ms: list[float]
    statuses: Counter[int]
    messages: int
    participants: int
    dynamodb_calls: Counter[str]


def run(kind: str, signups: int) -> Run:
    from chalice.test import Client

    from app import app
    from chalicelib.clock import FixedClock
    from chalicelib.container import Container, use_container
    from chalicelib.domain.forms.mapping import FieldMapping
    from chalicelib.registry import source_registry
    from chalicelib.services import endpoints, programmes, tenants
    from chalicelib.settings import Settings
    from chalicelib.storage.endpoints import CachedEndpoints
    from chalicelib.webhooks.signing import StandardWebhooksVerifier

    with bench_storage(kind) as (storage, calls):
        from datetime import UTC, datetime

        clock = FixedClock(datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
        tenant, _ = tenants.bootstrap_tenant(storage, name="Bench", clock=clock)
        programme = programmes.create_programme(
            storage,
            tenant_id=tenant.tenant_id,
            fields={"name": "Bench programme", "languages": ["en", "sr", "lt", "sl", "da"]},
            clock=clock,
        )
        issued = endpoints.create_endpoint(
            storage,
            tenant_id=tenant.tenant_id,
            programme_id=programme.programme_id,
            source="standard",
            description=None,
            base_url="http://127.0.0.1:8000",
            clock=clock,
            sources=source_registry(),
        )
        endpoint = issued.endpoint
        endpoint.field_mapping = FieldMapping.model_validate_json(MAPPING.read_bytes())
        storage.endpoints.save(endpoint)
        bodies = [signup_body(i, (clock.now() + timedelta(seconds=i)).isoformat()) for i in range(signups)]

        # As the deployed container builds its storage: endpoints kept briefly by the warm process.
        storage.endpoints = CachedEndpoints(storage.endpoints)
        use_container(Container(settings=Settings(), clock=clock, _storage=storage))
        route_ms: list[float] = []
        statuses: Counter[int] = Counter()
        calls.clear()
        with Client(app, stage_name="local") as client:
            for index, body in enumerate(bodies):
                timestamp = int(clock.now().timestamp())
                msg_id = f"msg_bench_{index}"
                headers = {
                    "webhook-id": msg_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": StandardWebhooksVerifier.sign(issued.secret, msg_id, timestamp, body),
                    "Content-Type": "application/json",
                }
                started = time.perf_counter()
                response = client.http.post(f"/hooks/standard/{endpoint.endpoint_id}", headers=headers, body=body)
                route_ms.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] += 1
        use_container(None)
        counted = Counter(calls)
        participants = 0
        cursor = None
        while True:
            page = storage.participants.list(tenant.tenant_id, programme.programme_id, limit=500, cursor=cursor)
            participants += len(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        messages = sum(1 for _ in storage.messages.by_state(_pending(), limit=signups * 2))
        return Run(route_ms, statuses, messages, participants, counted)


def _pending() -> Any:
    from chalicelib.domain.message import MessageState

    return MessageState.PENDING


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signups", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "intake.json")
    args = parser.parse_args(argv)
    offline_aws_environment()

    memory = run("memory", args.signups)
    moto = run("moto", args.signups)
    total_calls = sum(moto.dynamodb_calls.values())
    result = {
        "signups": args.signups,
        "memory": {
            "median_route_ms": round(statistics.median(memory.route_ms), 3),
            "p95_route_ms": p95(memory.route_ms),
            "statuses": dict(memory.statuses),
            "participants": memory.participants,
            "messages_queued": memory.messages,
        },
        "moto": {
            "median_route_ms": round(statistics.median(moto.route_ms), 3),
            "statuses": dict(moto.statuses),
            "dynamodb_calls_per_signup": round(total_calls / args.signups, 2),
            "dynamodb_calls_by_operation": dict(moto.dynamodb_calls),
            "participants": moto.participants,
            "messages_queued": moto.messages,
        },
    }
    print(f"intake: {args.signups} signed signups through POST /hooks/standard/{{endpoint}}")
    print(
        f"  in-memory storage: median {result['memory']['median_route_ms']} ms per signup "
        f"(p95 {result['memory']['p95_route_ms']} ms; our code plus the Chalice test client)"
    )
    print(
        f"  moto DynamoDB:     {result['moto']['dynamodb_calls_per_signup']} DynamoDB calls per signup "
        f"{dict(moto.dynamodb_calls)}"
    )
    print(f"  participants onboarded: {moto.participants}, messages queued: {moto.messages}")
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

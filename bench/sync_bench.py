"""HR sync benchmark: a first sync of a large organisation from a fake vendor, then a delta where 1% changed.

``python -m bench.sync_bench [--employees 10000] [--changed 0.01] [--out bench/results/sync.json]``

The vendor is the Merge HRIS fake of the tests (pages of 100 by cursor, ``modified_after``)
on ``responses``; the table is AWS's DynamoDB Local when Java and the jar are there, else
moto. Every DynamoDB call is counted through botocore's event hooks, and every item a
``BatchWriteItem`` carries counts as one write. Printed per run: wall time, vendor
requests, DynamoDB items written by operation, and what the engine reported.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT, offline_aws_environment, write_result

FIRST = ["Ona", "Søren", "Dragana", "Žiga", "Eglė", "Mads", "Milica", "Ana", "Jonas", "Špela"]
LAST = ["Čiurlionytė", "Ærø", "Đorđević", "Šuštar", "Kazlauskienė", "Jørgensen", "Petrović", "Novak"]
DEPARTMENTS = ["Umetnost", "Muzika", "Finansije", "Komunikacije"]


class _Ssm:
    """Stands in for SSM Parameter Store: the bench talks to no AWS service but the table."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get_parameter(self, **_: Any) -> dict[str, Any]:
        return {"Parameter": {"Value": self._value}}


@contextmanager
def _table() -> Iterator[tuple[Any, str]]:
    import boto3

    from chalicelib.storage.table import create_table
    from devtools.dynamodb_local import DynamoDBLocal, find_jar, java_available

    if java_available() and find_jar(ROOT) is not None:
        with DynamoDBLocal() as local:
            client = boto3.client("dynamodb", endpoint_url=local.endpoint_url, region_name="us-east-1")
            create_table(client, "mentorflow-bench")
            yield boto3.resource("dynamodb", endpoint_url=local.endpoint_url, region_name="us-east-1"), "dynamodb-local"
        return
    from moto import mock_aws

    with mock_aws():
        create_table(boto3.client("dynamodb", region_name="us-east-1"), "mentorflow-bench")
        yield boto3.resource("dynamodb", region_name="us-east-1"), "moto"


def _counter(resource: Any) -> tuple[Counter[str], Counter[str]]:
    writes: Counter[str] = Counter()
    calls: Counter[str] = Counter()

    # Parameters as the caller gave them (before serialisation), so a batch's items can be counted.
    def count(event_name: str, params: dict[str, Any], **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        calls[operation] += 1
        if operation == "BatchWriteItem":
            writes[operation] += sum(len(items) for items in params.get("RequestItems", {}).values())
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            writes[operation] += 1

    resource.meta.client.meta.events.register("before-parameter-build.dynamodb.*", count)
    return writes, calls


def run(employees: int, changed_share: float) -> dict[str, Any]:
    import responses

    from chalicelib.clock import FixedClock
    from chalicelib.domain.sync import FieldMap, ScopeRule, SyncConnector
    from chalicelib.notify.outbox import Notifier
    from chalicelib.services import programmes, tenants
    from chalicelib.storage.repositories import dynamo_storage
    from chalicelib.sync import service
    from chalicelib.sync.http import VendorHttp
    from chalicelib.sync.secrets import SecretReader
    from tests.support.hr_vendors import Employee, FakeMerge

    clock = FixedClock(datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
    vendor = FakeMerge()
    vendor.settings = {"page_size": "100"}
    vendor.hire(
        *(
            Employee(n, FIRST[n % len(FIRST)], LAST[n % len(LAST)], f"employee.{n}@example.org", DEPARTMENTS[n % 4])
            for n in range(employees)
        )
    )
    with _table() as (resource, backend):
        storage = dynamo_storage(resource.Table("mentorflow-bench"))
        tenant, _ = tenants.bootstrap_tenant(storage, name="Bench", clock=clock)
        programme = programmes.create_programme(
            storage, tenant_id=tenant.tenant_id, fields={"name": "Onboarding", "languages": ["en", "sr"]}, clock=clock
        )
        connector = storage.connectors.save(
            SyncConnector(
                tenant_id=tenant.tenant_id,
                vendor="merge",
                credentials={"store": "ssm", "name": "/mentorflow/local/merge"},
                settings=vendor.settings,
                mapping=FieldMap.model_validate(vendor.mapping),
                scopes=[ScopeRule(programme_id=programme.programme_id, languages=["en"])],
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        tools = service.SyncTools(http=VendorHttp, secrets=SecretReader(ssm=_Ssm(json.dumps(vendor.credentials))))
        notifier = Notifier(storage.messages, clock)
        writes, calls = _counter(resource)
        results: dict[str, Any] = {"backend": backend, "employees": employees}
        with responses.RequestsMock() as mock:
            vendor.install(mock)
            for label in ("first", "delta"):
                if label == "delta":
                    clock.advance(timedelta(days=1))
                    step = max(1, round(1 / changed_share))
                    for number in range(0, employees, step):
                        vendor.change(number, clock.now(), department=DEPARTMENTS[(number + 1) % 4])
                    results["changed"] = len(range(0, employees, step))
                writes.clear()
                calls.clear()
                served = vendor.served
                started = time.perf_counter()
                figures = service.sync_connector(
                    storage,
                    notifier,
                    clock,
                    tenant_id=tenant.tenant_id,
                    connector_id=connector.connector_id,
                    tools=tools,
                )
                results[label] = {
                    "seconds": round(time.perf_counter() - started, 2),
                    "vendor_requests": vendor.served - served,
                    "dynamodb_items_written": sum(writes.values()),
                    "dynamodb_writes_by_operation": dict(writes),
                    "dynamodb_calls_by_operation": dict(calls),
                    "figures": figures.model_dump(mode="json", exclude={"started_at", "finished_at", "full"}),
                }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sync.json")
    args = parser.parse_args(argv)
    offline_aws_environment()
    result = run(args.employees, args.changed)
    print(f"sync: {args.employees} employees from a fake Merge HRIS, on {result['backend']}")
    for label in ("first", "delta"):
        run_result = result[label]
        figures = run_result["figures"]
        written = run_result["dynamodb_writes_by_operation"]
        print(
            f"  {label:5}: {run_result['seconds']} s, {run_result['vendor_requests']} vendor requests, "
            f"{run_result['dynamodb_items_written']} DynamoDB items written {written}; "
            f"read {figures['read']}, enrolled {figures['enrolled']}, updated {figures['updated']}, "
            f"unchanged {figures['unchanged']}"
        )
    print(f"  changed in the delta: {result['changed']} employees")
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

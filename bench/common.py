"""What the benchmarks share: an offline AWS environment, the storage under test, and how results are kept."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_OFFLINE_AWS = (
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    # The per-request INFO records would drown the figures.
    ("POWERTOOLS_LOG_LEVEL", "WARNING"),
)


def offline_aws_environment() -> None:
    """Fake credentials and no metadata look-ups, so nothing a benchmark runs can reach AWS."""
    for name, value in _OFFLINE_AWS:
        os.environ.setdefault(name, value)


@contextmanager
def bench_storage(kind: str) -> Iterator[tuple[Any, Counter[str]]]:
    """The in-memory fake (``memory``) or DynamoDB on moto (``moto``), with a count of DynamoDB calls by operation."""
    calls: Counter[str] = Counter()
    if kind == "memory":
        from chalicelib.storage.repositories import in_memory_storage

        yield in_memory_storage(), calls
        return
    import boto3
    from moto import mock_aws

    from chalicelib.storage.repositories import dynamo_storage
    from chalicelib.storage.table import create_table

    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        create_table(resource.meta.client, "mentorflow-bench")

        def count(event_name: str, **_: Any) -> None:
            calls[event_name.rsplit(".", 1)[-1]] += 1

        resource.meta.client.meta.events.register("before-call.dynamodb.*", count)
        yield dynamo_storage(resource.Table("mentorflow-bench")), calls


def p95(values: Sequence[float]) -> float:
    return round(sorted(values)[int(0.95 * len(values))], 3)


def write_result(out: Path, result: Any) -> None:
    """Keep a benchmark's figures as JSON and say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"  written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")

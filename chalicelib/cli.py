"""The operator command line: ``python -m chalicelib.cli COMMAND``.

Bootstrap a tenant and its first key, create the table, run a scheduled job now,
list and replay parked webhook deliveries, export or erase a person. It talks to the
DynamoDB the environment names (``MENTORFLOW_TABLE_NAME``, and
``MENTORFLOW_DYNAMODB_ENDPOINT_URL`` for a local one). Secrets are printed once, on
creation, and nothing else personal is printed but by ``export-person``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from chalicelib.container import Container, get_container, use_container
from chalicelib.domain.webhook import DeliveryState
from chalicelib.errors import MentoringError


def _print(out: TextIO, value: Any) -> None:
    out.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mentorflow", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("create-table", help="create the DynamoDB table if it does not exist")

    boot = sub.add_parser("bootstrap", help="create a tenant and its first API key (shown once)")
    boot.add_argument("--name", required=True)

    key = sub.add_parser("create-key", help="create another API key for a tenant (shown once)")
    key.add_argument("--tenant", required=True)
    key.add_argument("--name", required=True)

    sub.add_parser("jobs", help="list the scheduled jobs")
    run = sub.add_parser("run-job", help="run a scheduled job now")
    run.add_argument("name")

    deliveries = sub.add_parser("deliveries", help="list deliveries that need work (default: dead)")
    deliveries.add_argument(
        "--state",
        choices=[s.value for s in (DeliveryState.DEAD, DeliveryState.RETRYING, DeliveryState.NEEDS_ATTENTION)],
        default=DeliveryState.DEAD.value,
    )
    deliveries.add_argument("--limit", type=int, default=100)

    replay = sub.add_parser("replay", help="process a stored delivery again")
    replay.add_argument("--endpoint", required=True)
    replay.add_argument("--delivery", required=True)

    for name, text in (
        ("export-person", "print everything stored about a person"),
        ("erase-person", "delete a person's data"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--tenant", required=True)
        cmd.add_argument("--email", required=True)
        if name == "erase-person":
            cmd.add_argument("--yes", action="store_true", help="confirm the erasure")
    offboard = sub.add_parser("offboard-tenant", help="delete everything of a tenant, its API keys first")
    offboard.add_argument("--tenant", required=True)
    offboard.add_argument("--yes", action="store_true", help="confirm the deletion")
    return parser


def run(argv: Sequence[str], container: Container, out: TextIO) -> int:
    args = build_parser().parse_args(argv)
    from chalicelib import jobs
    from chalicelib.services import inbox, privacy, tenants

    storage = container.storage
    if args.command == "create-table":
        from chalicelib.storage.table import create_table

        create_table(container.dynamodb_resource().meta.client, container.settings.table_name)
        _print(out, {"table": container.settings.table_name})
    elif args.command == "bootstrap":
        tenant, issued = tenants.bootstrap_tenant(storage, name=args.name, clock=container.clock)
        _print(out, {"tenant_id": tenant.tenant_id, "key_id": issued.key.key_id, "api_key": issued.secret})
    elif args.command == "create-key":
        if storage.tenants.get(args.tenant) is None:
            raise MentoringError("no such tenant")
        issued = tenants.create_key(storage, tenant_id=args.tenant, name=args.name, clock=container.clock)
        _print(out, {"key_id": issued.key.key_id, "api_key": issued.secret})
    elif args.command == "jobs":
        _print(
            out,
            {
                job.name: {"schedule": job.schedule.expression(), "description": job.description}
                for job in jobs.JOBS.values()
            },
        )
    elif args.command == "run-job":
        if args.name not in jobs.JOBS:
            out.write(f"unknown job {args.name!r}; known: {', '.join(sorted(jobs.JOBS))}\n")
            return 2
        _print(out, jobs.run_job(args.name, container))
    elif args.command == "deliveries":
        found = storage.deliveries.by_state(DeliveryState(args.state), limit=args.limit)
        _print(
            out,
            [
                {
                    "endpoint_id": d.endpoint_id,
                    "delivery_id": d.delivery_id,
                    "tenant_id": d.tenant_id,
                    "source": d.source,
                    "state": d.state.value,
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                    "received_at": d.received_at,
                }
                for d in found
            ],
        )
    elif args.command == "replay":
        endpoint = storage.endpoints.get(args.endpoint)
        if endpoint is None:
            raise MentoringError("no such webhook endpoint")
        delivery = inbox.replay(
            endpoint=endpoint,
            delivery_id=args.delivery,
            specs=container.sources,
            ctx=container.processing,
            policy=container.inbox_policy,
        )
        _print(
            out,
            {
                "delivery_id": delivery.delivery_id,
                "state": delivery.state.value,
                "attempts": delivery.attempts,
                "last_error": delivery.last_error,
            },
        )
    elif args.command == "export-person":
        _print(out, privacy.export_person(storage, tenant_id=args.tenant, email=args.email))
    elif args.command == "erase-person":
        if not args.yes:
            out.write("erasure cannot be undone; add --yes to confirm\n")
            return 2
        erasure = privacy.erase_person(
            storage, container.notifier, container.clock, tenant_id=args.tenant, email=args.email, erased_by="cli"
        )
        _print(out, privacy.erasure_summary(erasure))
    elif args.command == "offboard-tenant":
        if not args.yes:
            out.write("off-boarding deletes every item of the tenant and cannot be undone; add --yes to confirm\n")
            return 2
        deleted = tenants.offboard_tenant(storage, tenant_id=args.tenant)
        _print(out, {"tenant_id": args.tenant, "deleted_items": deleted})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    container = get_container()
    use_container(container)
    try:
        return run(list(sys.argv[1:] if argv is None else argv), container, sys.stdout)
    except MentoringError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())

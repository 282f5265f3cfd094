"""The operator command line: ``python -m chalicelib.cli COMMAND``.

Bootstrap a tenant and its first key, create the table, run a scheduled job now,
list and replay parked webhook deliveries, export or erase a person. It talks to the
DynamoDB the environment names (``MENTORFLOW_TABLE_NAME``, and
``MENTORFLOW_DYNAMODB_ENDPOINT_URL`` for a local one). Without those, it uses the
running local stack's settings from its stack file (``.data/stack.json``, written by
``devtools.local_stack``), so a job run by hand behaves as the stack's own scheduler
does; and with neither it refuses to send e-mail through SES from a local stage. Secrets are printed once, on
creation, and nothing else personal is printed but by ``export-person``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from chalicelib.container import Container, use_container
from chalicelib.domain.webhook import DeliveryState
from chalicelib.errors import MentoringError
from chalicelib.settings import Settings

STACK_FILE_ENV = "MENTORFLOW_STACK_FILE"
_DEFAULT_STACK_FILE = Path(__file__).resolve().parents[1] / ".data" / "stack.json"
_SENDING_JOBS = frozenset({"send-messages"})


def local_stack_settings(path: Path) -> dict[str, str]:
    """The ``MENTORFLOW_*`` settings a running local stack wrote to ``path``; empty when there is none."""
    try:
        written = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    values = written.get("settings") if isinstance(written, dict) else None
    if not isinstance(values, dict):
        return {}
    return {str(k): str(v) for k, v in values.items() if str(k).startswith("MENTORFLOW_")}


def settings_for_cli(env: Mapping[str, str]) -> Settings:
    """The environment's settings; where it names no table, the local stack's (its file wins over defaults)."""
    merged = dict(env)
    if "MENTORFLOW_TABLE_NAME" not in env:
        stack_file = Path(env.get(STACK_FILE_ENV) or _DEFAULT_STACK_FILE)
        merged = {**local_stack_settings(stack_file), **env}
    return Settings.from_env(merged)


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

    sending = sub.add_parser("set-sending", help="a tenant's From address (a verified SES identity) and send rate")
    sending.add_argument("--tenant", required=True)
    sending.add_argument("--sender", help="the From address; verify it in SES first")
    sending.add_argument("--rate", type=float, help="messages per second, within the account's SES send rate")

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
    keep = sub.add_parser("set-retention", help="days a tenant's parked submissions and archived people are kept")
    keep.add_argument("--tenant", required=True)
    keep.add_argument("--days", required=True, type=int)
    archive = sub.add_parser("archive-programme", help="stop a programme's signups, close its pairs, scrub it later")
    archive.add_argument("--tenant", required=True)
    archive.add_argument("--programme", required=True)
    archive.add_argument("--yes", action="store_true", help="confirm the archiving")
    backfill = sub.add_parser("backfill-pair-health", help="give pairs started before meeting health their health")
    backfill.add_argument("--tenant", required=True)
    backfill.add_argument("--programme", required=True)
    offboard = sub.add_parser("offboard-tenant", help="delete everything of a tenant, its API keys first")
    offboard.add_argument("--tenant", required=True)
    offboard.add_argument("--yes", action="store_true", help="confirm the deletion")
    return parser


def run(argv: Sequence[str], container: Container, out: TextIO, *, refuse_local_ses: bool = False) -> int:
    """Run one command; ``refuse_local_ses`` guards a real operator's shell (tests bring their own channel)."""
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
    elif args.command == "set-sending":
        from chalicelib.services.sending import configure_sending

        # The local stage never sends through SES, so there is no identity to check there.
        local = container.settings.stage == "local"
        tenant = configure_sending(
            storage,
            tenant_id=args.tenant,
            sender_email=args.sender,
            send_rate_per_second=args.rate,
            sender_check=None if local else getattr(container.channel, "identity_verified", None),
        )
        _print(
            out,
            {"tenant_id": tenant.tenant_id, "sender_email": tenant.sender_email, "rate": tenant.send_rate_per_second},
        )
    elif args.command == "set-retention":
        tenant = tenants.set_retention(storage, tenant_id=args.tenant, retention_days=args.days)
        _print(out, {"tenant_id": tenant.tenant_id, "retention_days": tenant.retention_days})
    elif args.command == "archive-programme":
        if not args.yes:
            out.write("archiving closes every pair of the programme; add --yes to confirm\n")
            return 2
        from chalicelib.services.archiving import archive_programme

        archived = archive_programme(
            storage,
            container.notifier,
            container.clock,
            tenant_id=args.tenant,
            programme_id=args.programme,
            archived_by="operator",
            default_retention=timedelta(days=container.settings.attention_retention_days),
        )
        _print(out, archived.model_dump(mode="json", exclude={"version"}))
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
        settings = container.settings
        local_ses = settings.stage == "local" and settings.email_channel == "ses"
        if refuse_local_ses and local_ses and args.name in _SENDING_JOBS:
            out.write(
                "refusing to send e-mail through SES from the local stage: start the local stack (make run), "
                "or set MENTORFLOW_STAGE and MENTORFLOW_TABLE_NAME for a deployed one\n"
            )
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
        held = privacy.export_person(
            storage, tenant_id=args.tenant, email=args.email, erasure_key=container.erasure_key
        )
        _print(out, held)
    elif args.command == "erase-person":
        from chalicelib.calendars.renewal import stop_watch

        if not args.yes:
            out.write("erasure cannot be undone; add --yes to confirm\n")
            return 2
        erasure = privacy.erase_person(
            storage,
            container.notifier,
            container.clock,
            tenant_id=args.tenant,
            email=args.email,
            erased_by="cli",
            erasure_key=container.erasure_key,
            stop_watch=lambda connection: stop_watch(connection, container.calendar_apis, container.clock),
        )
        _print(out, privacy.erasure_summary(erasure))
    elif args.command == "backfill-pair-health":
        from chalicelib.services.health_backfill import backfill_pair_health

        counts = backfill_pair_health(
            storage=storage, clock=container.clock, tenant_id=args.tenant, programme_id=args.programme
        )
        _print(out, counts)
    elif args.command == "offboard-tenant":
        if not args.yes:
            out.write("off-boarding deletes every item of the tenant and cannot be undone; add --yes to confirm\n")
            return 2
        deleted = tenants.offboard_tenant(storage, tenant_id=args.tenant)
        _print(out, {"tenant_id": args.tenant, "deleted_items": deleted})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    container = Container(settings=settings_for_cli(os.environ))
    use_container(container)
    try:
        return run(list(sys.argv[1:] if argv is None else argv), container, sys.stdout, refuse_local_ses=True)
    except MentoringError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())

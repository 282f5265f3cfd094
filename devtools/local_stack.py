"""Run mentorflow on one machine: DynamoDB, the HTTP API, the scheduled jobs and a demo tenant.

``python -m devtools.local_stack [--port 8000] [--data-dir .data] [--smoke]`` (``make run``):

1. starts AWS's DynamoDB Local (from the npm package installed by ``make setup``) with its
   data under ``<data-dir>/dynamodb``; without Java or the jar it falls back to moto's
   server, in memory, and says so;
2. creates the ``mentorflow-local`` table and, once, a demo tenant with five programmes
   (``devtools.demo``), remembered in ``<data-dir>/demo.json`` so that a re-run reuses it;
3. serves the API with ``chalice local`` as a child process, pointed at that database,
   with e-mails written as files to ``<data-dir>/outbox``;
4. runs every job of ``chalicelib.jobs.JOBS`` in a thread (``devtools.scheduler``), since
   ``chalice local`` serves routes only.

Ctrl-C or SIGTERM stops all of it. ``--smoke`` starts everything, checks that the
OpenAPI document and the demo's programme list answer, stops, and exits 0 or 1.
Everything listens on, and every request goes to, 127.0.0.1; the AWS credentials are
dummies, whatever the caller's environment holds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from devtools.demo import DemoInfo, seed_demo, still_stored, with_base_url
from devtools.dynamodb_local import DynamoDBLocal, find_jar, java_available
from devtools.scheduler import JobOutcome, LocalScheduler

REPO_ROOT = Path(__file__).resolve().parents[1]
TABLE_NAME = "mentorflow-local"
HOST = "127.0.0.1"
DEFAULT_PORT = 8000
API_START_TIMEOUT_SECONDS = 90.0
REQUEST_TIMEOUT_SECONDS = 30.0
SCHEDULER_JOIN_SECONDS = 15.0

# DynamoDB Local keeps one database file per access key id and region (without -sharedDb):
# this process and the API must present the same ones to see the same tables.
LOCAL_AWS_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
# A profile in the environment would take precedence over the keys above (and could be real).
_AWS_ENV_TO_DROP = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ENDPOINT_URL",
                    "AWS_ENDPOINT_URL_DYNAMODB")

logger = logging.getLogger("devtools.local_stack")


class StopRequested(BaseException):
    """Raised in the main thread by SIGTERM/SIGHUP, like KeyboardInterrupt is by SIGINT."""


class StartupFailed(Exception):
    """A part of the stack could not start; the message says which and why."""


def say(message: str = "") -> None:
    print(message, flush=True)


@dataclass(frozen=True)
class Database:
    endpoint_url: str
    description: str
    persistent: bool


@dataclass(frozen=True)
class StackPaths:
    data_dir: Path

    @property
    def dynamodb(self) -> Path:
        return self.data_dir / "dynamodb"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def demo(self) -> Path:
        return self.data_dir / "demo.json"

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def stack_file(self) -> Path:
        """What the CLI reads to reach this stack (``chalicelib.cli``): written at start, removed at stop."""
        return self.data_dir / "stack.json"

    def link_keys(self) -> str:
        """This machine's key for one-click links, made on the first run and kept, so sent links keep working."""
        path = self.data_dir / "link-keys"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()


def write_stack_file(path: Path, settings: Mapping[str, str]) -> None:
    """Tell the operator CLI where this stack's table and outbox are, so its jobs never reach AWS."""
    path.write_text(json.dumps({"settings": dict(settings)}, indent=2) + "\n", encoding="utf-8")
    # It holds the stack's link key.
    path.chmod(0o600)


def local_aws_environment(base: Mapping[str, str]) -> dict[str, str]:
    env = {key: value for key, value in base.items() if key not in _AWS_ENV_TO_DROP}
    env.update(LOCAL_AWS_ENV)
    return env


def start_database(stack: ExitStack, paths: StackPaths) -> Database:
    """DynamoDB Local with data on disk when it can run here, else moto's server in memory."""
    jar = find_jar(REPO_ROOT)
    if jar is not None and java_available():
        paths.logs.mkdir(parents=True, exist_ok=True)
        server = DynamoDBLocal(db_path=paths.dynamodb, jar=jar, log_path=paths.logs / "dynamodb-local.log")
        try:
            endpoint = server.start()
        except (RuntimeError, FileNotFoundError) as exc:
            raise StartupFailed(f"DynamoDB Local did not start: {exc}") from exc
        stack.callback(server.stop)
        return Database(endpoint, f"DynamoDB Local ({jar.parent.name}), data in {paths.dynamodb}", True)
    reason = "the DynamoDB Local jar is not installed (run `make setup`)" if jar is None else "Java is not available"
    say(f"NOTE: {reason}; falling back to moto's DynamoDB server, in memory.")
    say("      Data is lost when the stack stops, and moto accepts some requests real DynamoDB rejects.")
    return _start_moto(stack)


def _start_moto(stack: ExitStack) -> Database:
    from moto.server import ThreadedMotoServer

    # The request log of moto's embedded server would drown the stack's own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=HOST, port=_free_port(), verbose=False)
    server.start()
    stack.callback(server.stop)
    _host, port = server.get_host_and_port()
    return Database(f"http://{HOST}:{port}", "moto server (in memory, not kept)", False)


def create_local_table(endpoint_url: str) -> None:
    import boto3

    from chalicelib.storage.table import create_table

    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=LOCAL_AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=LOCAL_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    create_table(client, TABLE_NAME)


def make_container(database: Database, paths: StackPaths, base_url: str) -> Any:
    from chalicelib.container import Container
    from chalicelib.settings import Settings

    settings = Settings(
        stage="local",
        table_name=TABLE_NAME,
        aws_region=LOCAL_AWS_ENV["AWS_DEFAULT_REGION"],
        dynamodb_endpoint_url=database.endpoint_url,
        public_base_url=base_url,
        email_channel="file",
        outbox_dir=str(paths.outbox),
        link_keys=paths.link_keys(),
    )
    return Container(settings=settings)


def ensure_demo(storage: Any, database: Database, paths: StackPaths, base_url: str) -> tuple[DemoInfo, bool]:
    """The demo tenant: reused when ``demo.json`` matches the database, else seeded. True if seeded now."""
    from chalicelib.clock import SystemClock

    if database.persistent:
        saved = DemoInfo.load(paths.demo)
        if saved is not None and still_stored(storage, saved):
            return with_base_url(storage, saved, base_url), False
    demo = seed_demo(storage, SystemClock(), base_url)
    # An in-memory database is seeded afresh on every run: its ids would only mislead the next one.
    if database.persistent:
        demo.save(paths.demo)
    return demo, True


def print_demo(demo: DemoInfo, *, seeded: bool, persistent: bool, base_url: str, paths: StackPaths) -> None:
    if not seeded:
        origin = f"reused from {paths.demo}"
    elif persistent:
        origin = f"created now, kept in {paths.demo}"
    else:
        origin = "created now (the in-memory database is seeded afresh on every run)"
    say()
    say(f"Demo tenant: {demo.tenant_name} ({demo.tenant_id}), {origin}")
    say(f"API key:     {demo.api_key}")
    say()
    say("List the demo programmes:")
    say(f'  curl -s -H "Authorization: Bearer {demo.api_key}" {base_url}/api/v1/programmes')
    say()
    say("Webhook endpoints (URL, then signing secret):")
    for programme in demo.programmes:
        say(f"  {programme.name} [{programme.kind}, {programme.language}, {programme.participants} applicants]")
        for endpoint in programme.endpoints:
            say(f"    {endpoint.source:<13} {endpoint.url}")
            say(f"    {'':<13} secret: {endpoint.secret}")
    say()


class ApiServer:
    """``chalice local`` as a child process in its own session, so a terminal's Ctrl-C reaches only us."""

    def __init__(self, port: int, env: Mapping[str, str], log_path: Path | None) -> None:
        self.port = port
        self._env = dict(env)
        self._log_path = log_path
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-c",
            # The access log would hold webhook tokens from query strings; it is written without them.
            "import sys; from devtools.access_log import redact_access_log; redact_access_log(); "
            "from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())",
            "local",
            "--no-autoreload",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--stage",
            "local",
        ]
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self._log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            command,
            cwd=REPO_ROOT,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log is not None else None,
            start_new_session=True,
        )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + API_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise StartupFailed(f"chalice local exited with code {code} while starting{self._log_hint()}")
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.settimeout(1)
                if probe.connect_ex((HOST, self.port)) == 0:
                    return
            time.sleep(0.2)
        raise StartupFailed(
            f"chalice local did not listen on port {self.port} within {API_START_TIMEOUT_SECONDS:g} s"
            + self._log_hint()
        )

    def _log_hint(self) -> str:
        return f"; its output is in {self._log_path}" if self._log_path is not None else ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            # The whole session: nothing chalice local might have started is left behind.
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start_scheduler(stack: ExitStack, container: Any) -> LocalScheduler:
    from chalicelib.container import use_container
    from chalicelib.jobs import JOBS, run_job
    from chalicelib.logging import get_logger

    use_container(container)
    # The scheduler prints one line per job run; the jobs' own JSON log lines would repeat it.
    get_logger().setLevel(logging.WARNING)
    scheduler = LocalScheduler(
        JOBS, run=lambda name: run_job(name, container), on_outcome=_print_outcome
    )
    stop_event = threading.Event()
    thread = threading.Thread(
        target=scheduler.run_forever, args=(stop_event,), name="local-scheduler", daemon=True
    )
    thread.start()

    def stop() -> None:
        stop_event.set()
        thread.join(SCHEDULER_JOIN_SECONDS)
        if thread.is_alive():
            say("NOTE: a scheduled job was still running when the stack stopped.")
        use_container(None)

    stack.callback(stop)
    return scheduler


def _print_outcome(outcome: JobOutcome) -> None:
    say(f"[scheduler] {outcome.describe()}")


def http_get(port: int, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def smoke_check(port: int, demo: DemoInfo) -> list[str]:
    """Problems found by calling the running API (empty when it works); bodies are never shown."""
    problems: list[str] = []
    status, body = http_get(port, "/api/v1/openapi.json")
    say(f"smoke: GET /api/v1/openapi.json -> {status}")
    if status != 200:
        problems.append(f"GET /api/v1/openapi.json answered {status}, not 200")
    else:
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if not isinstance(document, dict) or "paths" not in document:
            problems.append("GET /api/v1/openapi.json did not return an OpenAPI document")
    status, body = http_get(port, "/api/v1/programmes", {"Authorization": f"Bearer {demo.api_key}"})
    expected = {p.programme_id for p in demo.programmes}
    listed = _listed_programme_ids(body) if status == 200 else set()
    say(f"smoke: GET /api/v1/programmes -> {status}, {len(expected & listed)} of {len(expected)} demo programmes")
    if status != 200:
        problems.append(f"GET /api/v1/programmes answered {status}, not 200")
    elif not expected <= listed:
        problems.append(f"GET /api/v1/programmes listed {len(expected & listed)} of the {len(expected)} programmes")
    return problems


def _listed_programme_ids(body: bytes) -> set[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return set()
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return set()
    return {str(item["programme_id"]) for item in items if isinstance(item, dict) and "programme_id" in item}


def _import_app_jobs() -> None:
    # Feature modules register their jobs when app.py imports them; the scheduler must see them all.
    try:
        __import__("app")
    except Exception as exc:
        say(f"NOTE: app.py does not import ({type(exc).__name__}: {exc}); scheduling the built-in jobs only.")


def run(args: argparse.Namespace, stack: ExitStack) -> int:
    paths = StackPaths(Path(args.data_dir).resolve())
    if not port_is_free(args.port):
        raise StartupFailed(f"port {args.port} on {HOST} is in use; pass --port to choose another")
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    paths.outbox.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{HOST}:{args.port}"

    database = start_database(stack, paths)
    say(f"DynamoDB:  {database.description} at {database.endpoint_url}")
    create_local_table(database.endpoint_url)
    say(f"Table:     {TABLE_NAME}")

    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    container = make_container(database, paths, base_url)
    demo, seeded = ensure_demo(container.storage, database, paths, base_url)

    settings = {
        "MENTORFLOW_STAGE": "local",
        "MENTORFLOW_TABLE_NAME": TABLE_NAME,
        "MENTORFLOW_DYNAMODB_ENDPOINT_URL": database.endpoint_url,
        "MENTORFLOW_EMAIL_CHANNEL": "file",
        "MENTORFLOW_OUTBOX_DIR": str(paths.outbox),
        "MENTORFLOW_PUBLIC_BASE_URL": base_url,
        "MENTORFLOW_LINK_KEYS": paths.link_keys(),
    }
    write_stack_file(paths.stack_file, settings)
    stack.callback(paths.stack_file.unlink, missing_ok=True)
    env = local_aws_environment(os.environ)
    env.update({**settings, "PYTHONUNBUFFERED": "1"})
    api = ApiServer(args.port, env, paths.logs / "chalice-local.log" if args.smoke else None)
    stack.callback(api.stop)
    api.start()
    say(f"API:       {api.base_url} (chalice local, stage local)")
    say(f"Outbox:    {paths.outbox} (e-mails are written here as files)")
    say(f"CLI:       .venv/bin/python -m chalicelib.cli run-job send-messages (finds {paths.stack_file})")

    _import_app_jobs()
    scheduler = start_scheduler(stack, container)
    say(f"Scheduler: {', '.join(scheduler.job_names) or 'no jobs'} (each once now, then at its rate)")
    print_demo(demo, seeded=seeded, persistent=database.persistent, base_url=api.base_url, paths=paths)

    if args.smoke:
        problems = smoke_check(args.port, demo)
        for problem in problems:
            say(f"smoke FAILED: {problem}")
        if problems:
            say(f"chalice local's output is in {paths.logs / 'chalice-local.log'}")
            return 1
        say("smoke OK")
        return 0

    say("Running. Press Ctrl-C to stop.")
    assert api.process is not None
    code = api.process.wait()
    say(f"chalice local exited with code {code}; stopping the stack.")
    return code or 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.local_stack", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port of the API on 127.0.0.1")
    parser.add_argument(
        "--data-dir", default=str(REPO_ROOT / ".data"), help="where the database, outbox and demo.json live"
    )
    parser.add_argument("--smoke", action="store_true", help="start, check the API answers, stop")
    return parser.parse_args(argv)


@dataclass
class _Signals:
    previous: dict[signal.Signals, Any]

    @classmethod
    def install(cls) -> _Signals:
        def request_stop(signum: int, frame: object) -> None:
            raise StopRequested(signal.Signals(signum).name)

        previous: dict[signal.Signals, Any] = {}
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, request_stop)
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
        return cls(previous)

    def ignore(self) -> None:
        for signum in self.previous:
            signal.signal(signum, signal.SIG_IGN)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("[%(name)s] %(message)s"))
    devtools_logger = logging.getLogger("devtools")
    devtools_logger.addHandler(handler)
    devtools_logger.setLevel(logging.INFO)
    devtools_logger.propagate = False


def main(argv: list[str] | None = None, *, install_signals: bool = True) -> int:
    args = parse_args(argv)
    _configure_logging()
    for key in _AWS_ENV_TO_DROP:
        os.environ.pop(key, None)
    os.environ.update(LOCAL_AWS_ENV)
    signals = _Signals.install() if install_signals else None
    stack = ExitStack()
    try:
        return run(args, stack)
    except (KeyboardInterrupt, StopRequested):
        say("\nStopping.")
        return 0
    except StartupFailed as exc:
        say(f"ERROR: {exc}")
        return 1
    finally:
        if signals is not None:
            signals.ignore()
        stack.close()
        if signals is not None:
            signals.restore()
        say("Stopped.")


if __name__ == "__main__":
    sys.exit(main())

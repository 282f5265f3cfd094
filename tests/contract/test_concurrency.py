"""Contract of optimistic concurrency under real contention: no update is ever lost."""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from chalicelib.errors import VersionConflict
from tests.support.builders import participant

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.storage.repositories import Storage
    from tests.contract.conftest import Backend

INCREMENTS_PER_WRITER = 15
WRITERS = 2


@contextmanager
def _frequent_thread_switches() -> Iterator[None]:
    # The in-memory fake never waits on I/O, so with the default 5 ms switch interval one
    # writer would finish before the other starts and nothing would contend.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _increment_priority(storage: Storage, times: int, start: threading.Barrier, conflicts: list[int]) -> None:
    start.wait()
    for _ in range(times):
        while True:
            current = storage.participants.get("ten_a", "prg_1", "par_1")
            assert current is not None
            current.priority += 1
            try:
                storage.participants.save(current)
                break
            except VersionConflict:
                conflicts.append(1)


def test_concurrent_read_modify_save_loses_no_increment(backend: Backend) -> None:
    if backend.name == "moto":
        pytest.skip(
            "moto evaluates a ConditionExpression and writes the item without a lock, so concurrent "
            "conditional puts can both succeed in moto itself (moto 5.2.5, dynamodb/models/table.py put_item)"
        )
    # GIVEN a participant at priority 0, and two writers each with their own connection
    backend.storage.participants.save(participant("ten_a", "prg_1", "par_1"))
    start = threading.Barrier(WRITERS)
    conflicts: list[int] = []
    writers = [
        threading.Thread(
            target=_increment_priority, args=(backend.connect(), INCREMENTS_PER_WRITER, start, conflicts)
        )
        for _ in range(WRITERS)
    ]

    # WHEN both raise its priority at the same time, re-reading and retrying on a version conflict
    with _frequent_thread_switches():
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=60)

    # THEN every increment is in the stored record, and its version counts every write
    assert not any(writer.is_alive() for writer in writers)
    stored = backend.storage.participants.get("ten_a", "prg_1", "par_1")
    assert stored is not None
    assert stored.priority == WRITERS * INCREMENTS_PER_WRITER
    assert stored.version == 1 + WRITERS * INCREMENTS_PER_WRITER

"""Contract of used single-use links: a link's first use is recorded once, even under contention."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.links import UsedLink

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage
    from tests.contract.conftest import Backend

USED_AT = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def _used(link_id: str = "lnk_1") -> UsedLink:
    return UsedLink(
        link_id=link_id,
        tenant_id="ten_a",
        programme_id="prg_1",
        action="approve-pair",
        subject_id="pair_1",
        used_at=USED_AT,
        expires_at=USED_AT + timedelta(days=15),
    )


def test_the_first_use_of_a_link_is_recorded_and_a_second_is_refused(backend: Backend) -> None:
    # WHEN the same link is used twice
    first = backend.storage.used_links.add(_used())
    second = backend.storage.used_links.add(_used())

    # THEN only the first counts, and the record is there to read
    assert (first, second) == (True, False)
    stored = backend.storage.used_links.get("lnk_1")
    assert stored is not None
    assert stored.subject_id == "pair_1"
    assert backend.storage.used_links.get("lnk_unused") is None


def test_of_many_clicks_at_the_same_instant_exactly_one_uses_the_link(backend: Backend) -> None:
    if backend.name == "moto":
        pytest.skip("moto's conditional writes are not atomic across threads; DynamoDB Local checks this")
    # GIVEN eight clients, each with its own connection, ready to use the same link
    clients = 8
    start = threading.Barrier(clients)
    wins: list[bool] = []

    def click(storage: Storage) -> None:
        start.wait()
        wins.append(storage.used_links.add(_used("lnk_contended")))

    threads = [threading.Thread(target=click, args=(backend.connect(),)) for _ in range(clients)]

    # WHEN they all use it at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # THEN exactly one of them did
    assert sorted(wins) == [False] * (clients - 1) + [True]

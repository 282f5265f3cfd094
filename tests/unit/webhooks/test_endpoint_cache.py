"""Specification of the endpoint cache a warm process keeps for webhook requests."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.container import Container
from chalicelib.settings import Settings
from chalicelib.storage.endpoints import CachedEndpoints, InMemoryEndpoints
from tests.support.builders import endpoint


class Stopwatch:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def _cached() -> tuple[CachedEndpoints, InMemoryEndpoints, Stopwatch]:
    stored, stopwatch = InMemoryEndpoints(), Stopwatch()
    return CachedEndpoints(stored, ttl=timedelta(seconds=30), monotonic=stopwatch), stored, stopwatch


def test_an_endpoint_changed_in_another_process_is_seen_once_the_time_to_live_has_passed() -> None:
    # GIVEN an endpoint read recently, then described anew by another process
    cache, stored, stopwatch = _cached()
    first = stored.save(endpoint("ten_a", "ep_1", description="Prijava mentija"))
    assert cache.recent("ep_1") is not None
    stored.save(first.model_copy(update={"description": "Registracija"}))

    # WHEN it is read again within the time to live, and after it
    stopwatch.seconds += 29
    within = cache.recent("ep_1")
    stopwatch.seconds += 2
    after = cache.recent("ep_1")

    # THEN the first answer is what was read, the second what is stored
    assert within is not None
    assert after is not None
    assert (within.description, after.description) == ("Prijava mentija", "Registracija")


def test_an_endpoint_deleted_or_changed_through_the_cache_is_forgotten_at_once() -> None:
    # GIVEN two endpoints read recently
    cache, stored, _ = _cached()
    kept = stored.save(endpoint("ten_a", "ep_1", description="Prijava mentija"))
    gone = stored.save(endpoint("ten_a", "ep_2"))
    assert cache.recent("ep_1") is not None
    assert cache.recent("ep_2") is not None

    # WHEN one is changed and the other deleted through the cache
    cache.save(kept.model_copy(update={"description": "Registracija"}))
    cache.delete(gone)

    # THEN the next reads see the change and the deletion
    changed = cache.recent("ep_1")
    assert changed is not None
    assert changed.description == "Registracija"
    assert cache.recent("ep_2") is None


def test_an_endpoint_not_found_is_not_remembered_so_a_new_url_works_at_once() -> None:
    # GIVEN a webhook for an endpoint that does not exist yet
    cache, stored, _ = _cached()
    assert cache.recent("ep_1") is None

    # WHEN it is created by another process
    stored.save(endpoint("ten_a", "ep_1"))

    # THEN the next webhook finds it
    assert cache.recent("ep_1") is not None


def test_a_change_to_a_returned_endpoint_changes_nothing_cached() -> None:
    # GIVEN an endpoint read through the cache and changed in hand
    cache, stored, _ = _cached()
    stored.save(endpoint("ten_a", "ep_1", description="Prijava mentija"))
    in_hand = cache.recent("ep_1")
    assert in_hand is not None
    in_hand.description = "Izmijenjeno"

    # WHEN it is read again
    again = cache.recent("ep_1")

    # THEN the cache still holds what was stored
    assert again is not None
    assert again.description == "Prijava mentija"


def test_the_deployed_container_reads_endpoints_through_the_cache() -> None:
    # GIVEN the container a Lambda builds for itself
    container = Container(settings=Settings(table_name="mentorflow-cache-test"), _dynamodb_resource=_Resource())

    # WHEN its storage is built
    storage = container.storage

    # THEN endpoints go through one cache for the life of the process
    assert isinstance(storage.endpoints, CachedEndpoints)
    assert container.storage.endpoints is storage.endpoints


class _Resource:
    """Stands in for the boto3 resource: building storage only names the table."""

    def Table(self, name: str) -> object:
        return object()

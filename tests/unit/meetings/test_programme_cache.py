"""Specification of the programme cache a warm process keeps for meeting notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.storage.batch import begin
from chalicelib.storage.programmes import CachedProgrammes, InMemoryProgrammes, ProgrammeRepository
from chalicelib.storage.repositories import dynamo_storage
from tests.integration.tables import moto_table
from tests.support.builders import programme

TENANT, PROGRAMME = "ten_a", "prg_1"


class Stopwatch:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def cached() -> tuple[CachedProgrammes, InMemoryProgrammes, Stopwatch]:
    stored, stopwatch = InMemoryProgrammes(), Stopwatch()
    return CachedProgrammes(stored, ttl=timedelta(seconds=30), monotonic=stopwatch), stored, stopwatch


def test_a_programme_changed_in_another_process_is_seen_once_the_time_to_live_has_passed(
    cached: tuple[CachedProgrammes, InMemoryProgrammes, Stopwatch],
) -> None:
    # GIVEN a programme read recently, then given another cadence by another process
    cache, stored, stopwatch = cached
    first = stored.save(programme(TENANT, PROGRAMME, meeting_cadence_days=14))
    assert cache.recent(TENANT, PROGRAMME) is not None
    stored.save(first.model_copy(update={"meeting_cadence_days": 7}))

    # WHEN it is read again within the time to live, and after it
    stopwatch.seconds += 29
    within = cache.recent(TENANT, PROGRAMME)
    stopwatch.seconds += 2
    after = cache.recent(TENANT, PROGRAMME)

    # THEN the first answer is what was read, the second what is stored
    assert within is not None
    assert after is not None
    assert (within.meeting_cadence_days, after.meeting_cadence_days) == (14, 7)


def test_a_programme_saved_through_the_cache_is_read_afresh_at_once(
    cached: tuple[CachedProgrammes, InMemoryProgrammes, Stopwatch],
) -> None:
    # GIVEN a programme read recently
    cache, stored, _ = cached
    first = stored.save(programme(TENANT, PROGRAMME, meeting_cadence_days=14))
    assert cache.recent(TENANT, PROGRAMME) is not None

    # WHEN this process changes its cadence
    cache.save(first.model_copy(update={"meeting_cadence_days": 7}))

    # THEN the next recent read sees the change
    again = cache.recent(TENANT, PROGRAMME)
    assert again is not None
    assert again.meeting_cadence_days == 7


def test_a_missing_programme_is_not_remembered_so_one_created_a_moment_later_is_found(
    cached: tuple[CachedProgrammes, InMemoryProgrammes, Stopwatch],
) -> None:
    # GIVEN a programme looked for before it existed
    cache, stored, _ = cached
    assert cache.recent(TENANT, PROGRAMME) is None

    # WHEN it is created by another process
    stored.save(programme(TENANT, PROGRAMME))

    # THEN it is found at once
    assert cache.recent(TENANT, PROGRAMME) is not None


def test_a_changed_copy_of_a_cached_programme_does_not_change_the_cache(
    cached: tuple[CachedProgrammes, InMemoryProgrammes, Stopwatch],
) -> None:
    # GIVEN a programme read recently
    cache, stored, _ = cached
    stored.save(programme(TENANT, PROGRAMME, meeting_cadence_days=14))
    read = cache.recent(TENANT, PROGRAMME)
    assert read is not None

    # WHEN the caller changes what it was given
    read.meeting_cadence_days = 3

    # THEN the cache still answers with what is stored
    again = cache.recent(TENANT, PROGRAMME)
    assert again is not None
    assert again.meeting_cadence_days == 14


def _change_cadence(programmes: ProgrammeRepository, days: int) -> None:
    read = programmes.get(TENANT, PROGRAMME)
    assert read is not None
    programmes.save(read.model_copy(update={"meeting_cadence_days": days}))


def test_a_unit_of_work_keeps_the_cache_and_reads_and_writes_programmes_through_the_unit() -> None:
    # GIVEN a warm process's storage on DynamoDB whose cache holds a programme
    with moto_table() as table:
        storage = dynamo_storage(table)
        storage.programmes = CachedProgrammes(storage.programmes)
        storage.programmes.save(programme(TENANT, PROGRAMME, meeting_cadence_days=14))
        assert storage.programmes.recent(TENANT, PROGRAMME) is not None

        # WHEN a unit of work changes the programme and is discarded, and another changes it and commits
        discarded = begin(storage)
        _change_cadence(discarded.storage.programmes, 3)
        discarded.discard()
        committed = begin(storage)
        _change_cadence(committed.storage.programmes, 7)
        kept_until_commit = dynamo_storage(table).programmes.get(TENANT, PROGRAMME)
        committed.commit()

        # THEN only the committed change is stored, after its commit, and the process's cache sees it
        assert isinstance(committed.storage.programmes, CachedProgrammes)
        assert kept_until_commit is not None
        assert kept_until_commit.meeting_cadence_days == 14
        stored = dynamo_storage(table).programmes.get(TENANT, PROGRAMME)
        recent = storage.programmes.recent(TENANT, PROGRAMME)
        assert stored is not None
        assert recent is not None
        assert (stored.meeting_cadence_days, recent.meeting_cadence_days) == (7, 7)

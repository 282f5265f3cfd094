"""Contract of ArchiveRepository: one archive per programme, and the sparse index of those due for their scrub."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.archive import ProgrammeArchive
from tests.support.builders import at

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def _archive(programme_id: str, scrub_in_days: int) -> ProgrammeArchive:
    return ProgrammeArchive(
        tenant_id="ten_a",
        programme_id=programme_id,
        archived_by="api key key_1",
        archived_at=at(0),
        scrub_at=at(0) + timedelta(days=scrub_in_days),
    )


def test_a_programme_is_archived_once_and_its_archive_reads_back(storage: Storage) -> None:
    # GIVEN nothing archived
    # WHEN a programme is archived twice
    first = storage.archives.add(_archive("prg_1", 30))
    second = storage.archives.add(_archive("prg_1", 90))

    # THEN only the first is kept
    assert (first, second) == (True, False)
    stored = storage.archives.get("ten_a", "prg_1")
    assert stored is not None
    assert stored.scrub_at == at(0) + timedelta(days=30)
    assert storage.archives.get("ten_a", "prg_2") is None


def test_archives_are_due_oldest_first_once_their_time_has_come_and_leave_the_index_when_scrubbed(
    storage: Storage,
) -> None:
    # GIVEN three archives scrubbed after 30, 10 and 90 days
    for programme_id, days in (("prg_30", 30), ("prg_10", 10), ("prg_90", 90)):
        storage.archives.add(_archive(programme_id, days))

    # WHEN the sweep looks after 31 days, and again once the first due is scrubbed
    due = storage.archives.due(at(0) + timedelta(days=31))
    storage.archives.save(due[0].model_copy(update={"scrubbed_at": at(1), "figures": {"participants": 4}}))
    after = storage.archives.due(at(0) + timedelta(days=31))

    # THEN the two due come oldest first, and a scrubbed one is not due again but keeps its figures
    assert [a.programme_id for a in due] == ["prg_10", "prg_30"]
    assert [a.programme_id for a in after] == ["prg_30"]
    scrubbed = storage.archives.get("ten_a", "prg_10")
    assert scrubbed is not None
    assert scrubbed.figures == {"participants": 4}
    assert storage.archives.due(at(0), limit=0) == []

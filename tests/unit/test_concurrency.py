"""Specification of read-change-save with retry: a change is applied again on top of a rival write, a few times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from chalicelib.errors import VersionConflict
from chalicelib.services.concurrency import update_with_retry

Record = tuple[int, tuple[str, ...]]


@dataclass
class Shelf:
    """A one-record store whose save refuses a stale version, with rivals that write just before us."""

    version: int = 0
    tags: tuple[str, ...] = ()
    rivals: list[str] = field(default_factory=list)

    def load(self) -> Record:
        return self.version, self.tags

    def save(self, record: Record) -> Record:
        if self.rivals:
            self.version, self.tags = self.version + 1, (*self.tags, self.rivals.pop(0))
        version, tags = record
        if version != self.version:
            raise VersionConflict("stale")
        self.version, self.tags = version + 1, tags
        return self.load()


def _add(tag: str) -> Callable[[Record], Record]:
    def change(record: Record) -> Record:
        version, tags = record
        return version, (*tags, tag)

    return change


def test_a_change_lost_to_a_rival_write_is_applied_again_on_top_of_it() -> None:
    # GIVEN a record that a rival writes to just before our first save
    shelf = Shelf(rivals=["mentor"])

    # WHEN a tag is added with retry
    saved = update_with_retry(shelf.load, _add("mentee"), shelf.save)

    # THEN both writes are kept, the rival's first
    assert saved == (2, ("mentor", "mentee"))
    assert shelf.tags == ("mentor", "mentee")


def test_a_change_that_finds_nothing_to_do_saves_nothing() -> None:
    # GIVEN a record
    shelf = Shelf(tags=("mentee",))

    # WHEN the change says there is nothing to save
    result = update_with_retry(shelf.load, lambda record: None, shelf.save)

    # THEN the record is returned as read and its version is unchanged
    assert result == (0, ("mentee",))
    assert shelf.version == 0


def test_a_record_that_keeps_changing_gives_up_with_a_conflict_naming_the_record() -> None:
    # GIVEN a record that rivals write to before each of our three attempts
    shelf = Shelf(rivals=["a", "b", "c"])

    # WHEN a tag is added with three attempts
    with pytest.raises(VersionConflict) as raised:
        update_with_retry(
            shelf.load, _add("mentee"), shelf.save, attempts=3, message="kept changing", details={"id": "x"}
        )

    # THEN the conflict says so, and only the rivals' writes are stored
    assert (raised.value.message, raised.value.details) == ("kept changing", {"id": "x"})
    assert shelf.tags == ("a", "b", "c")

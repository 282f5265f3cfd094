"""Read, change and save a record under optimistic concurrency, again when another writer got in first.

Every repository's ``save`` refuses a record whose version moved on since it was read
(``VersionConflict``). Where the change can simply be applied again to the fresh
record (a status move, a profile from a signup, an endpoint's mapping), the service
re-reads and re-applies it a bounded number of times instead of failing the caller.
Where losing means someone else did the work (a claim, a lease), the conflict is an
answer in itself and must not be retried: those callers catch ``VersionConflict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib.errors import VersionConflict

DEFAULT_ATTEMPTS = 5

Loaded = TypeVar("Loaded")
Changed = TypeVar("Changed")


def update_with_retry(
    load: Callable[[], Loaded],
    change: Callable[[Loaded], Changed | None],
    save: Callable[[Changed], Changed],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    message: str = "the record kept changing; try again",
    details: Any = None,
) -> Loaded | Changed:
    """The saved record, or the loaded one when ``change`` found nothing to save (returned None).

    ``change`` is called on a freshly loaded record at each attempt, so it must derive
    everything from what it is given (it may change it in place and return it).

    Raises
    ------
    VersionConflict
        Others kept writing the record through every attempt, with ``message`` and ``details``.
    """
    for _ in range(attempts):
        loaded = load()
        changed = change(loaded)
        if changed is None:
            return loaded
        try:
            return save(changed)
        except VersionConflict:
            continue
    raise VersionConflict(message, details=details)


__all__ = ["DEFAULT_ATTEMPTS", "update_with_retry"]

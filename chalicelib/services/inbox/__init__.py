"""The webhook inbox: the service (``service``) and the shapes sources and features plug into it (``ports``).

Nothing here imports a vendor or a feature: ``chalicelib.registry`` pairs them.
"""

from chalicelib.services.inbox.service import (
    InboxPolicy,
    Receipt,
    backoff,
    dispatch,
    find_endpoint,
    process,
    receive,
    replay,
    retry_due,
)

__all__ = [
    "InboxPolicy",
    "Receipt",
    "backoff",
    "dispatch",
    "find_endpoint",
    "process",
    "receive",
    "replay",
    "retry_due",
]

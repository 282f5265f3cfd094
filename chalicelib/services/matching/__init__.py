"""The matching lifecycle: run a cohort matching, review the proposals, start, end and rematch pairs.

Pure except for the injected storage, notifier and clock. The cohort maths is the
engine's (``chalicelib.domain.matching``), loaded only when a run is computed; this
package decides who takes part, stores what the engine proposes, and moves pairs and
people along their statuses, telling each person in their own language.

======================  ======================================================
module                  concern
======================  ======================================================
``cohort``              who is in the pool, as the engine's profiles; the engine call
``runs``                runs under the programme's lease, scheduled runs, rematches
``queue``               runs too large for an API call, run by the matching job
``review``              approve (one or all), reject, and the start of a pair
``acceptance``          the mentor's accept or decline, and expiry of no answer
``ending``              completion, early end, release of a leaver's pairs
``people``              participants' status moves, re-applied on concurrent writes
``reading``             pairs and runs as they are stored
``reports``             the answers above, as pydantic models
======================  ======================================================

Messages carry the other person's name and e-mail only, so the two can meet. Logs
carry ids and counts; never names, addresses or explanations (they name goals).
"""

from __future__ import annotations

from chalicelib.services.matching.acceptance import accept, decline, expire_acceptances
from chalicelib.services.matching.cohort import utc_offset_minutes
from chalicelib.services.matching.ending import end_pair, release_pairs_of
from chalicelib.services.matching.people import all_participants
from chalicelib.services.matching.queue import run_queued_matching
from chalicelib.services.matching.reading import get_pair, get_run, list_pairs, page_of_pairs
from chalicelib.services.matching.reports import ApproveAllReport, PairOutcome, PairPage, RunReport
from chalicelib.services.matching.review import approve, approve_all, reject
from chalicelib.services.matching.runs import MatchingBusy, run_matching, run_scheduled_matching

__all__ = [
    "ApproveAllReport",
    "MatchingBusy",
    "PairOutcome",
    "PairPage",
    "RunReport",
    "accept",
    "all_participants",
    "approve",
    "approve_all",
    "decline",
    "end_pair",
    "expire_acceptances",
    "get_pair",
    "get_run",
    "list_pairs",
    "page_of_pairs",
    "reject",
    "release_pairs_of",
    "run_matching",
    "run_queued_matching",
    "run_scheduled_matching",
    "utc_offset_minutes",
]

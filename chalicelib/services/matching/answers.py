"""The matching answers as a coordinator reads them: in the programme's language, people named.

Stored runs and pairs keep ids and reason codes only; these functions look the names up
when the API answers and write the sentences with ``wording``.
"""

from __future__ import annotations

from chalicelib.domain.pair import Pair
from chalicelib.domain.programme import Programme
from chalicelib.services.matching import wording
from chalicelib.services.matching.people import all_participants
from chalicelib.services.matching.reports import NamedRunReport, PairOutcome, PairPage, RunReport
from chalicelib.storage.repositories import Storage


def _names(storage: Storage, programme: Programme) -> dict[str, str]:
    people = all_participants(storage, programme.tenant_id, programme.programme_id)
    return {p.participant_id: p.profile.name for p in people}


def named_report(storage: Storage, programme: Programme, report: RunReport) -> NamedRunReport:
    """``report`` with each proposal's and unmatched person's sentence in the programme's language."""
    names = _names(storage, programme)
    language = programme.default_language
    proposals = [
        proposal.model_copy(
            update={
                "explanation": wording.pair_sentence(
                    proposal.reasons,
                    names.get(proposal.mentee_id, proposal.mentee_id),
                    names.get(proposal.mentor_id, proposal.mentor_id),
                    language,
                )
            }
        )
        for proposal in report.proposals
    ]
    unmatched = []
    for entry in report.run.unmatched:
        name = names.get(entry.participant_id, entry.participant_id)
        sentence = wording.unmatched_sentence(entry.code, entry.params, name, language)
        unmatched.append(entry.model_copy(update={"sentence": sentence or entry.sentence}))
    mentioned = {p.mentee_id for p in proposals} | {p.mentor_id for p in proposals}
    mentioned |= {e.participant_id for e in unmatched}
    run = report.run.model_copy(update={"unmatched": unmatched})
    return NamedRunReport(
        **dict(report.model_copy(update={"proposals": proposals, "run": run})),
        figures=run.figures,
        names={pid: names[pid] for pid in sorted(mentioned) if pid in names},
    )


def named_pair(storage: Storage, programme: Programme, pair: Pair) -> Pair:
    """``pair`` with its explanation in the programme's language, naming the two."""
    mentee = storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentee_id)
    mentor = storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentor_id)
    if mentee is None or mentor is None or not pair.reasons:
        return pair
    sentence = wording.pair_sentence(pair.reasons, mentee.profile.name, mentor.profile.name, programme.default_language)
    return pair.model_copy(update={"explanation": sentence})


def named_page(storage: Storage, programme: Programme, page: PairPage) -> PairPage:
    """A page of pairs, each explained in the programme's language and naming the two."""
    names = _names(storage, programme)
    items = [
        pair.model_copy(
            update={
                "explanation": wording.pair_sentence(
                    pair.reasons,
                    names.get(pair.mentee_id, pair.mentee_id),
                    names.get(pair.mentor_id, pair.mentor_id),
                    programme.default_language,
                )
            }
        )
        if pair.reasons
        else pair
        for pair in page.items
    ]
    return page.model_copy(update={"items": items})


def named_outcome(storage: Storage, programme: Programme, outcome: PairOutcome) -> PairOutcome:
    return outcome.model_copy(
        update={
            "pair": named_pair(storage, programme, outcome.pair),
            "rematch": named_report(storage, programme, outcome.rematch) if outcome.rematch else None,
        }
    )


__all__ = ["named_outcome", "named_page", "named_pair", "named_report"]

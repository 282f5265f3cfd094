"""What erasure makes of a programme's items that name a person, on either shape a matching run is kept in."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.events import Invitation
from chalicelib.domain.matching_run import MatchRun, RunFigures, UnmatchedEntry
from chalicelib.services.privacy import ERASED_ID, ERASED_SENTENCE, forget_in_programme
from chalicelib.storage.match_runs import RunPart
from tests.support.builders import at

LAURA = "par_laura"
SOREN = "par_soren"
FORGET = forget_in_programme(frozenset({LAURA}), {"laura čiurlionytė"})


def _entries() -> list[UnmatchedEntry]:
    return [
        UnmatchedEntry(
            participant_id=LAURA,
            role="mentee",
            code="no_mentors",
            params={"goals": ["x"]},
            sentence="Laura Čiurlionytė waits.",
        ),
        UnmatchedEntry(
            participant_id=SOREN,
            role="mentor",
            code="no_mentees",
            sentence="Søren had no mentee like Laura Čiurlionytė.",
        ),
    ]


def test_a_whole_run_as_the_fake_keeps_it_loses_her_entry_and_her_name_in_others_sentences() -> None:
    # GIVEN a run that left Laura unmatched and names her in Søren's sentence
    figures = RunFigures(
        mentees=1, mentors=1, places=1, matched=0, unmatched_mentees=1, free_places=1, duplicates=0,
        solver="exact", objective="max_score",
    )  # fmt: skip
    run = MatchRun(tenant_id="ten_a", programme_id="prg_1", trigger="api", requested_at=at(0), figures=figures)
    run.unmatched = _entries()

    # WHEN erasure rewrites it
    rewritten = FORGET(run)

    # THEN her entry keeps its role and code only, and Søren's sentence no longer names her
    assert isinstance(rewritten, MatchRun)
    assert [(e.participant_id, e.code, e.params, e.sentence) for e in rewritten.unmatched] == [
        (ERASED_ID, "no_mentors", {}, ERASED_SENTENCE),
        (SOREN, "no_mentees", {}, "Søren had no mentee like a former participant."),
    ]
    assert rewritten.unmatched_by_reason() == run.unmatched_by_reason()


def test_a_run_part_as_the_table_keeps_it_is_rewritten_the_same_way_and_her_invitation_goes() -> None:
    # GIVEN a run's part as stored on DynamoDB, and Laura's and Søren's invitations
    part = RunPart(
        tenant_id="ten_a", programme_id="prg_1", run_id="run_1", index=0,
        unmatched=[e.model_dump(mode="json") for e in _entries()],
    )  # fmt: skip
    invitations = [
        Invitation(
            tenant_id="ten_a",
            programme_id="prg_1",
            event_id="evt_1",
            participant_id=who,
            invited_at=at(0),
            expires_at=at(0) + timedelta(days=30),
        )
        for who in (LAURA, SOREN)
    ]

    # WHEN erasure rewrites them
    rewritten = FORGET(part)
    kept = [FORGET(invitation) for invitation in invitations]

    # THEN the part is scrubbed as the whole run is, her invitation is dropped and his kept as it was
    assert isinstance(rewritten, RunPart)
    assert [e["participant_id"] for e in rewritten.unmatched] == [ERASED_ID, SOREN]
    assert "Čiurlionytė" not in str(rewritten.unmatched)
    assert kept[0] is None
    assert kept[1] is invitations[1]

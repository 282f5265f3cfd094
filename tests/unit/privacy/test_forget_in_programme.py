"""What erasure makes of a programme's items that name a person, on either shape a matching run is kept in."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.events import Invitation
from chalicelib.domain.matching_run import MatchRun, RunFigures, UnmatchedEntry
from chalicelib.domain.pair import Pair
from chalicelib.domain.places import PlaceSlot
from chalicelib.services.privacy import ERASED_ID, ERASED_SENTENCE, forget_in_programme, unlinked
from chalicelib.storage.match_runs import RunPart
from tests.support import builders
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


def test_her_id_on_a_pair_that_stays_becomes_the_erased_marker_and_her_place_slot_goes() -> None:
    # GIVEN Søren's pair with Laura, Laura's place slot and another mentee's
    pair = builders.pair("ten_a", "prg_1", "pair_1", mentor_id=SOREN, mentee_id=LAURA)
    slots = [
        PlaceSlot(tenant_id="ten_a", programme_id="prg_1", index=i, holder_id=who, claimed_at=at(0))
        for i, who in enumerate((LAURA, "par_ana"))
    ]

    # WHEN erasure rewrites them
    rewritten = FORGET(pair)
    kept = [FORGET(slot) for slot in slots]

    # THEN the pair keeps Søren and its history but no longer holds her id; her slot is freed
    assert isinstance(rewritten, Pair)
    assert (rewritten.pair_id, rewritten.mentor_id, rewritten.mentee_id) == ("pair_1", SOREN, ERASED_ID)
    assert LAURA not in rewritten.model_dump_json()
    assert kept == [None, slots[1]]


def test_an_item_whose_own_key_holds_her_id_is_dropped_rather_than_stored_again_under_a_new_key() -> None:
    # GIVEN her invitation, whose sort key is made of the event and her id
    invitation = Invitation(
        tenant_id="ten_a", programme_id="prg_1", event_id="evt_1", participant_id=LAURA,
        invited_at=at(0), expires_at=at(0) + timedelta(days=30),
    )  # fmt: skip

    # WHEN her id is taken out of it
    cleared = unlinked(invitation, frozenset({LAURA}))

    # THEN it cannot stay
    assert cleared is None

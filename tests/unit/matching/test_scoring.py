"""Specifications of the pair score: what makes a mentor a better fit for a mentee."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from chalicelib.domain.matching import (
    MatchingPolicy,
    MatchWeights,
    MenteeProfile,
    MentorProfile,
    match_cohort,
    score_table,
)
from chalicelib.domain.matching.scoring import DENSE_TAGS, CohortMatrix

from .builders import mentee, mentor, random_cohort


def scores_for(mentee_profile: MenteeProfile, mentors: list[MentorProfile]) -> list[float]:
    return [float(x) for x in score_table([mentee_profile], mentors, MatchingPolicy()).scores[0]]


def test_every_feasible_pair_scores_at_least_the_base_and_so_beats_unmatched() -> None:
    for seed in range(10):
        # GIVEN a random cohort and a policy with every soft weight at zero
        cohort = random_cohort(seed, n_mentees=10, n_mentors=6)
        flat = MatchingPolicy(
            weights=MatchWeights(tags=0, seniority=0, timezone=0, preference=0, priority=0, base=0.25)
        )

        # WHEN scores are computed with the default and the flat weights
        default = score_table(cohort.mentees, cohort.mentors, MatchingPolicy(), cohort.past_pairs).scores
        flattened = score_table(cohort.mentees, cohort.mentors, flat, cohort.past_pairs).scores

        # THEN each feasible pair is worth at least the base, strictly more than "unmatched" (0)
        feasible = ~np.isnan(default)
        assert np.all(default[feasible] >= 1.0)
        assert np.all(flattened[feasible] == 0.25)


def test_more_of_the_mentees_goals_covered_scores_higher_regardless_of_case() -> None:
    # GIVEN Jovana's goals and mentors covering two, one and none of them
    jovana = mentee("e1", "Jovana Petrović", tags=("Leadership", "Public Speaking"))
    both = mentor("r1", "Søren Ærø", tags=("public speaking", "LEADERSHIP", "sailing"))
    one = mentor("r2", "Åse Ørsted", tags=("leadership",))
    none = mentor("r3", "Jürgen Groß", tags=("Buchhaltung",))

    # WHEN scored
    s = scores_for(jovana, [both, one, none])

    # THEN more covered goals means a higher score, by a quarter of the tags weight per goal here
    assert s[0] > s[1] > s[2]
    assert s[0] - s[1] == pytest.approx(MatchWeights().tags / 2)


def test_seniority_gap_inside_the_preferred_range_earns_full_points_and_less_outside() -> None:
    # GIVEN a mentee with 3 years of experience and mentors with 2 to 17 (preferred 3-10 years more)
    egle = mentee("e1", "Eglė Čiurlionytė", seniority=3)
    mentors = [mentor(f"r{years:02d}", seniority=years) for years in range(2, 18)]

    # WHEN scored
    s = dict(zip(range(2, 18), scores_for(egle, mentors), strict=True))

    # THEN 6..13 years are equally best, juniors and far-seniors score less the further out they are
    assert len({s[years] for years in range(6, 14)}) == 1
    assert s[2] < s[3] < s[4] < s[5] < s[6]
    assert s[13] > s[14] > s[15] > s[16] > s[17]


def test_unknown_seniority_or_timezone_is_scored_as_neutral() -> None:
    # GIVEN a mentee with no seniority/offset and mentors perfect, unknown and poor on both
    unknown = mentee("e1", "Nuša Kovačič", seniority=None, utc_offset_minutes=None)
    known = mentee("e2", "Nuša Kovačič", seniority=3, utc_offset_minutes=60)
    perfect = mentor("r1", seniority=8, utc_offset_minutes=60)
    poor = mentor("r2", seniority=1, utc_offset_minutes=60 + 12 * 60)
    blank = mentor("r3")

    # WHEN scored
    s_known = scores_for(known, [perfect, poor, blank])
    s_unknown = scores_for(unknown, [perfect, poor, blank])

    # THEN unknown sits halfway between perfect and poor, for either side being unknown
    assert s_known[2] == pytest.approx((s_known[0] + s_known[1]) / 2)
    assert s_unknown == pytest.approx([s_known[2]] * 3)


def test_closer_timezones_score_higher_on_the_clock_face() -> None:
    # GIVEN a mentee in Belgrade (UTC+1) and mentors 0, 3, 7 and 17 hours of offset away
    milica = mentee("e1", "Милица Јовановић", utc_offset_minutes=60)
    offsets = [60, 240, 480, -16 * 60]
    mentors = [mentor(f"r{i}", utc_offset_minutes=o) for i, o in enumerate(offsets)]

    # WHEN scored
    s = scores_for(milica, mentors)

    # THEN closer is better, and offsets 17 h apart count as 7 h apart on the clock
    assert s[0] > s[1] > s[2]
    assert s[3] == pytest.approx(s[2])


def test_a_higher_ranked_choice_scores_higher_and_unranked_lowest() -> None:
    # GIVEN a mentee who ranked three of four otherwise identical mentors
    rasa = mentee("e1", "Rasa Šimkutė", ranked_mentor_ids=("r3", "r1", "r2"))
    mentors = [mentor(f"r{i}") for i in range(1, 5)]

    # WHEN scored
    s = dict(zip(("r1", "r2", "r3", "r4"), scores_for(rasa, mentors), strict=True))

    # THEN rank 1 > rank 2 > rank 3 > unranked
    assert s["r3"] > s["r1"] > s["r2"] > s["r4"]


def test_people_left_unmatched_earlier_get_a_priority_bonus_that_wins_a_contested_place() -> None:
    # GIVEN two otherwise identical mentees, one left out twice before, and a single place
    waited = mentee("e1", "Žydrūnas Šimkus", priority=2)
    fresh = mentee("e2", "Žydrūnas Šimkus Jr")
    mikkel = mentor("r1", "Mikkel Ærø", capacity=1)

    # WHEN matched
    result = match_cohort([fresh, waited], [mikkel])

    # THEN the one who waited gets the place
    assert [p.mentee_id for p in result.pairs] == ["e1"]


def test_pair_scores_in_the_result_equal_the_score_table() -> None:
    # GIVEN a random cohort
    cohort = random_cohort(9, n_mentees=30, n_mentors=12)

    # WHEN matched and tabulated
    result = match_cohort(cohort.mentees, cohort.mentors, MatchingPolicy(), cohort.past_pairs)
    table = score_table(cohort.mentees, cohort.mentors, MatchingPolicy(), cohort.past_pairs)

    # THEN each reported pair score is the table's score for that pair, bit for bit
    row = {pid: i for i, pid in enumerate(table.mentee_ids)}
    col = {pid: j for j, pid in enumerate(table.mentor_ids)}
    for pair in result.pairs:
        assert pair.score == table.scores[row[pair.mentee_id], col[pair.mentor_id]]
        assert not math.isnan(pair.score)


def _with_free_text_goals(cohort_seed: int, shared_tags: int) -> tuple[list[MenteeProfile], list[MentorProfile]]:
    """A random cohort whose goals are also free text: ``shared_tags`` phrases, each on both sides."""
    cohort = random_cohort(cohort_seed, n_mentees=40, n_mentors=15)
    phrases = [f"goal phrase {k}" for k in range(shared_tags)]
    mentees = [replace(p, tags=(*p.tags, *phrases[i::40])) for i, p in enumerate(cohort.mentees)]
    mentors = [replace(p, tags=(*p.tags, *phrases[j::15])) for j, p in enumerate(cohort.mentors)]
    return mentees, mentors


@pytest.mark.parametrize("shared_tags", [0, DENSE_TAGS + 40], ids=["goals-from-a-list", "free-text-goals"])
def test_a_pairs_score_is_the_same_whether_its_block_is_scored_or_the_pair_alone(shared_tags: int) -> None:
    # GIVEN a cohort whose shared vocabulary is short (goals picked from a list) or long (free text)
    mentees, mentors = _with_free_text_goals(5, shared_tags)
    on_both = {t for p in mentees for t in p.tags} & {t for p in mentors for t in p.tags}
    assert (len(on_both) > DENSE_TAGS) == (shared_tags > 0)
    cm = CohortMatrix(mentees, mentors, MatchingPolicy())

    # WHEN every pair is scored as part of the whole block and one pair at a time
    block = cm.scores(np.arange(cm.n_mentees, dtype=np.intp))
    rows, cols = np.indices(block.shape)
    alone = cm.pair_scores(rows.ravel(), cols.ravel()).reshape(block.shape)

    # THEN both give the same scores, bit for bit, and shared goals raise some of them
    assert np.array_equal(block, alone)
    assert (block > MatchingPolicy().weights.base + 1e-9).any()


@pytest.mark.parametrize("shared_tags", [0, DENSE_TAGS + 40], ids=["goals-from-a-list", "free-text-goals"])
def test_the_scores_that_rank_candidates_are_the_exact_scores_to_float32_precision(shared_tags: int) -> None:
    # GIVEN a cohort whose shared vocabulary is short (goals picked from a list) or long (free text)
    mentees, mentors = _with_free_text_goals(7, shared_tags)
    cm = CohortMatrix(mentees, mentors, MatchingPolicy())
    rows = np.arange(cm.n_mentees, dtype=np.intp)

    # WHEN the block is scored for ranking and exactly
    ranking, _ = cm.ranking_scores(rows)
    exact = cm.feasible_scores(rows, infeasible=-np.inf)

    # THEN ranking scores are float32, the same pairs are infeasible, and feasible ones differ by rounding only
    assert ranking.dtype == np.float32
    feasible = np.isfinite(exact)
    assert np.array_equal(np.isfinite(ranking), feasible)
    assert (~feasible).any()
    assert np.allclose(ranking[feasible], exact[feasible], rtol=1e-6, atol=0.0)

"""The cohort a run matches: who is in the pool, with what capacity, as the engine's profiles.

The engine itself (numpy, scipy) is imported by ``match`` only, when a run is computed:
every Lambda imports this package, and only the matching ones should pay for loading it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from chalicelib.domain.common import normalise_email
from chalicelib.domain.matching.budget import CohortShape, MatchingBudget
from chalicelib.domain.matching.model import MenteeProfile, MentorProfile
from chalicelib.domain.matching.policy import MatchingPolicy
from chalicelib.domain.pair import OPEN_PAIR_STATUSES, REFUSED_PAIR_STATUSES, Pair
from chalicelib.domain.participant import Participant, Role
from chalicelib.domain.programme import Programme
from chalicelib.services.events import matching_clearance
from chalicelib.services.matching.people import MENTEE_POOL, MENTOR_POOL, all_participants
from chalicelib.storage.repositories import Storage

if TYPE_CHECKING:
    from chalicelib.domain.matching.model import MatchResult


@dataclass
class Cohort:
    pairs: list[Pair]
    mentees: list[MenteeProfile] = field(default_factory=list)
    mentors: list[MentorProfile] = field(default_factory=list)

    def pairs_so_far(self) -> Counter[str]:
        return Counter(p.mentee_id for p in self.pairs)

    def shape(self, sparse_k: int) -> CohortShape:
        """The cohort's size as the budget sees it, before duplicates are dropped (so never smaller)."""
        n = len(self.mentees)
        capacities = [min(p.capacity, n) for p in self.mentors if p.capacity > 0]
        return CohortShape(n, len(capacities), sum(capacities), sparse_k)


def utc_offset_minutes(timezone: str | None, at: datetime) -> int | None:
    """The zone's offset from UTC at ``at`` (so summer time counts), in minutes."""
    if not timezone:
        return None
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def _languages(person: Participant) -> tuple[str, ...]:
    profile = person.profile
    if profile.languages:
        return tuple(profile.languages)
    # Someone who only said which language to write to them in speaks at least that one.
    return (profile.language,) if profile.language else ()


def _ranked_mentor_ids(person: Participant, mentor_ids_by_email: dict[str, str]) -> tuple[str, ...]:
    ranked: list[str] = []
    for choice in person.profile.ranked_mentors:
        if "@" in choice:
            try:
                mentor_id = mentor_ids_by_email.get(normalise_email(choice))
            except ValueError:
                mentor_id = None
            if mentor_id is not None:
                ranked.append(mentor_id)
        elif choice.strip():
            ranked.append(choice.strip())
    return tuple(ranked)


def _shared_fields(person: Participant, at: datetime) -> dict[str, Any]:
    """What mentees and mentors tell the engine alike."""
    profile = person.profile
    return {
        "participant_id": person.participant_id,
        "email": person.email,
        "company": profile.company,
        "department": profile.department,
        # One level of the reporting line is what a signup or the HR sync tells us.
        "manager_chain": (profile.manager_email,) if profile.manager_email else (),
        "languages": _languages(person),
        "utc_offset_minutes": utc_offset_minutes(profile.timezone, at),
        "seniority": profile.seniority,
        "tags": tuple(profile.tags),
        "priority": person.priority,
    }


def _mentee_profile(person: Participant, at: datetime, mentor_ids_by_email: dict[str, str]) -> MenteeProfile:
    return MenteeProfile(
        **_shared_fields(person, at),
        ranked_mentor_ids=_ranked_mentor_ids(person, mentor_ids_by_email),
        ranked_topics=tuple(person.profile.ranked_topics),
    )


def _mentor_profile(person: Participant, at: datetime, capacity: int) -> MentorProfile:
    return MentorProfile(**_shared_fields(person, at), capacity=capacity)


def load_cohort(
    storage: Storage,
    programme: Programme,
    at: datetime,
    mentee_ids: frozenset[str] | None,
    leaving: frozenset[str] = frozenset(),
) -> Cohort:
    """Mentees free to match (all, or those of ``mentee_ids``) and mentors with places left."""
    people = all_participants(storage, programme.tenant_id, programme.programme_id)
    pairs = storage.pairs.list(programme.tenant_id, programme.programme_id)
    cohort = Cohort(pairs=pairs)
    open_pairs = [p for p in pairs if p.status in OPEN_PAIR_STATUSES]
    paired_mentees = {p.mentee_id for p in open_pairs}
    mentor_load = Counter(p.mentor_id for p in open_pairs)
    mentor_ids_by_email = {p.email: p.participant_id for p in people if p.role is Role.MENTOR}
    cleared = matching_clearance(storage, programme)

    for person in people:
        if person.participant_id in leaving:
            continue
        if cleared is not None and not cleared(person):
            continue
        if person.role is Role.MENTEE:
            if person.status not in MENTEE_POOL or person.participant_id in paired_mentees:
                continue
            if mentee_ids is not None and person.participant_id not in mentee_ids:
                continue
            cohort.mentees.append(_mentee_profile(person, at, mentor_ids_by_email))
        elif person.status in MENTOR_POOL:
            offered = 1 if person.profile.capacity is None else person.profile.capacity
            remaining = offered - mentor_load[person.participant_id]
            # A mentor whose places are all taken is busy, not unmatched; one offering none is reported.
            if offered > 0 and remaining <= 0:
                continue
            cohort.mentors.append(_mentor_profile(person, at, max(remaining, 0)))
    return cohort


def _policy_and_past_pairs(
    policy: MatchingPolicy, pairs: Iterable[Pair]
) -> tuple[MatchingPolicy, set[tuple[str, str]]]:
    """Past pairs the engine must not propose again.

    Pairs that someone refused or that broke up are never proposed again, even where
    the programme allows repeating earlier pairs.
    """
    every = {(p.mentee_id, p.mentor_id) for p in pairs}
    if policy.forbid_repeat_pairs:
        return policy, every
    refused = {(p.mentee_id, p.mentor_id) for p in pairs if p.status in REFUSED_PAIR_STATUSES}
    if not refused:
        return policy, set()
    return policy.model_copy(update={"forbid_repeat_pairs": True}), refused


def match(
    programme: Programme, cohort: Cohort, *, budget: MatchingBudget | None = None, round_label: str | None = None
) -> MatchResult:
    """What the engine proposes for the cohort under the programme's policy, within ``budget``.

    Ties among equally good candidates are broken by the programme and ``round_label`` (the
    matching date, or the run), so they fall differently from round to round.
    """
    from chalicelib.domain.matching.engine import match_cohort

    policy, past_pairs = _policy_and_past_pairs(programme.matching, cohort.pairs)
    tie_break = f"{programme.programme_id}:{round_label}" if round_label else None
    return match_cohort(
        cohort.mentees, cohort.mentors, policy, past_pairs=past_pairs, budget=budget, tie_break=tie_break
    )

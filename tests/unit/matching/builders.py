"""Builders, seeded random cohorts and independent oracles for the matching specifications.

The oracles (hard-rule check, brute-force optimum, blocking pairs) are written
from the rules' wording in plain Python, deliberately sharing no code with the
engine, so the specifications check the engine rather than restate it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from chalicelib.domain.matching import (
    MatchingPolicy,
    MatchResult,
    MenteeProfile,
    MentorProfile,
    score_table,
)

ALL_SOLVERS = ("exact", "sparse", "stable")


def mentee(participant_id: str, display_name: str | None = None, **fields: Any) -> MenteeProfile:
    fields.setdefault("email", f"{participant_id}@mentees.example")
    fields.setdefault("languages", ("en",))
    return MenteeProfile(participant_id=participant_id, display_name=display_name, **fields)


def mentor(participant_id: str, display_name: str | None = None, **fields: Any) -> MentorProfile:
    fields.setdefault("email", f"{participant_id}@mentors.example")
    fields.setdefault("languages", ("en",))
    return MentorProfile(participant_id=participant_id, display_name=display_name, **fields)


# -- seeded random cohorts -----------------------------------------------------------------------

COMPANIES = ("Đorđević d.o.o.", "Čiurlionytė UAB", "Ærø ApS", None)
DEPARTMENTS = ("Inženjering", "Pardavimai", "Økonomi", None)
LANGUAGE_SETS = (("en",), ("sr", "en"), ("lt",), ("sl", "de"), ("da", "en"), ("de",), ("sr",), ())
GOALS = ("Leadership", "leadership", "Public Speaking", "negotiation", "Karriere", "vodenje", "Ryšiai")
NAMES = (
    "Đorđe Đorđević",
    "Милица Јовановић",
    "Eglė Čiurlionytė",
    "Žydrūnas Šimkus",
    "Špela Žagar",
    "Søren Ærø",
    "Åse Ørsted",
    "Jürgen Groß",
    "Nuša Kovačič",
    "Gintarė Kazlauskienė",
)


@dataclass(frozen=True)
class Cohort:
    mentees: tuple[MenteeProfile, ...]
    mentors: tuple[MentorProfile, ...]
    past_pairs: frozenset[tuple[str, str]]


def random_cohort(seed: int, n_mentees: int, n_mentors: int, max_capacity: int = 3) -> Cohort:
    """A small cohort exercising every hard rule: shared people, chains, repeats, unknowns."""
    rng = np.random.default_rng(seed)

    def pick(options: tuple[Any, ...]) -> Any:
        return options[int(rng.integers(len(options)))]

    def maybe(value: Any, p_none: float = 0.15) -> Any:
        return None if rng.random() < p_none else value

    def goals() -> tuple[str, ...]:
        count = int(rng.integers(0, 4))
        return tuple(str(g) for g in rng.choice(GOALS, size=count, replace=False))

    mentor_emails = [f"mentor{j}@corp.example" for j in range(n_mentors)]
    mentee_emails = [f"mentee{i}@corp.example" for i in range(n_mentees)]
    # Some people sign up on both sides, to exercise the "not with yourself" rule.
    for i in range(min(n_mentees, n_mentors)):
        if rng.random() < 0.15:
            mentee_emails[i] = mentor_emails[int(rng.integers(n_mentors))]
    everyone = mentor_emails + mentee_emails

    mentors = tuple(
        MentorProfile(
            participant_id=f"r{j}",
            email=mentor_emails[j],
            company=pick(COMPANIES),
            department=pick(DEPARTMENTS),
            manager_chain=tuple(rng.choice(everyone, size=int(rng.integers(0, 2)))),
            languages=pick(LANGUAGE_SETS),
            utc_offset_minutes=maybe(int(rng.choice([-300, 0, 60, 120, 330]))),
            seniority=maybe(int(rng.integers(1, 11))),
            tags=goals(),
            capacity=int(rng.integers(0, max_capacity + 1)),
            priority=int(rng.integers(0, 3)),
            display_name=pick(NAMES),
        )
        for j in range(n_mentors)
    )
    mentor_ids = [m.participant_id for m in mentors]
    mentees = tuple(
        MenteeProfile(
            participant_id=f"e{i}",
            email=mentee_emails[i],
            company=pick(COMPANIES),
            department=pick(DEPARTMENTS),
            manager_chain=tuple(rng.choice(everyone, size=int(rng.integers(0, 3)))),
            languages=pick(LANGUAGE_SETS),
            utc_offset_minutes=maybe(int(rng.choice([-300, 0, 60, 120, 330]))),
            seniority=maybe(int(rng.integers(1, 11))),
            tags=goals(),
            ranked_mentor_ids=tuple(
                str(x) for x in rng.choice(mentor_ids, size=min(int(rng.integers(0, 3)), n_mentors), replace=False)
            ),
            priority=int(rng.integers(0, 3)),
            display_name=pick(NAMES),
        )
        for i in range(n_mentees)
    )
    past = frozenset(
        (f"e{int(rng.integers(n_mentees))}", f"r{int(rng.integers(n_mentors))}")
        for _ in range(n_mentees // 3)
        if n_mentees and n_mentors
    )
    return Cohort(mentees, mentors, past)


# -- oracles -------------------------------------------------------------------------------------


_LEGAL_WORDS = {"d", "o", "doo", "uab", "aps", "a", "s", "as", "ab", "gmbh", "ltd", "inc"}


def company_key(name: str | None) -> str | None:
    """A company as the cross-company rule reads it: case, punctuation and a legal-form tail do not count."""
    if name is None:
        return None
    words = "".join(ch if ch.isalnum() else " " for ch in name.casefold()).split()
    while len(words) > 1 and words[-1] in _LEGAL_WORDS:
        words.pop()
    return " ".join(words) or None


def above(email: str, everyone: tuple[MenteeProfile | MentorProfile, ...]) -> set[str]:
    """Everyone in a person's reporting line, following every chain the participants give, to a fixed point."""
    links: dict[str, set[str]] = {}
    for person in everyone:
        chain = list(person.manager_chain)
        links.setdefault(person.email, set()).update(chain)
        for k, boss in enumerate(chain):
            links.setdefault(boss, set()).update(chain[k + 1 :])
    line = set(links.get(email, set()))
    while True:
        grown = line.union(*(links.get(b, set()) for b in line)) - {email}
        if grown == line:
            return line
        line = grown


def broken_rules(
    mentee_profile: MenteeProfile,
    mentor_profile: MentorProfile,
    policy: MatchingPolicy,
    past_pairs: frozenset[tuple[str, str]] = frozenset(),
    everyone: tuple[MenteeProfile | MentorProfile, ...] = (),
) -> set[str]:
    """The hard rules a pair breaks, straight from their wording; ``everyone`` gives the reporting lines."""
    broken = set()
    e, r = mentee_profile, mentor_profile
    people = everyone or (e, r)
    e_company, r_company = company_key(e.company), company_key(r.company)
    if e.email == r.email:
        broken.add("self")
    if policy.cross_company and (e_company is None or r_company is None or e_company == r_company):
        broken.add("cross_company")
    if (
        policy.forbid_same_department
        and None not in (e_company, r_company, e.department, r.department)
        and e_company == r_company
        and str(e.department).casefold() == str(r.department).casefold()
    ):
        broken.add("same_department")
    if r.email in above(e.email, people) or e.email in above(r.email, people):
        broken.add("manager_chain")
    if policy.require_shared_language and not set(e.languages) & set(r.languages):
        broken.add("shared_language")
    if policy.forbid_repeat_pairs and (e.participant_id, r.participant_id) in past_pairs:
        broken.add("repeat_pair")
    return broken


def assert_respects_hard_rules(
    result: MatchResult,
    mentees: tuple[MenteeProfile, ...],
    mentors: tuple[MentorProfile, ...],
    policy: MatchingPolicy,
    past_pairs: frozenset[tuple[str, str]] = frozenset(),
) -> None:
    by_mentee = {p.participant_id: p for p in mentees}
    by_mentor = {p.participant_id: p for p in mentors}
    matched_mentees = [p.mentee_id for p in result.pairs]
    assert len(matched_mentees) == len(set(matched_mentees)), "a mentee got two mentors"
    load: dict[str, int] = {}
    for pair in result.pairs:
        broken = broken_rules(
            by_mentee[pair.mentee_id], by_mentor[pair.mentor_id], policy, past_pairs, (*mentees, *mentors)
        )
        assert not broken, f"{pair.mentee_id}-{pair.mentor_id} breaks {broken}"
        load[pair.mentor_id] = load.get(pair.mentor_id, 0) + 1
    for mentor_id, count in load.items():
        assert count <= by_mentor[mentor_id].capacity, f"{mentor_id} over capacity"


@dataclass(frozen=True)
class BruteForce:
    best_total: float
    best_count: int
    best_total_at_best_count: float


def brute_force(
    mentees: tuple[MenteeProfile, ...],
    mentors: tuple[MentorProfile, ...],
    policy: MatchingPolicy,
    past_pairs: frozenset[tuple[str, str]] = frozenset(),
) -> BruteForce:
    """Enumerates every capacity-respecting assignment of feasible pairs (small cohorts only)."""
    table = score_table(mentees, mentors, policy, past_pairs)
    n, m = table.scores.shape
    options = [[None, *[j for j in range(m) if not math.isnan(table.scores[i, j])]] for i in range(n)]
    best_total, best_count, best_at_count = 0.0, 0, 0.0
    for choice in itertools.product(*options):
        taken = [j for j in choice if j is not None]
        if any(taken.count(j) > table.capacities[j] for j in set(taken)):
            continue
        total = sum(float(table.scores[i, j]) for i, j in enumerate(choice) if j is not None)
        count = len(taken)
        best_total = max(best_total, total)
        if count > best_count or (count == best_count and total > best_at_count):
            best_count, best_at_count = count, total
    return BruteForce(best_total, best_count, best_at_count)


def blocking_pairs(
    result: MatchResult,
    mentees: tuple[MenteeProfile, ...],
    mentors: tuple[MentorProfile, ...],
    policy: MatchingPolicy,
    past_pairs: frozenset[tuple[str, str]] = frozenset(),
) -> list[tuple[str, str]]:
    """Feasible pairs who both strictly prefer each other (by score) to what they got."""
    table = score_table(mentees, mentors, policy, past_pairs)
    mentee_row = {pid: i for i, pid in enumerate(table.mentee_ids)}
    mentor_col = {pid: j for j, pid in enumerate(table.mentor_ids)}
    current: dict[int, float] = {}
    held: dict[int, list[float]] = {j: [] for j in range(len(table.mentor_ids))}
    partner: dict[int, int] = {}
    for pair in result.pairs:
        i, j = mentee_row[pair.mentee_id], mentor_col[pair.mentor_id]
        current[i] = float(table.scores[i, j])
        held[j].append(float(table.scores[i, j]))
        partner[i] = j
    blocking = []
    for i, j in itertools.product(range(len(table.mentee_ids)), range(len(table.mentor_ids))):
        s = float(table.scores[i, j])
        if math.isnan(s) or partner.get(i) == j or table.capacities[j] == 0:
            continue
        mentee_wants = i not in current or s > current[i]
        mentor_wants = len(held[j]) < table.capacities[j] or s > min(held[j])
        if mentee_wants and mentor_wants:
            blocking.append((table.mentee_ids[i], table.mentor_ids[j]))
    return blocking


def total(result: MatchResult) -> float:
    return sum(p.score for p in result.pairs)

"""Seeded synthetic mentoring cohorts for benchmarks: realistic enough to stress the matching engine.

A cohort spreads people over a few companies in different countries (each with
its own languages and UTC offset, plus some remote staff), departments, seniority
levels and goal tags drawn from a shared vocabulary with popular and niche
entries. Mentees rank 0-3 mentors with a bias towards a few popular ones, some
people list manager chains that hit mentors, a few pairs repeat earlier rounds
and a handful of profiles are duplicated. The same seed always yields the same
cohort, so separate processes can rebuild it instead of shipping it around.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from chalicelib.domain.matching import MenteeProfile, MentorProfile


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    languages: tuple[str, ...]
    utc_offset_minutes: int


COMPANIES: tuple[Company, ...] = (
    Company("Beogradska Mreža", "mreza.rs", ("sr", "en"), 60),
    Company("Baltų Tinklai", "tinklai.lt", ("lt", "en"), 120),
    Company("Ljubljanski Kod", "kod.si", ("sl", "en", "de"), 60),
    Company("Nordlys ApS", "nordlys.dk", ("da", "en"), 60),
    Company("Rheinwerk GmbH", "rheinwerk.de", ("de", "en"), 60),
    Company("Vilniaus Duomenys", "duomenys.lt", ("lt", "en"), 120),
    Company("Øresund Analytics", "oresund.dk", ("da", "de", "en"), 60),
    Company("Helix Remote", "helix.example", ("en",), -300),
)

DEPARTMENTS: tuple[str, ...] = (
    "Engineering",
    "Product",
    "Sales",
    "Finance",
    "People",
    "Legal",
    "Operations",
    "Design",
)

GOALS: tuple[str, ...] = (
    "leadership",
    "public speaking",
    "negotiation",
    "career change",
    "people management",
    "system design",
    "machine learning",
    "data engineering",
    "product discovery",
    "stakeholder management",
    "writing",
    "work-life balance",
    "entrepreneurship",
    "finance for non-finance",
    "cloud architecture",
    "security",
    "hiring",
    "coaching",
    "strategy",
    "ux research",
    "sales engineering",
    "open source",
    "frontend",
    "mobile",
    "compliance",
    "agile delivery",
    "returning to work",
    "promotion readiness",
    "remote teams",
    "mentoring others",
    "conflict resolution",
    "time management",
    "personal branding",
    "technical debt",
    "budgeting",
    "diversity and inclusion",
)

FIRST_NAMES: tuple[str, ...] = (
    "Đorđe",
    "Jovana",
    "Милица",
    "Nikola",
    "Eglė",
    "Žydrūnas",
    "Rūta",
    "Špela",
    "Matej",
    "Nuša",
    "Søren",
    "Åse",
    "Mikkel",
    "Jürgen",
    "Björn",
    "Käthe",
    "Aleksandra",
    "Gintarė",
    "Marko",
    "Ida",
)

SURNAMES: tuple[str, ...] = (
    "Đorđević",
    "Petrović",
    "Јовановић",
    "Čiurlionytė",
    "Šimkus",
    "Žagar",
    "Kovačič",
    "Ærø",
    "Ørsted",
    "Groß",
    "Müller",
    "Kazlauskienė",
    "Novak",
    "Lindqvist",
    "Ilić",
)

REMOTE_OFFSETS: tuple[int, ...] = (-480, -300, 0, 60, 120, 330, 540)


@dataclass(frozen=True)
class SyntheticCohort:
    mentees: tuple[MenteeProfile, ...]
    mentors: tuple[MentorProfile, ...]
    past_pairs: frozenset[tuple[str, str]]


def _pick_goals(rng: np.random.Generator, low: int, high: int) -> tuple[str, ...]:
    # Zipf-like popularity: a few goals are common, most are niche.
    weights = 1.0 / np.arange(1, len(GOALS) + 1) ** 0.8
    count = int(rng.integers(low, high + 1))
    picked = rng.choice(len(GOALS), size=count, replace=False, p=weights / weights.sum())
    return tuple(GOALS[i] for i in picked)


@dataclass(frozen=True)
class _Basics:
    participant_id: str
    email: str
    domain: str
    company: str | None
    department: str | None
    languages: tuple[str, ...]
    utc_offset_minutes: int | None
    display_name: str


def _person(rng: np.random.Generator, prefix: str, index: int) -> _Basics:
    company = COMPANIES[int(rng.integers(len(COMPANIES)))]
    known = rng.random()
    languages = list(company.languages)
    if "en" in languages and rng.random() < 0.1:
        languages.remove("en")
    if rng.random() < 0.15:
        languages.append(str(rng.choice(["sr", "lt", "sl", "da", "de", "en"])))
    offset: int | None = company.utc_offset_minutes
    if rng.random() < 0.15:
        offset = int(rng.choice(REMOTE_OFFSETS))
    if rng.random() < 0.05:
        offset = None
    first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
    last = SURNAMES[int(rng.integers(len(SURNAMES)))]
    return _Basics(
        participant_id=f"{prefix}{index:06d}",
        email=f"{prefix}{index:06d}@{company.domain}",
        domain=company.domain,
        company=company.name if known > 0.03 else None,
        department=str(rng.choice(DEPARTMENTS)) if known > 0.06 else None,
        languages=tuple(languages),
        utc_offset_minutes=offset,
        display_name=f"{first} {last}",
    )


def generate_cohort(n_mentees: int, n_mentors: int, seed: int = 20240601) -> SyntheticCohort:
    """A reproducible cohort of ``n_mentees`` mentees and ``n_mentors`` mentors (plus a few duplicates)."""
    rng = np.random.default_rng(seed)
    mentor_rows = [_person(rng, "r", j) for j in range(n_mentors)]
    mentee_rows = [_person(rng, "e", i) for i in range(n_mentees)]
    mentor_emails = [row.email for row in mentor_rows]
    mentor_ids = [row.participant_id for row in mentor_rows]
    popularity = 1.0 / np.arange(1, n_mentors + 1) ** 0.6 if n_mentors else np.zeros(0)
    popularity = rng.permutation(popularity)

    mentors: list[MentorProfile] = []
    for row in mentor_rows:
        seniority = None if rng.random() < 0.05 else int(rng.integers(4, 11))
        chain: tuple[str, ...] = ()
        if rng.random() < 0.2 and n_mentees:
            chain = tuple(f"e{int(i):06d}@{row.domain}" for i in rng.integers(0, n_mentees, size=2))
        mentors.append(
            MentorProfile(
                participant_id=row.participant_id,
                email=row.email,
                company=row.company,
                department=row.department,
                manager_chain=chain,
                languages=row.languages,
                utc_offset_minutes=row.utc_offset_minutes,
                seniority=seniority,
                tags=_pick_goals(rng, 2, 8),
                capacity=int(rng.integers(1, 5)),
                priority=int(rng.choice([0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                display_name=row.display_name,
            )
        )

    mentees: list[MenteeProfile] = []
    past_pairs: set[tuple[str, str]] = set()
    for row in mentee_rows:
        seniority = None if rng.random() < 0.05 else int(rng.integers(1, 8))
        ranked: tuple[str, ...] = ()
        n_ranked = min(int(rng.integers(0, 4)), n_mentors)
        if n_ranked:
            picks = rng.choice(n_mentors, size=n_ranked, replace=False, p=popularity / popularity.sum())
            ranked = tuple(mentor_ids[int(j)] for j in picks)
        chain = ()
        if rng.random() < 0.25 and n_mentors:
            bosses = [mentor_emails[int(j)] for j in rng.integers(0, n_mentors, size=int(rng.integers(1, 4)))]
            chain = (*bosses, f"ceo@{row.domain}")
        if rng.random() < 0.03 and n_mentors:
            past_pairs.add((row.participant_id, mentor_ids[int(rng.integers(n_mentors))]))
        mentees.append(
            MenteeProfile(
                participant_id=row.participant_id,
                email=row.email,
                company=row.company,
                department=row.department,
                manager_chain=chain,
                languages=row.languages,
                utc_offset_minutes=row.utc_offset_minutes,
                seniority=seniority,
                tags=_pick_goals(rng, 1, 5),
                ranked_mentor_ids=ranked,
                priority=int(rng.choice([0] * 17 + [1, 1, 2])),
                display_name=row.display_name,
            )
        )

    # A few people registered twice under a new id with the same e-mail.
    for source in rng.choice(n_mentees, size=min(n_mentees, n_mentees // 500), replace=False):
        original = mentees[int(source)]
        mentees.append(
            MenteeProfile(
                participant_id=f"x{original.participant_id}",
                email=original.email.upper(),
                languages=original.languages,
                tags=original.tags,
                display_name=original.display_name,
            )
        )
    return SyntheticCohort(tuple(mentees), tuple(mentors), frozenset(past_pairs))


def _own_words(participant_id: str) -> tuple[str, str]:
    return (f"{participant_id} in my own words", f"what {participant_id} also wants")


def shaped_cohort(
    n_mentees: int,
    n_mentors: int,
    seed: int = 20240601,
    *,
    capacity: int | None = None,
    tied: bool = False,
    free_text: bool = False,
    bare: bool = False,
    classes: bool = False,
) -> SyntheticCohort:
    """``generate_cohort`` bent into the shapes coordinators produce through the API.

    ``capacity`` gives every mentor that many places; ``tied`` keeps only an e-mail and
    one shared language (a form asking nothing else), so every pair scores the same;
    ``free_text`` adds two goals per person typed in their own words (shared with
    nobody); ``bare`` drops goals and ranked choices; ``classes`` keeps only a seniority
    of five levels and one of a few time zones (a form asking a level from a list and a
    city), so scores tie within 15 x 10 classes of people.
    """
    cohort = generate_cohort(n_mentees, n_mentors, seed)
    mentors = list(cohort.mentors)
    mentees = list(cohort.mentees)
    past_pairs = cohort.past_pairs
    if capacity is not None:
        mentors = [replace(p, capacity=capacity) for p in mentors]
    if tied:
        blank = dict(
            company=None,
            department=None,
            manager_chain=(),
            languages=("en",),
            utc_offset_minutes=None,
            seniority=None,
            tags=(),
            priority=0,
        )
        mentors = [replace(p, **blank) for p in mentors]  # type: ignore[arg-type]
        mentees = [replace(p, ranked_mentor_ids=(), **blank) for p in mentees]  # type: ignore[arg-type]
        past_pairs = frozenset()
    if free_text:
        mentors = [replace(p, tags=(*p.tags, *_own_words(p.participant_id))) for p in mentors]
        mentees = [replace(p, tags=(*p.tags, *_own_words(p.participant_id))) for p in mentees]
    if bare:
        mentors = [replace(p, tags=()) for p in mentors]
        mentees = [replace(p, tags=(), ranked_mentor_ids=()) for p in mentees]
    if classes:
        plain = dict(company=None, department=None, manager_chain=(), languages=("en",), tags=(), priority=0)
        mentors = [
            replace(p, seniority=3 + j % 5, utc_offset_minutes=60 * (j % 2), **plain)  # type: ignore[arg-type]
            for j, p in enumerate(mentors)
        ]
        mentees = [
            replace(p, seniority=i % 5, utc_offset_minutes=60 * (i % 3), ranked_mentor_ids=(), **plain)  # type: ignore[arg-type]
            for i, p in enumerate(mentees)
        ]
        past_pairs = frozenset()
    return SyntheticCohort(tuple(mentees), tuple(mentors), past_pairs)

"""Specification of a programme at the largest scale we support: 20,000 participants in one round."""

from __future__ import annotations

import random

import pytest

from chalicelib.domain.pair import PairStatus
from chalicelib.domain.participant import Participant, ParticipantStatus, Profile, Role
from chalicelib.services import matching

from .scene import NOW, TENANT, Scene

PEOPLE = 20_000
GOALS = [f"goal {n}" for n in range(40)]
ZONES = ["Europe/Belgrade", "Europe/Vilnius", "Europe/Ljubljana", "Europe/Copenhagen", "UTC"]


@pytest.mark.slow
def test_a_twenty_thousand_person_round_is_queued_and_matched_in_one_job_run_filling_every_place(scene: Scene) -> None:
    # GIVEN 14,000 mentees and 6,000 mentors offering one to three places each
    rng = random.Random(2026)
    places = 0
    for n in range(PEOPLE):
        role = Role.MENTOR if n % 10 < 3 else Role.MENTEE
        capacity = rng.randint(1, 3) if role is Role.MENTOR else None
        places += capacity or 0
        profile = Profile(
            role=role,
            email=f"person{n}@example.org",
            name=f"Person {n}",
            languages=["en"],
            seniority=rng.randint(0, 15),
            tags=rng.sample(GOALS, 3),
            capacity=capacity,
            company=f"Company {rng.randint(0, 50)}",
            timezone=rng.choice(ZONES),
        )
        scene.storage.participants.save(
            Participant(
                participant_id=f"par_{n:05d}",
                tenant_id=TENANT,
                programme_id=scene.programme_id,
                profile=profile,
                status=ParticipantStatus.ACCEPTED,
                created_at=NOW,
                updated_at=NOW,
            )
        )

    # WHEN the round is asked for through the API, which queues a cohort this large, and the
    # matching job runs what was queued
    asked = scene.run()
    assert asked.run.status == "queued"
    done = matching.run_queued_matching(scene.storage, scene.notifier, scene.clock)

    # THEN every place is proposed once, and everyone else waits with priority
    assert done["runs"] == 1
    stored = scene.storage.runs.get(TENANT, scene.programme_id, asked.run.run_id)
    assert stored is not None
    assert stored.status == "done"
    assert stored.figures is not None
    assert stored.figures.mentees == 14_000
    assert stored.figures.mentors == 6_000
    assert len(stored.pair_ids) == min(places, 14_000)
    pairs = scene.storage.pairs.list(TENANT, scene.programme_id, status=PairStatus.PROPOSED)
    assert len({p.mentee_id for p in pairs}) == len(pairs) == len(stored.pair_ids)
    waiting, cursor = 0, None
    while True:
        page = scene.storage.participants.list(
            TENANT, scene.programme_id, status=ParticipantStatus.WAITLISTED, cursor=cursor
        )
        waiting += len(page.items)
        if (cursor := page.next_cursor) is None:
            break
    assert waiting == 14_000 - len(pairs)

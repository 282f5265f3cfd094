"""Specification: a mentee's ranked topics and ranked mentors are two lists, and old single lists are split."""

from __future__ import annotations

from chalicelib.domain.participant import Profile, Role


def test_an_old_ranked_list_reads_as_mentors_where_it_names_people_and_as_topics_elsewhere() -> None:
    # GIVEN a profile stored before the split, ranking a mentor by e-mail, one by id, and two topics
    stored = {
        "role": "mentee",
        "email": "ona@example.lt",
        "name": "Ona Čiurlionytė",
        "ranked_preferences": ["Leadership", "soren@example.dk", "par_5f2c", "Public speaking"],
    }

    # WHEN it is read
    profile = Profile.model_validate(stored)

    # THEN the people are ranked mentors and the rest ranked topics, each list in its order
    assert profile.ranked_mentors == ["soren@example.dk", "par_5f2c"]
    assert profile.ranked_topics == ["Leadership", "Public speaking"]
    assert "ranked_preferences" not in profile.model_dump()


def test_new_profiles_keep_ranked_topics_and_mentors_apart() -> None:
    # GIVEN / WHEN a mentee ranks topics and mentors separately
    profile = Profile(
        role=Role.MENTEE,
        email="ona@example.lt",
        name="Ona Čiurlionytė",
        ranked_topics=["Vadovavimas"],
        ranked_mentors=["soren@example.dk"],
    )

    # THEN each list is what was given
    assert (profile.ranked_topics, profile.ranked_mentors) == (["Vadovavimas"], ["soren@example.dk"])

"""Specification of the mapping templates shipped under ``integrations/``: valid, complete, and fitting the kits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.forms.mapping import FieldMapping, apply_mapping
from chalicelib.domain.participant import Profile, Role
from chalicelib.webhooks.sources.standard import parse_standard
from tests.support.events import INTEGRATIONS, load_event

if TYPE_CHECKING:
    from pathlib import Path

PLATFORMS = ("typeform", "tally", "jotform", "google-forms", "microsoft-forms")
TEMPLATES = sorted(INTEGRATIONS.glob("*/mapping.*.json"))


@pytest.mark.parametrize("path", TEMPLATES, ids=[f"{p.parent.name}/{p.name}" for p in TEMPLATES])
def test_every_mapping_template_is_a_valid_field_mapping(path: Path) -> None:
    mapping = FieldMapping.model_validate_json(path.read_text(encoding="utf-8"))
    expected_role = Role.MENTOR if "mentor" in path.name else Role.MENTEE
    assert mapping.role.constant == expected_role.value
    assert mapping.consent.required


def test_every_platform_has_a_mentor_and_a_mentee_signup_template() -> None:
    found = {(p.parent.name, p.name) for p in TEMPLATES}
    for platform in PLATFORMS:
        assert (platform, "mapping.mentor-signup.json") in found
        assert (platform, "mapping.mentee-signup.json") in found


def test_the_google_forms_mentor_template_fits_what_the_kit_posts() -> None:
    # GIVEN the mentor template and a response as the Google Forms kit posts it
    mapping = FieldMapping.model_validate_json(
        (INTEGRATIONS / "google-forms" / "mapping.mentor-signup.json").read_text(encoding="utf-8")
    )
    submission = parse_standard(load_event("standard_form.submitted_google_forms_mentor.json"), source="google-forms")

    # WHEN applied
    profile = apply_mapping(submission, mapping)

    # THEN it gives the mentor's profile
    assert isinstance(profile, Profile), profile
    assert profile.model_dump(exclude={"consent"}) == {
        "role": Role.MENTOR,
        "email": "djordje.djordjevic@example.rs",
        "name": "Đorđe Đorđević",
        "language": "sr",
        "timezone": "Europe/Belgrade",
        "company": "Kulturni centar Beograd",
        "department": None,
        "manager_email": None,
        "seniority": 12,
        "tags": ["Leadership", "Public speaking", "Fundraising"],
        "languages": ["sr", "en"],
        "capacity": 2,
        "ranked_topics": [],
        "ranked_mentors": [],
        "goals": None,
    }
    assert profile.consent is not None
    assert profile.consent.given

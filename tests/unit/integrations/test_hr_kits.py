"""The HR and CRM kits' connector templates are what the admin API takes, and read what the vendors send."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.sync import PROFILE_FIELDS, map_person
from chalicelib.sync.connectors import PUSHES, SOURCES
from chalicelib.sync.service import ConnectorSettings
from tests.support.events import INTEGRATIONS
from tests.support.hr_vendors import VENDORS, Employee

KITS = INTEGRATIONS
VENDOR_KITS = sorted(vendor.value for vendor in (*SOURCES, *PUSHES))


@pytest.mark.parametrize("vendor", VENDOR_KITS)
def test_each_kit_has_a_readme_and_a_connector_template_the_api_accepts(vendor: str) -> None:
    # GIVEN the kit's template
    template = json.loads((KITS / vendor / "connector.json").read_text(encoding="utf-8"))

    # WHEN it is read as the admin API reads a connector
    settings = ConnectorSettings.model_validate(template)

    # THEN it is for that vendor, names its credential where the prod stage may read, with a README beside it
    assert settings.vendor.value == vendor
    assert settings.credentials.readable_in("prod")
    assert (KITS / vendor / "README.md").is_file()


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_each_pulling_kits_mapping_reads_a_person_as_the_vendor_sends_them(vendor: str) -> None:
    # GIVEN the kit's mapping and a person in the vendor's own shape (as the test fakes render them)
    settings = ConnectorSettings.model_validate_json((KITS / vendor / "connector.json").read_text(encoding="utf-8"))
    fake = VENDORS[vendor]()
    person = Employee(7, "Eglė", "Kazlauskienė", "egle@kcb.lt", department="Muzika", manager_email="jonas@kcb.lt")
    fake.hire(person)
    record = fake.render(person, {"manager", "team", "work_location"}) if vendor == "merge" else fake.render(person)  # type: ignore[attr-defined]

    # WHEN the kit's mapping reads it
    mapped = map_person(record, settings.mapping)

    # THEN the e-mail, name, department, manager and start date come through
    assert mapped is not None
    assert (mapped.email, mapped.name, mapped.department) == ("egle@kcb.lt", "Eglė Kazlauskienė", "Muzika")
    assert mapped.manager_email == "jonas@kcb.lt"
    assert mapped.start_date is not None
    assert set(settings.mapping.model_fields_set) <= {*PROFILE_FIELDS, "inactive_statuses"}

"""The admin API v1 as a coordinator's tools use it: auth, tenancy, programmes, participants, endpoints, keys."""

from __future__ import annotations

import json

from tests.support.world import V1, World


def test_openapi_document_is_served_without_a_key_and_describes_every_operation(world: World) -> None:
    # WHEN
    response = world.client.http.get(f"{V1}/openapi.json")
    # THEN
    assert response.status_code == 200
    document = response.json_body
    assert document["openapi"].startswith("3.")
    assert "post" in document["paths"]["/api/v1/programmes"]
    assert "Programme" in document["components"]["schemas"]
    assert document["paths"]["/api/v1/programmes"]["get"]["security"] == [{"bearer": []}]


def test_requests_without_a_valid_key_are_refused_with_401(world: World) -> None:
    # GIVEN
    world.tenant()
    # WHEN
    missing = world.client.http.get(f"{V1}/programmes")
    wrong = world.client.http.get(f"{V1}/programmes", headers={"Authorization": "Bearer mf_not-a-key"})
    # THEN
    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert wrong.json_body["error"] == "unauthorized"


def test_a_programme_is_created_read_listed_and_updated_with_its_version(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    # WHEN
    created = coordinator.post(
        f"{V1}/programmes",
        {
            "name": "Kreativni mentorski ciklus 2026/27",
            "languages": ["sr", "en"],
            "default_language": "sr",
            "timezone": "Europe/Belgrade",
            "milestones": [{"kind": "mentor_gathering", "date": "2027-02-15", "title": "Susret mentora"}],
        },
    )
    programme_id = created.json_body["programme_id"]
    updated = coordinator.patch(
        f"{V1}/programmes/{programme_id}", {"meeting_cadence_days": 21, "version": created.json_body["version"]}
    )
    listed = coordinator.get(f"{V1}/programmes")
    # THEN
    assert created.status_code == 201
    assert updated.status_code == 200
    assert updated.json_body["meeting_cadence_days"] == 21
    assert updated.json_body["name"] == "Kreativni mentorski ciklus 2026/27"
    assert [p["programme_id"] for p in listed.json_body["items"]] == [programme_id]
    stored = world.storage.programmes.get(coordinator.tenant_id, programme_id)
    assert stored is not None
    assert stored.milestones[0].title == "Susret mentora"


def test_an_update_sent_with_a_stale_version_is_a_409_and_changes_nothing(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    first = coordinator.patch(f"{V1}/programmes/{programme_id}", {"meeting_cadence_days": 14, "version": 1})
    # WHEN
    stale = coordinator.patch(f"{V1}/programmes/{programme_id}", {"meeting_cadence_days": 60, "version": 1})
    # THEN
    assert first.status_code == 200
    assert stale.status_code == 409
    assert stale.json_body["error"] == "version_conflict"
    assert world.storage.programmes.get(coordinator.tenant_id, programme_id).meeting_cadence_days == 14  # type: ignore[union-attr]


def test_unknown_fields_are_rejected_and_named(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    # WHEN
    response = coordinator.post(f"{V1}/programmes", {"name": "Onboarding", "cadence": 14})
    # THEN
    assert response.status_code == 400
    assert response.json_body["error"] == "invalid_request"
    assert "cadence" in response.json_body["message"]
    assert world.storage.programmes.list(coordinator.tenant_id) == []


def test_invalid_values_are_rejected_with_the_field_named(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    # WHEN
    response = coordinator.post(f"{V1}/programmes", {"name": "Onboarding", "timezone": "Mars/Olympus"})
    # THEN
    assert response.status_code == 400
    assert "timezone" in response.json_body["message"]


def test_malformed_json_oversized_bodies_and_other_content_types_get_clear_errors(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    headers = coordinator.headers()
    # WHEN
    malformed = world.client.http.post(f"{V1}/programmes", headers=headers, body='{"name": "Onbo')
    oversized = world.client.http.post(f"{V1}/programmes", headers=headers, body=json.dumps({"name": "x" * 2_000_000}))
    wrong_type = world.client.http.post(
        f"{V1}/programmes", headers={**headers, "Content-Type": "text/plain"}, body="name=Onboarding"
    )
    # THEN
    assert (malformed.status_code, malformed.json_body["error"]) == (400, "invalid_request")
    assert (oversized.status_code, oversized.json_body["error"]) == (413, "payload_too_large")
    assert (wrong_type.status_code, wrong_type.json_body["error"]) == (415, "unsupported_media_type")
    assert world.storage.programmes.list(coordinator.tenant_id) == []


def test_another_tenants_objects_answer_404_exactly_like_missing_ones(world: World) -> None:
    # GIVEN
    owner = world.tenant("Vilniaus kultūros centras")
    intruder = world.tenant("Another organisation")
    programme_id = owner.programme(name="Organizacinė mentorystė", languages=["lt"], default_language="lt")
    participant = owner.post(
        f"{V1}/programmes/{programme_id}/participants",
        {"profile": {"role": "mentee", "email": "ona@example.lt", "name": "Ona Čiurlionytė"}},
    ).json_body
    endpoint = owner.endpoint(programme_id).endpoint
    # WHEN
    answers = [
        intruder.get(f"{V1}/programmes/{programme_id}"),
        intruder.patch(f"{V1}/programmes/{programme_id}", {"name": "Taken over"}),
        intruder.get(f"{V1}/programmes/{programme_id}/participants"),
        intruder.get(f"{V1}/programmes/{programme_id}/participants/{participant['participant_id']}"),
        intruder.post(
            f"{V1}/programmes/{programme_id}/participants/{participant['participant_id']}/withdraw", {"reason": "x"}
        ),
        intruder.get(f"{V1}/endpoints/{endpoint.endpoint_id}"),
        intruder.post(f"{V1}/endpoints/{endpoint.endpoint_id}/rotate", {}),
        intruder.delete(f"{V1}/endpoints/{endpoint.endpoint_id}"),
        intruder.post(f"{V1}/endpoints", {"programme_id": programme_id, "source": "typeform"}),
    ]
    missing = intruder.get(f"{V1}/programmes/prg_does_not_exist")
    # THEN
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert {a.json_body["error"] for a in answers} == {"not_found"}
    assert missing.status_code == 404
    assert answers[0].json_body["message"] == missing.json_body["message"]
    assert world.storage.programmes.get(owner.tenant_id, programme_id).name == "Organizacinė mentorystė"  # type: ignore[union-attr]
    assert world.storage.endpoints.get(endpoint.endpoint_id) is not None
    assert intruder.get(f"{V1}/programmes").json_body["items"] == []
    assert intruder.get(f"{V1}/endpoints").json_body["items"] == []


def test_participants_keep_names_in_any_script_and_emails_are_normalised(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    # WHEN
    created = [
        coordinator.post(f"{V1}/programmes/{programme_id}/participants", {"profile": profile}).json_body
        for profile in (
            {"role": "mentor", "email": "  Dragana.DJORDJEVIC@Example.RS ", "name": "Dragana Đorđević", "capacity": 2},
            {"role": "mentee", "email": "ona@example.lt", "name": "Ona Čiurlionytė"},
            {"role": "mentee", "email": "soren@example.dk", "name": "Søren Ærø"},
        )
    ]
    duplicate = coordinator.post(
        f"{V1}/programmes/{programme_id}/participants",
        {"profile": {"role": "mentee", "email": "DRAGANA.djordjevic@example.rs", "name": "Dragana"}},
    )
    # THEN
    assert [p["profile"]["name"] for p in created] == ["Dragana Đorđević", "Ona Čiurlionytė", "Søren Ærø"]
    assert created[0]["profile"]["email"] == "dragana.djordjevic@example.rs"
    assert duplicate.status_code == 409
    fetched = coordinator.get(f"{V1}/programmes/{programme_id}/participants/{created[2]['participant_id']}")
    assert fetched.json_body["profile"]["name"] == "Søren Ærø"


def test_participants_are_listed_by_status_and_role_in_pages(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    for index in range(5):
        coordinator.post(
            f"{V1}/programmes/{programme_id}/participants",
            {"profile": {"role": "mentee", "email": f"mentee{index}@example.si", "name": f"Mentee Žagar {index}"}},
        )
    withdrawn = coordinator.post(
        f"{V1}/programmes/{programme_id}/participants",
        {"profile": {"role": "mentor", "email": "mentor@example.si", "name": "Mentor Šuštar"}},
    ).json_body
    coordinator.post(
        f"{V1}/programmes/{programme_id}/participants/{withdrawn['participant_id']}/withdraw",
        {"reason": "moved abroad"},
    )
    # WHEN
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "?status=accepted&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = coordinator.get(f"{V1}/programmes/{programme_id}/participants{query}").json_body
        seen += [p["profile"]["email"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    withdrawn_list = coordinator.get(f"{V1}/programmes/{programme_id}/participants?status=withdrawn").json_body
    bad_filter = coordinator.get(f"{V1}/programmes/{programme_id}/participants?status=sleeping")
    # THEN
    assert sorted(seen) == [f"mentee{i}@example.si" for i in range(5)]
    assert pages >= 3
    assert [p["participant_id"] for p in withdrawn_list["items"]] == [withdrawn["participant_id"]]
    assert withdrawn_list["items"][0]["history"][-1]["reason"] == "moved abroad"
    assert bad_filter.status_code == 400
    assert "status" in bad_filter.json_body["message"]


def test_withdrawing_twice_is_an_illegal_transition_not_a_silent_overwrite(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    person = coordinator.post(
        f"{V1}/programmes/{programme_id}/participants",
        {"profile": {"role": "mentee", "email": "ana@example.rs", "name": "Ana Marković"}},
    ).json_body
    path = f"{V1}/programmes/{programme_id}/participants/{person['participant_id']}/withdraw"
    coordinator.post(path, {"reason": "changed jobs"})
    # WHEN
    again = coordinator.post(path, {"reason": "second try"})
    # THEN
    assert again.status_code == 409
    assert again.json_body["error"] == "illegal_transition"
    stored = world.storage.participants.get(coordinator.tenant_id, programme_id, person["participant_id"])
    assert stored is not None
    assert [h.reason for h in stored.history][-1] == "changed jobs"


def test_a_participant_update_with_a_stale_version_is_refused(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    person = coordinator.post(
        f"{V1}/programmes/{programme_id}/participants",
        {"profile": {"role": "mentor", "email": "ivan@example.si", "name": "Ivan Kovač", "capacity": 1}},
    ).json_body
    path = f"{V1}/programmes/{programme_id}/participants/{person['participant_id']}"
    # WHEN
    first = coordinator.patch(path, {"profile": {"capacity": 3}, "version": person["version"]})
    second = coordinator.patch(path, {"profile": {"capacity": 0}, "version": person["version"]})
    # THEN
    assert first.status_code == 200
    assert second.status_code == 409
    assert coordinator.get(path).json_body["profile"]["capacity"] == 3


def test_an_endpoint_shows_its_secret_once_and_rotation_keeps_the_old_one_for_a_grace_period(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    # WHEN
    created = coordinator.post(f"{V1}/endpoints", {"programme_id": programme_id, "source": "standard"})
    endpoint_id = created.json_body["endpoint"]["endpoint_id"]
    listed = coordinator.get(f"{V1}/endpoints")
    rotated = coordinator.post(f"{V1}/endpoints/{endpoint_id}/rotate", {"grace_hours": 2})
    # THEN
    assert created.status_code == 201
    assert created.json_body["secret"].startswith("whsec_")
    assert created.json_body["url"].endswith(f"/hooks/standard/{endpoint_id}")
    assert "secret" not in json.dumps(listed.json_body).replace("secrets_valid", "")
    stored = world.storage.endpoints.get(endpoint_id)
    assert stored is not None
    assert stored.valid_secrets(world.clock.now()) == [rotated.json_body["secret"], created.json_body["secret"]]
    from datetime import timedelta

    assert stored.valid_secrets(world.clock.now() + timedelta(hours=3)) == [rotated.json_body["secret"]]


def test_an_endpoint_for_an_unknown_source_or_programme_is_rejected(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    # WHEN
    unknown_source = coordinator.post(f"{V1}/endpoints", {"programme_id": programme_id, "source": "fax"})
    unknown_programme = coordinator.post(f"{V1}/endpoints", {"programme_id": "prg_nope", "source": "tally"})
    # THEN
    assert unknown_source.status_code == 400
    assert "source" in unknown_source.json_body["message"]
    assert unknown_programme.status_code == 404


def test_deleting_an_endpoint_stops_its_url_from_accepting_anything(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "standard")
    # WHEN
    deleted = coordinator.delete(f"{V1}/endpoints/{issued.endpoint.endpoint_id}")
    posted = world.client.http.post(
        f"/hooks/standard/{issued.endpoint.endpoint_id}", headers={"Content-Type": "application/json"}, body="{}"
    )
    # THEN
    assert deleted.status_code == 200
    assert posted.status_code == 404


def test_api_keys_are_created_listed_without_secrets_and_revoked(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    # WHEN
    created = coordinator.post(f"{V1}/keys", {"name": "reporting"})
    new_key = created.json_body["secret"]
    listed = coordinator.get(f"{V1}/keys")
    revoked = coordinator.delete(f"{V1}/keys/{created.json_body['key']['key_id']}")
    with_revoked = world.client.http.get(f"{V1}/programmes", headers={"Authorization": f"Bearer {new_key}"})
    # THEN
    assert created.status_code == 201
    assert new_key not in json.dumps(listed.json_body)
    assert {k["name"] for k in listed.json_body["items"]} == {"bootstrap", "reporting"}
    assert revoked.json_body["revoked_at"] is not None
    assert with_revoked.status_code == 401
    assert coordinator.get(f"{V1}/programmes").status_code == 200


def test_the_openapi_document_is_a_valid_openapi_3_1_document(world: World) -> None:
    from openapi_spec_validator import validate

    # WHEN
    document = world.client.http.get(f"{V1}/openapi.json").json_body
    # THEN
    validate(document)
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert ("/api/v1/endpoints/{endpoint_id}/mapping", "put") in operations
    assert ("/api/v1/programmes/{programme_id}/participants", "get") in operations


def test_a_key_cannot_revoke_itself_so_nobody_locks_themselves_out(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    own_key_id = coordinator.get(f"{V1}/tenant").json_body["key_id"]
    # WHEN
    response = coordinator.delete(f"{V1}/keys/{own_key_id}")
    # THEN
    assert response.status_code == 409
    assert coordinator.get(f"{V1}/programmes").status_code == 200


def test_numbers_the_table_cannot_hold_are_refused_as_bad_input(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    # WHEN
    huge_weight = coordinator.post(
        f"{V1}/programmes", {"name": "Onboarding", "matching": {"weights": {"tags": 4.7e307}}}
    )
    huge_places = coordinator.post(f"{V1}/programmes", {"name": "Onboarding", "max_mentees": 10**40})
    # THEN
    assert huge_weight.status_code == 400
    assert "weights.tags" in huge_weight.json_body["message"]
    assert huge_places.status_code == 400
    assert world.storage.programmes.list(coordinator.tenant_id) == []


def test_ids_we_could_never_have_issued_answer_404_not_an_error(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    strange = "%E1%B9%B0%CC%BA%CC%BAo" + "x" * 2000
    # WHEN
    answers = [
        coordinator.get(f"{V1}/programmes/{strange}"),
        coordinator.post(f"{V1}/programmes/{strange}/matching-runs", {"dry_run": False}),
        coordinator.get(f"{V1}/endpoints/{strange}/deliveries/{'d' * 2000}/preview"),
        world.client.http.post(f"/hooks/standard/{strange}", headers={"Content-Type": "application/json"}, body="{}"),
    ]
    # THEN
    assert [a.status_code for a in answers] == [404, 404, 404, 404]


def test_blank_names_and_reasons_are_rejected_not_stored_empty(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    person = coordinator.post(
        f"{V1}/programmes/{programme_id}/participants",
        {"profile": {"role": "mentee", "email": "jonas@example.lt", "name": "Jonas Petraitis"}},
    ).json_body
    # WHEN
    blank_key = coordinator.post(f"{V1}/keys", {"name": "   "})
    blank_programme = coordinator.post(f"{V1}/programmes", {"name": "\u00a0"})
    blank_reason = coordinator.post(
        f"{V1}/programmes/{programme_id}/participants/{person['participant_id']}/withdraw", {"reason": "  "}
    )
    # THEN
    assert [blank_key.status_code, blank_programme.status_code, blank_reason.status_code] == [400, 400, 400]
    assert coordinator.get(f"{V1}/keys").status_code == 200
    assert (
        coordinator.get(f"{V1}/programmes/{programme_id}/participants/{person['participant_id']}").json_body["status"]
        == "accepted"
    )


def test_a_coordinator_enrolling_past_the_places_gets_a_waitlisted_mentee_told_once(world: World) -> None:
    # GIVEN a programme with one mentee place, taken
    coordinator = world.tenant()
    programme_id = coordinator.programme(max_mentees=1)
    path = f"{V1}/programmes/{programme_id}/participants"
    coordinator.post(path, {"profile": {"role": "mentee", "email": "ana@example.rs", "name": "Ana Marković"}})

    # WHEN the coordinator enrols a second mentee
    second = coordinator.post(
        path, {"profile": {"role": "mentee", "email": "ona@example.lt", "name": "Ona Čiurlionytė", "language": "lt"}}
    )

    # THEN the second is created waitlisted, and has one message: that they wait, in Lithuanian
    assert second.status_code == 201
    assert second.json_body["status"] == "waitlisted"
    told = world.storage.messages.for_participant(coordinator.tenant_id, second.json_body["participant_id"])
    assert [(m.template, m.language) for m in told] == [("waitlisted", "lt")]

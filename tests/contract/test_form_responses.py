"""Contract of FormResponseRepository: which participant a form response enrolled, per programme, with a TTL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.forms.submission import FormResponse
from chalicelib.errors import VersionConflict
from tests.support.builders import BELGRADE, at

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def response(participant_id: str, **fields: str) -> FormResponse:
    values = {
        "tenant_id": "ten_a",
        "programme_id": "prg_1",
        "source": "tally",
        "submission_id": "resp_7Yx",
        "participant_id": participant_id,
    }
    values.update(fields)
    return FormResponse(**values, expires_at=at(400).astimezone(BELGRADE))


def test_a_response_reads_back_per_tenant_programme_and_source(storage: Storage) -> None:
    # GIVEN a response of a Tally form saved for one programme
    saved = storage.form_responses.save(response("par_typo"))

    # WHEN it is read back, and from elsewhere
    found = storage.form_responses.get("ten_a", "prg_1", "tally", "resp_7Yx")

    # THEN it is there with its expiry, and nowhere else
    assert found == saved
    assert found is not None
    assert found.expires_at == at(400)
    assert storage.form_responses.get("ten_b", "prg_1", "tally", "resp_7Yx") is None
    assert storage.form_responses.get("ten_a", "prg_1", "typeform", "resp_7Yx") is None


def test_a_response_moves_to_the_corrected_participant_and_a_stale_write_is_refused(storage: Storage) -> None:
    # GIVEN a stored response
    first = storage.form_responses.save(response("par_typo"))

    # WHEN it is moved to the corrected participant, then an old copy is saved again
    storage.form_responses.save(first.model_copy(update={"participant_id": "par_fixed"}))

    # THEN the move stands and the stale write is refused
    with pytest.raises(VersionConflict):
        storage.form_responses.save(first.model_copy(update={"participant_id": "par_other"}))
    found = storage.form_responses.get("ten_a", "prg_1", "tally", "resp_7Yx")
    assert found is not None
    assert found.participant_id == "par_fixed"

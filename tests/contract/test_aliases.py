"""Contract of AliasRepository: one owner per address in a programme, listed per person and per programme."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.aliases import EmailAlias, alias_id_for
from tests.support.builders import at

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def alias(participant_id: str, email: str, *, programme_id: str = "prg_1") -> EmailAlias:
    return EmailAlias(
        alias_id=alias_id_for("ten_a", programme_id, email),
        tenant_id="ten_a", programme_id=programme_id, participant_id=participant_id, email=email, added_at=at(0)
    )


def test_an_address_is_an_alias_of_one_person_per_programme(storage: Storage) -> None:
    # GIVEN Ana's alias in one programme
    assert storage.aliases.add(alias("par_ana", "Ana.K@Gmail.example"))

    # WHEN Jonas claims the same address in that programme, and in another programme
    taken_here = storage.aliases.add(alias("par_jonas", "ana.k@gmail.example"))
    taken_elsewhere = storage.aliases.add(alias("par_jonas", "ana.k@gmail.example", programme_id="prg_2"))

    # THEN the first programme keeps Ana's, the other programme has its own
    assert not taken_here
    assert taken_elsewhere
    found = storage.aliases.get("ten_a", "prg_1", "ana.k@gmail.example")
    assert found is not None
    assert found.participant_id == "par_ana"
    assert storage.aliases.get("ten_b", "prg_1", "ana.k@gmail.example") is None


def test_aliases_are_listed_per_person_and_per_programme_by_address(storage: Storage) -> None:
    # GIVEN two aliases of Ana and one of Jonas, and one in another programme
    storage.aliases.add(alias("par_ana", "zana@home.example"))
    storage.aliases.add(alias("par_ana", "ana@work.example"))
    storage.aliases.add(alias("par_jonas", "jonas@home.example"))
    storage.aliases.add(alias("par_ana", "ana@other.example", programme_id="prg_2"))

    # WHEN they are listed
    of_ana = storage.aliases.of_participant("ten_a", "prg_1", "par_ana")
    of_programme = storage.aliases.of_programme("ten_a", "prg_1")

    # THEN each list holds its own, ordered by address
    assert [a.email for a in of_ana] == ["ana@work.example", "zana@home.example"]
    assert [a.email for a in of_programme] == ["ana@work.example", "jonas@home.example", "zana@home.example"]


def test_a_deleted_alias_is_gone_and_its_address_free_again(storage: Storage) -> None:
    # GIVEN Ana's alias
    storage.aliases.add(alias("par_ana", "ana@home.example"))
    stored = storage.aliases.get("ten_a", "prg_1", "ana@home.example")
    assert stored is not None

    # WHEN it is deleted
    storage.aliases.delete(stored)

    # THEN nobody's lists hold it and Jonas may take the address
    assert storage.aliases.of_participant("ten_a", "prg_1", "par_ana") == []
    assert storage.aliases.of_programme("ten_a", "prg_1") == []
    assert storage.aliases.add(alias("par_jonas", "ana@home.example"))

"""Which entities the table stores, under which ``entity_type``, and the complete item of each.

Each stored type registers itself from its own module, naming its model and the function
that gives an entity's key and index attributes:

.. code-block:: python

    @register_entity("participant", Participant)
    def participant_attributes(participant: Participant) -> dict[str, str]:
        return {PK: ..., SK: ..., GSI1PK: ..., GSI1SK: ...}

Item layout
-----------
* ``PK``/``SK`` always; ``GSI1PK``/``GSI1SK`` and ``GSI2PK``/``GSI2SK`` only while the
  entity must be found through that index (sparse), so a ``put_item`` of the new state
  is what takes an item out of an index.
* ``entity_type`` names the model, so an item can be read without knowing where it came from.
* Every other attribute is a field of the model, encoded by ``chalicelib.storage.codec``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.domain.common import DomainModel
from chalicelib.storage.codec import ENTITY_TYPE, PK, SK, clashing_fields, decode_fields, encode_fields

if TYPE_CHECKING:
    from collections.abc import Mapping

E = TypeVar("E", bound=DomainModel)
KeyAttributes = Callable[[E], dict[str, str]]


@dataclass(frozen=True)
class _Registration:
    entity_type: str
    model: type[DomainModel]
    key_attributes: Callable[[Any], dict[str, str]]


_BY_NAME: dict[str, _Registration] = {}
_BY_MODEL: dict[type[DomainModel], _Registration] = {}


def register_entity(entity_type: str, model: type[E]) -> Callable[[KeyAttributes[E]], KeyAttributes[E]]:
    """Decorate the function giving an entity's key and index attributes, so ``model`` is stored as ``entity_type``.

    The function returns ``PK`` and ``SK`` (from ``chalicelib.storage.keys``) plus each index's
    attributes only while the entity must be found through that index.

    Raises
    ------
    TypeError
        When the name or the model is registered already, or the model has fields named like
        attributes storage writes itself.
    """

    def register(key_attributes: KeyAttributes[E]) -> KeyAttributes[E]:
        clash = clashing_fields(model)
        if clash:
            raise TypeError(f"{model.__name__} has fields named like storage attributes: {sorted(clash)}")
        if entity_type in _BY_NAME or model in _BY_MODEL:
            raise TypeError(f"{entity_type!r} or {model.__name__} is registered already")
        registration = _Registration(entity_type, model, key_attributes)
        _BY_NAME[entity_type] = registration
        _BY_MODEL[model] = registration
        return key_attributes

    return register


def _registration_of(model: type[DomainModel]) -> _Registration:
    registration = _BY_MODEL.get(model)
    if registration is None:
        raise TypeError(f"{model.__name__} is not stored in the table")
    return registration


def key_attributes(entity: DomainModel) -> dict[str, str]:
    """Primary key plus the index attributes ``entity`` needs in its current state.

    Raises
    ------
    TypeError
        When ``entity`` is not a kind of record kept in the table.
    """
    return _registration_of(type(entity)).key_attributes(entity)


def key_of(entity: DomainModel) -> dict[str, str]:
    """The primary key (``PK``, ``SK``) of the item that stores ``entity``."""
    attributes = key_attributes(entity)
    return {PK: attributes[PK], SK: attributes[SK]}


def to_item(entity: DomainModel) -> dict[str, Any]:
    """The complete item for ``entity``, ready for ``Table.put_item``.

    Raises
    ------
    TypeError
        When ``entity`` is not a kind of record kept in the table, or holds a value DynamoDB cannot store.
    ValueError
        When a float is NaN or infinite, or the expiry time is naive.
    """
    registration = _registration_of(type(entity))
    item = encode_fields(entity)
    item.update(registration.key_attributes(entity))
    item[ENTITY_TYPE] = registration.entity_type
    return item


def from_item(item: Mapping[str, Any]) -> DomainModel:
    """The entity an item stores, chosen by its ``entity_type``.

    Raises
    ------
    ValueError
        When the item has no known ``entity_type``.
    pydantic.ValidationError
        When the stored attributes no longer fit the model.
    """
    entity_type = item.get(ENTITY_TYPE)
    registration = _BY_NAME.get(entity_type) if isinstance(entity_type, str) else None
    if registration is None:
        raise ValueError(f"item {item.get(PK)!r}/{item.get(SK)!r} has no known entity_type: {entity_type!r}")
    return registration.model.model_validate(decode_fields(item, registration.model))


def from_item_as(item: Mapping[str, Any], model: type[E]) -> E:
    """Like ``from_item``, for a caller that knows which model the item must hold.

    Raises
    ------
    TypeError
        When the item holds another kind of entity.
    """
    entity = from_item(item)
    if not isinstance(entity, model):
        raise TypeError(f"expected a {model.__name__} item, found {type(entity).__name__}")
    return entity

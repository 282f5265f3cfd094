"""Storage: mentorflow's one DynamoDB table, and an in-memory fake held to the same contract.

Layout
------
* ``keys`` — every key format and the access-pattern table (the one place for key strings).
* ``table`` — the table definition (key schema, GSIs, TTL) for deploy, local stack and tests.
* ``codec`` — the generic encoding of entity fields as attribute values.
* ``registry`` — ``register_entity``, and whole items (``to_item`` / ``from_item``) by ``entity_type``.
* ``base`` — ``DynamoRepository`` (versioned writes, create-once, queries, pages and cursors),
  ``VersionedStore`` (the fakes' table) and ``Page``.
* One module per stored type (``tenants``, ``programmes``, ``participants``, ``pairs``,
  ``meetings``, ``aliases``, ``mailbox_events``, ``match_runs``, ``endpoints``, ``deliveries``,
  ``messages``), each with that type's repository interface, item keys, DynamoDB repository
  and in-memory fake.
* ``repositories`` — the ``Storage`` aggregate services receive, ``dynamo_storage`` and
  ``in_memory_storage``.

Adding a stored type
--------------------
1. In ``keys.py``: the key functions of its items and indexes, and a row per access pattern
   in the module's table.
2. One module ``chalicelib/storage/<type>.py`` holding

   * the repository ABC: what services need, nothing about how it is stored;
   * a ``<type>_key(...)`` giving ``{PK, SK}`` from ``keys``, and the function giving an
     entity's key and index attributes, decorated ``@register_entity("<entity_type>", Model)``;
     an index's attributes appear only while the entity must be found through it (sparse);
   * ``Dynamo<Type>(DynamoRepository, <Type>Repository)`` built on ``_get``, ``_save``,
     ``_create``, ``_add_once``, ``_query``, ``_query_page`` and ``_delete``, with conditions
     from ``base.Key`` / ``base.Attr`` (boto3's own would load the SDK when services import);
   * ``InMemory<Type>(<Type>Repository)`` on ``VersionedStore``, listing in the same order.

   Fields are encoded by ``codec`` whatever the model holds, so a field added later needs no
   storage change; a field named like a storage attribute is refused at registration.
3. One line in ``Storage``:
   ``<name>: <Type>Repository = field(metadata=backends(Dynamo<Type>, InMemory<Type>))``.
4. One contract module ``tests/contract/test_<type>.py``; its tests take the ``storage``
   fixture and so run on the fake, on moto and on DynamoDB Local.

``tests/support/notes.py`` and ``tests/contract/test_new_type_recipe.py`` follow these steps
for a type that exists only in tests, without editing this package.
"""

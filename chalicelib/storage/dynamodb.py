"""The production backend: every repository on mentorflow's one DynamoDB table.

Each DynamoDB repository lives in its stored type's module; wiring code imports
``dynamo_storage`` from here.
"""

from __future__ import annotations

from chalicelib.storage.repositories import dynamo_storage

__all__ = ["dynamo_storage"]

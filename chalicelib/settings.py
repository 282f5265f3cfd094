"""Runtime configuration, read once from the environment and validated.

Only names, URLs and ARNs live in the environment (``.chalice/config.json`` per stage);
secrets belong to DynamoDB records or SSM and are fetched lazily where needed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = "local"
    table_name: str = Field(default="mentorflow-local", min_length=3)
    aws_region: str = "us-east-1"
    dynamodb_endpoint_url: str | None = None
    ses_endpoint_url: str | None = None
    # Unset: webhook URLs are built from the request (host and API Gateway stage). Set it for a custom domain.
    public_base_url: str | None = None
    sender_email: str = "mentorflow@example.org"
    email_channel: Literal["ses", "file"] = "ses"
    outbox_dir: str = ".data/outbox"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    raw_body_ttl_days: int = Field(default=14, ge=1)
    delivery_max_attempts: int = Field(default=8, ge=1)
    secret_rotation_grace_hours: int = Field(default=24, ge=0)
    log_level: str = "INFO"
    # Calendars: the KMS key sealing people's tokens, and the Secrets Manager secret with our OAuth clients.
    calendar_kms_key_id: str | None = None
    calendar_app_secret_arn: str | None = None
    # Where SES receiving stores messages sent to invite addresses (the receipt rule's S3 action).
    invite_bucket: str | None = None
    invite_prefix: str = "invitations/"
    # Keys that sign one-click links, newest first (rotation). Deployed stages name an SSM
    # SecureString holding them (comma-separated); the local stack and tests pass them directly.
    link_keys: str | None = Field(default=None, repr=False)
    link_keys_parameter: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        prefix = "MENTORFLOW_"
        values: dict[str, str] = {
            key[len(prefix) :].lower(): value for key, value in env.items() if key.startswith(prefix)
        }
        if "aws_region" not in values and env.get("AWS_DEFAULT_REGION"):
            values["aws_region"] = env["AWS_DEFAULT_REGION"]
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env(os.environ)

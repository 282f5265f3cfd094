"""Lazily built dependencies of the deployed app: settings, storage, notifier, channels, sources.

Nothing here runs at import time. Each Lambda container builds what it needs on the
first request and keeps it; tests install their own ``Container`` (in-memory storage,
a fixed clock, a recording e-mail channel) with ``use_container``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.clock import Clock, SystemClock
from chalicelib.errors import ConfigurationError
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.calendars.apis import CalendarApis, MailStore
    from chalicelib.domain.matching.budget import RunBudgets
    from chalicelib.notify.channels import EmailChannel
    from chalicelib.notify.outbox import Notifier
    from chalicelib.services.inbox import InboxPolicy
    from chalicelib.services.inbox.ports import ProcessingContext, SourceRegistry
    from chalicelib.services.links import LinkAction, LinkContext
    from chalicelib.storage.repositories import Storage


@dataclass
class Container:
    settings: Settings = field(default_factory=get_settings)
    clock: Clock = field(default_factory=SystemClock)
    _storage: Storage | None = None
    _channel: EmailChannel | None = None
    _sources: SourceRegistry | None = None
    _dynamodb_resource: Any = None
    _calendar_apis: CalendarApis | None = None
    _invite_mail: MailStore | None = None
    _link_keys: tuple[bytes, ...] | None = None
    _erasure_key: bytes | None = None
    _link_actions: Mapping[str, LinkAction] | None = None
    _matching_budgets: RunBudgets | None = None

    def dynamodb_resource(self) -> Any:
        if self._dynamodb_resource is None:
            import boto3

            self._dynamodb_resource = boto3.resource(
                "dynamodb",
                region_name=self.settings.aws_region,
                endpoint_url=self.settings.dynamodb_endpoint_url,
            )
        return self._dynamodb_resource

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            from chalicelib.storage.endpoints import CachedEndpoints
            from chalicelib.storage.programmes import CachedProgrammes
            from chalicelib.storage.repositories import dynamo_storage

            storage = dynamo_storage(self.dynamodb_resource().Table(self.settings.table_name))
            # Kept for the life of the warm Lambda: every webhook request reads its endpoint,
            # every meeting notification its programme.
            storage.endpoints = CachedEndpoints(storage.endpoints)
            storage.programmes = CachedProgrammes(storage.programmes)
            self._storage = storage
        return self._storage

    @property
    def matching_budgets(self) -> RunBudgets:
        """What a matching run may use in an API call and in the matching job."""
        if self._matching_budgets is None:
            from chalicelib.domain.matching.budget import RunBudgets

            self._matching_budgets = RunBudgets()
        return self._matching_budgets

    @property
    def notifier(self) -> Notifier:
        from chalicelib.notify.outbox import Notifier
        from chalicelib.services.links import link_signer

        settings, base_url = self.settings, self.settings.public_base_url
        has_keys = bool(settings.link_keys or settings.link_keys_parameter)
        # Without a public address or keys no link can be made; messages then say whom to answer instead.
        links = link_signer(lambda: self.link_keys, self.clock, base_url) if base_url and has_keys else None
        return Notifier(self.storage.messages, self.clock, links=links)

    @property
    def channel(self) -> EmailChannel:
        if self._channel is None:
            from chalicelib.notify.channels import channel_from_settings

            self._channel = channel_from_settings(self.settings)
        return self._channel

    @property
    def sources(self) -> SourceRegistry:
        if self._sources is None:
            from chalicelib.registry import source_registry

            self._sources = source_registry()
        return self._sources

    @property
    def calendar_apis(self) -> CalendarApis:
        if self._calendar_apis is None:
            from chalicelib.calendars.apis import CalendarApis, Http, Secrets, TokenVault

            region = self.settings.aws_region
            self._calendar_apis = CalendarApis(
                http=Http(),
                vault=TokenVault(self.settings.calendar_kms_key_id, region),
                secrets=Secrets(region),
                public_base_url=self.settings.public_base_url,
                app_secret_arn=self.settings.calendar_app_secret_arn,
            )
        return self._calendar_apis

    @property
    def invite_mail(self) -> MailStore:
        if self._invite_mail is None:
            from chalicelib.calendars.apis import MailStore

            settings = self.settings
            self._invite_mail = MailStore(settings.invite_bucket, settings.invite_prefix, settings.aws_region)
        return self._invite_mail

    def _secure_parameter(self, name: str | None) -> str | None:
        """A deployed secret: the value of the SSM SecureString ``name`` (None when no name is set)."""
        if not name:
            return None
        import boto3

        ssm = boto3.client("ssm", region_name=self.settings.aws_region)
        return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])

    @property
    def link_keys(self) -> tuple[bytes, ...]:
        """The keys one-click links are signed with (first) and accepted with (all); read once per container."""
        if self._link_keys is None:
            text = self.settings.link_keys or self._secure_parameter(self.settings.link_keys_parameter)
            keys = tuple(part.strip().encode("utf-8") for part in (text or "").split(",") if part.strip())
            if not keys:
                raise ConfigurationError("no link signing key: set MENTORFLOW_LINK_KEYS(_PARAMETER)")
            self._link_keys = keys
        return self._link_keys

    @property
    def erasure_key(self) -> bytes:
        """The key of erasure tombstones' hashes; read once per container, like the link keys."""
        if self._erasure_key is None:
            from chalicelib.services.erasures import LOCAL_KEY

            text = self.settings.erasure_key or self._secure_parameter(self.settings.erasure_key_parameter)
            if not text and self.settings.stage != "local":
                raise ConfigurationError("no erasure key: set MENTORFLOW_ERASURE_KEY(_PARAMETER)")
            self._erasure_key = text.encode("utf-8") if text else LOCAL_KEY
        return self._erasure_key

    @property
    def link_actions(self) -> Mapping[str, LinkAction]:
        if self._link_actions is None:
            from chalicelib.registry import LINK_ACTIONS

            self._link_actions = {action.name: action for action in LINK_ACTIONS}
        return self._link_actions

    @property
    def links(self) -> LinkContext:
        from chalicelib.services.links import LinkContext

        return LinkContext(storage=self.storage, notifier=self.notifier, clock=self.clock)

    @property
    def processing(self) -> ProcessingContext:
        from chalicelib.services.inbox.ports import ProcessingContext

        return ProcessingContext(
            storage=self.storage, notifier=self.notifier, clock=self.clock, erasure_key=self.erasure_key
        )

    @property
    def inbox_policy(self) -> InboxPolicy:
        from chalicelib.services.inbox import InboxPolicy

        return InboxPolicy(
            max_body_bytes=self.settings.max_body_bytes,
            max_attempts=self.settings.delivery_max_attempts,
            raw_body_ttl=timedelta(days=self.settings.raw_body_ttl_days),
            attention_ttl=timedelta(days=self.settings.attention_retention_days),
        )


_container: Container | None = None


def get_container() -> Container:
    global _container
    if _container is None:
        _container = Container()
    return _container


def use_container(container: Container | None) -> None:
    """Install the container every route and job uses (tests, the CLI and the local stack)."""
    global _container
    _container = container

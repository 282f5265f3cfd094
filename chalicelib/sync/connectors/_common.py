"""What every connector module shares: required settings and credential parts, named in errors by name only."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.sync import SyncConnector
from chalicelib.sync.http import VendorError


def setting(connector: SyncConnector, name: str) -> str:
    """A required vendor setting.

    Raises
    ------
    VendorError
        The connector was configured without it.
    """
    value = connector.settings.get(name)
    if not value:
        raise VendorError(f"the {connector.vendor.value} connector needs the setting {name!r}")
    return value


def secret(credentials: Mapping[str, str], *names: str) -> str:
    """The first named credential part present (``token`` is what a plain secret holds)."""
    for name in names:
        if credentials.get(name):
            return credentials[name]
    raise VendorError(f"the credential has none of {', '.join(names)}")


def page_size(connector: SyncConnector, default: int) -> int:
    """The page size a connector asks for: its ``page_size`` setting, else the vendor's usual one."""
    text = connector.settings.get("page_size")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise VendorError("the setting 'page_size' must be a whole number from 1 to 1000")
    return int(text)

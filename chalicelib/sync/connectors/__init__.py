"""One module per vendor, each turning a connector's settings and credentials into a ``PeopleSource`` or a push.

``build_source`` is the one place that knows which module serves which ``Vendor``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from chalicelib.domain.sync import SyncConnector, Vendor
from chalicelib.sync.connectors import bamboohr, hibob, hubspot, merge, personio, salesforce, workday
from chalicelib.sync.http import VendorError, VendorHttp
from chalicelib.sync.ports import PeopleSource, StatusPush

SourceBuilder = Callable[[SyncConnector, VendorHttp, Mapping[str, str]], PeopleSource]
PushBuilder = Callable[[SyncConnector, VendorHttp, Mapping[str, str]], StatusPush]
# A CRM's records named by a webhook, read by id: the pull of a contact change.
ContactsBuilder = Callable[[SyncConnector, VendorHttp, Mapping[str, str], Sequence[str]], PeopleSource]

SOURCES: dict[Vendor, SourceBuilder] = {
    Vendor.BAMBOOHR: bamboohr.BambooHrSource,
    Vendor.HIBOB: hibob.HiBobSource,
    Vendor.PERSONIO: personio.PersonioSource,
    Vendor.WORKDAY: workday.WorkdaySource,
    Vendor.MERGE: merge.MergeSource,
}


PUSHES: dict[Vendor, PushBuilder] = {
    Vendor.HUBSPOT: hubspot.HubSpotPush,
    Vendor.SALESFORCE: salesforce.SalesforcePush,
}


CONTACTS: dict[Vendor, ContactsBuilder] = {
    Vendor.HUBSPOT: hubspot.HubSpotContacts,
    Vendor.SALESFORCE: salesforce.SalesforceRecords,
}


def build_source(connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]) -> PeopleSource:
    """The people source of ``connector``'s vendor.

    Raises
    ------
    VendorError
        The vendor has no people to pull (a CRM that is only pushed to).
    """
    builder = SOURCES.get(connector.vendor)
    if builder is None:
        raise VendorError(f"{connector.vendor.value} is a push-only connector")
    return builder(connector, http, credentials)


def build_push(connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]) -> StatusPush:
    """The status push of ``connector``'s vendor.

    Raises
    ------
    VendorError
        The vendor takes no status (an HR system that is only read).
    """
    builder = PUSHES.get(connector.vendor)
    if builder is None:
        raise VendorError(f"{connector.vendor.value} takes no programme status")
    return builder(connector, http, credentials)

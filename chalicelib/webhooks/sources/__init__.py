"""One module per vendor, each exporting one ``SPEC`` (``chalicelib.services.inbox.ports.SourceSpec``).

A new vendor is a new module here and one line in ``chalicelib.registry``.
"""

"""HR and CRM sync: people pulled from a vendor through a connector, mapped by configuration, enrolled and kept in step.

``ports`` is the connector interface, ``http`` the resilient vendor client, ``secrets``
the lazy credential reader, ``connectors`` one module per vendor, ``engine`` the run over
pages with its cursor, and ``service`` what the job, the admin API and the webhook
handler call.
"""

"""The calendars feature: connected Google and Microsoft calendars, their watches, and the invite address.

It reads what calendars say about meetings into ``MeetingEvent``s and hands them to the
meeting log; it never keeps an event's title, description or other guests.
"""

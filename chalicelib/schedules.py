"""When a scheduled job runs: a fixed ``Rate`` or an AWS ``Cron``, one spec for EventBridge and the local scheduler.

``expression()`` gives the EventBridge schedule expression (``rate(5 minutes)``,
``cron(0 5 * * ? *)``) that Chalice puts in the template; ``Cron.next_after()`` finds
the next firing time in UTC, as EventBridge does, for the local scheduler.

Cron fields follow AWS's six-field syntax: minutes, hours, day of month, month, day of
week (1-7 = SUN-SAT) and year, each ``*``, a number, ``a-b``, ``a,b``, ``*/n`` or
``a-b/n``; months and days may be named (``JAN``, ``MON``), and exactly one of day of
month and day of week is ``?``. AWS's ``L``, ``W`` and ``#`` are refused: no job uses them,
and a schedule this module cannot evaluate must not reach EventBridge untested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

# How far ahead next_after() looks: a valid expression whose year field has passed never fires again.
_SEARCH_DAYS = 366 * 8


@dataclass(frozen=True)
class Rate:
    """Every ``minutes`` minutes, counted from when the schedule was created."""

    minutes: int

    def __post_init__(self) -> None:
        if self.minutes < 1:
            raise ValueError(f"a rate below one minute ({self.minutes}) is not allowed by EventBridge")

    def expression(self) -> str:
        # EventBridge refuses "rate(1 minutes)".
        return f"rate({self.minutes} minute{'' if self.minutes == 1 else 's'})"


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    # Where the first name counts from: JAN is 1, SUN is 1.
    names_from: int = 1


_FIELDS = (
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day_of_month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day_of_week", 1, 7, _DAYS),
    _Field("year", 1970, 2199),
)


def _value(text: str, spec: _Field) -> int:
    upper = text.upper()
    if upper in spec.names:
        return spec.names.index(upper) + spec.names_from
    if not text.isdigit():
        if any(mark in upper for mark in "LW#"):
            raise ValueError(f"cron {spec.name}: {text!r} is not supported here")
        raise ValueError(f"cron {spec.name}: {text!r} is not a number or name")
    number = int(text)
    if not spec.low <= number <= spec.high:
        raise ValueError(f"cron {spec.name}: {number} is outside {spec.low}-{spec.high}")
    return number


def _parse_field(text: str, spec: _Field) -> frozenset[int] | None:
    """The values ``text`` allows, or None for ``?`` (the field does not take part)."""
    if text == "?":
        return None
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"cron {spec.name}: bad step in {part!r}")
            step = int(step_text)
        if span == "*":
            low, high = spec.low, spec.high
        elif "-" in span:
            first, _, last = span.partition("-")
            low, high = _value(first, spec), _value(last, spec)
            if low > high:
                raise ValueError(f"cron {spec.name}: empty range {span!r}")
        else:
            low = _value(span, spec)
            high = spec.high if step_text else low
        values.update(range(low, high + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """An AWS cron schedule, always in UTC (see the module docstring for the syntax taken)."""

    minutes: str
    hours: str
    day_of_month: str
    month: str
    day_of_week: str
    year: str = "*"
    _allowed: tuple[frozenset[int] | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        texts = (self.minutes, self.hours, self.day_of_month, self.month, self.day_of_week, self.year)
        for text, spec in zip(texts, _FIELDS, strict=True):
            if not text:
                raise ValueError(f"cron {spec.name} is empty")
            if text == "?" and spec.name not in ("day_of_month", "day_of_week"):
                raise ValueError(f"cron {spec.name}: '?' is only for day of month or day of week")
        if (self.day_of_month == "?") == (self.day_of_week == "?"):
            raise ValueError("cron: exactly one of day of month and day of week must be '?'")
        allowed = tuple(_parse_field(text, spec) for text, spec in zip(texts, _FIELDS, strict=True))
        object.__setattr__(self, "_allowed", allowed)

    def expression(self) -> str:
        fields = (self.minutes, self.hours, self.day_of_month, self.month, self.day_of_week, self.year)
        return f"cron({' '.join(fields)})"

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing time strictly after ``moment`` (aware; naive is taken as UTC), or None if none is left."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        minutes, hours = self._allowed[0], self._allowed[1]
        # '?' is refused for both in __post_init__.
        assert minutes is not None
        assert hours is not None
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for hour in sorted(hours):
                    for minute in sorted(minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        _, _, days_of_month, months, days_of_week, years = self._allowed
        if years is not None and day.year not in years:
            return False
        if months is not None and day.month not in months:
            return False
        if days_of_month is not None:
            return day.day in days_of_month
        # date.isoweekday(): Monday 1 ... Sunday 7; AWS: Sunday 1 ... Saturday 7.
        assert days_of_week is not None
        return day.isoweekday() % 7 + 1 in days_of_week


Schedule = Rate | Cron

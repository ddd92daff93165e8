"""Time helpers: UTC instants, seller-local dates, and the wire formats of both dialects."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

TIME_OF_DAY_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
TIME_OF_DAY_MESSAGE = "must be a time of day as HH:mm (24 h)"


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes from the database are UTC; make them aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso_millis(value: datetime) -> str:
    """Commerce dialect timestamps: 2025-12-08T20:43:20.608Z."""
    utc = as_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def enkash_timestamp(value: datetime, time_zone: str) -> str:
    """AR dialect timestamps: yyyy-MM-dd HH:mm:ss in the seller's time zone."""
    return as_utc(value).astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M:%S")


def local_date(value: datetime, time_zone: str) -> date:
    return as_utc(value).astimezone(ZoneInfo(time_zone)).date()


def add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)

"""The building blocks of every input file's schema: strict models (unknown fields refused, no
NaN or infinity), times with an offset, dates, and time zones."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict


class Strict(BaseModel):
    """Input models: unknown fields refused, no NaN or infinity. Read from a file (see
    `validate_located`) they are validated strictly: numbers and booleans only when written as
    such (no `"5"` or `true` for a number, no `"yes"` or `1` for a boolean)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _iso(value: Any) -> Any:
    """Text in ISO 8601 as a datetime (`2020-01-05T00:00+02:00` is not a YAML timestamp: it has
    no seconds); other types are left for validation to refuse."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"expected a time like 2020-01-05T00:00+02:00 ({exc})") from None
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"expected a date like 2020-01-05 ({exc})") from None
    return value


# A time is shown in a theater's local time: within a day of datetime's limits (years 1 and 9999)
# the conversion to another offset overflows (OverflowError, not an input error).
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def _convertible(value: datetime) -> datetime:
    """A time every UTC offset can express (see _EARLIEST, _LATEST)."""
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError(
            f"expected a time from {_EARLIEST.date()} to {_LATEST.date()} (UTC), which every time "
            "zone can show"
        )
    return value


Time = Annotated[AwareDatetime, BeforeValidator(_iso), AfterValidator(_convertible)]
Day = Annotated[date, BeforeValidator(_iso_date)]
_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d\d):(\d\d)$")


def parse_timezone(text: str) -> tzinfo:
    """A fixed offset (`+02:00`, `UTC+02:00`) or an IANA zone (`Europe/Kyiv`); ValueError."""
    if text in ("UTC", "Z"):
        return UTC
    m = _OFFSET.match(text)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        hours, minutes = int(m.group(2)), int(m.group(3))
        if hours > 23 or minutes > 59:
            raise ValueError(f"bad UTC offset {text!r}")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {text!r}: write an offset like '+02:00' or a zone like "
            "'Europe/Kyiv'"
        ) from None

"""Redshift's datepart names and abbreviations, and the one each stands for.

https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html

DATEADD, DATEDIFF, DATE_PART, DATE_TRUNC and EXTRACT accept any of these, quoted or bare and in any case;
PostgreSQL knows only some of them. The emulator's SQL functions (functions.py) and its rewriting of
EXTRACT (dialect.py) both read this one table.
"""

from __future__ import annotations

# canonical name (as PostgreSQL's date_part/date_trunc/extract spell it) -> Redshift's other spellings
_SPELLINGS = {
    "millennium": ("millennia", "mil", "mils"),
    "century": ("centuries", "c", "cent", "cents"),
    "decade": ("decades", "dec", "decs"),
    "epoch": (),
    "year": ("years", "y", "yr", "yrs"),
    "quarter": ("quarters", "qtr", "qtrs"),
    "month": ("months", "mon", "mons"),
    "week": ("weeks", "w"),
    "dow": ("dayofweek", "dw", "weekday"),
    "doy": ("dayofyear", "dy", "yearday"),
    "day": ("days", "d"),
    "hour": ("hours", "h", "hr", "hrs"),
    "minute": ("minutes", "m", "min", "mins"),
    "second": ("seconds", "s", "sec", "secs"),
    "millisecond": (
        "milliseconds", "ms", "msec", "msecs", "msecond", "mseconds", "millisec", "millisecs", "millisecon",
    ),
    "microsecond": ("microseconds", "microsec", "microsecs", "usecond", "useconds", "us", "usec", "usecs"),
    "timezone": (),
    "timezone_hour": (),
    "timezone_minute": (),
}  # fmt: skip

DATEPARTS: dict[str, str] = {
    spelling: canonical for canonical, others in _SPELLINGS.items() for spelling in (canonical, *others)
}


def canonical_datepart(spelling: str) -> str | None:
    """The canonical name of a Redshift datepart in any spelling, or None if it is none."""
    return DATEPARTS.get(spelling.strip().lower())

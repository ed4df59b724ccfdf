"""Dates as pseudonyms: one per-project shift of every date (written in the
date's own format), or the date cut to month and year.

>>> shift_date("12 March 2018", 10), month_of("18/06/2025")
('22 March 2018', 'June 2025')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from fieldnotes.pseudonymise.names import MONTHS, WEEKDAYS, _MONTHS_DAYS

# Shifted dates move by at least a month and at most half a year, so the season
# is kept roughly while the exact day cannot be read back.
SHIFT_MIN_DAYS = 30
SHIFT_MAX_DAYS = 180


# --- dates --------------------------------------------------------------------------

_MONTH_NUMBER = {m.casefold(): i for i, m in enumerate(MONTHS, 1)}
_MONTH_NUMBER.update({m[:3].casefold(): i for i, m in enumerate(MONTHS, 1)})
_MONTH_NUMBER["sept"] = 9

_MONTH = (
    r"(?P<month>" + "|".join(m.lower() for m in MONTHS)
    + r"|sept|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\b\.?"
)
_WEEKDAY = (
    r"(?:(?P<weekday>" + "|".join(d.lower() for d in WEEKDAYS)
    + r"|tues|thurs|mon|tue|wed|thu|fri|sat|sun)\b\.?,?\s+(?:the\s+)?)?"
)
_DAY = r"(?P<day>\d{1,2})(?P<suffix>st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4}|'\d{2})"

_DATE_FORMS = (
    # 12 March 2018, Monday 12th of March, 2018, 12 Mar
    re.compile(rf"{_WEEKDAY}(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR})?", re.I),
    # March 12, 2018; March 12th
    re.compile(rf"{_WEEKDAY}{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?", re.I),
    # 18/06/2025, 5.3.18, 18-06-2025
    re.compile(
        rf"{_WEEKDAY}(?P<day>\d{{1,2}})(?P<sep>[/.-])(?P<nmonth>\d{{1,2}})(?P=sep)(?P<year>\d{{4}}|\d{{2}})",
        re.I,
    ),
    # 2018-03-12
    re.compile(r"(?P<year>\d{4})-(?P<nmonth>\d{2})-(?P<day>\d{2})"),
    # March 2018 (a month, not a day)
    re.compile(rf"{_MONTH},?\s+{_YEAR}", re.I),
)

# Dates without a year are computed in a leap year so "29 February" exists.
_NO_YEAR = 2000


@dataclass(frozen=True, slots=True)
class _ParsedDate:
    date: dt.date
    has_day: bool
    has_year: bool
    match: re.Match | None  # None when dateutil parsed it (no format to copy)


def _expand_year(text: str) -> int:
    digits = text.lstrip("'")
    year = int(digits)
    if len(digits) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _parse_date(label: str) -> _ParsedDate | None:
    text = label.strip()
    for pattern in _DATE_FORMS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        if groups.get("month"):
            month = _MONTH_NUMBER[groups["month"].casefold()]
        else:
            month = int(groups["nmonth"])
        day = int(groups["day"]) if groups.get("day") else 15
        if groups.get("nmonth") and groups.get("sep") and month > 12 >= day:
            day, month = month, day  # 06/18/2025: month first
        year = _expand_year(groups["year"]) if groups.get("year") else _NO_YEAR
        try:
            date = dt.date(year, month, day)
        except ValueError:
            return None
        return _ParsedDate(date, bool(groups.get("day")), bool(groups.get("year")), m)
    return _parse_date_dateutil(text)


def _parse_date_dateutil(text: str) -> _ParsedDate | None:
    """Any other date dateutil understands, if every part of it is given."""
    if not re.search(r"\d", text):
        return None
    try:
        from dateutil import parser
    except ImportError:  # pragma: no cover - dateutil comes with sqlite-utils
        return None
    try:
        # Parsing with two different defaults shows which parts the text lacks.
        a = parser.parse(text, dayfirst=True, default=dt.datetime(2000, 1, 1))
        b = parser.parse(text, dayfirst=True, default=dt.datetime(2004, 2, 2))
    except (ValueError, OverflowError, TypeError):
        return None
    if a.year != b.year or a.month != b.month:
        return None
    return _ParsedDate(a.date(), a.day == b.day, True, None)


def _like(word: str, model: str) -> str:
    """``word`` in the letter case of ``model`` (MARCH, march, March)."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model.islower():
        return word.lower()
    return word


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _format_like(parsed: _ParsedDate, new: dt.date) -> str:
    """``new`` written the way the original date was written."""
    m = parsed.match
    if m is None:
        if parsed.has_day:
            return f"{new.day} {MONTHS[new.month - 1]} {new.year}"
        return f"{MONTHS[new.month - 1]} {new.year}"
    groups = m.groupdict()
    pieces: list[tuple[int, int, str]] = []

    def put(name: str, value: str) -> None:
        if groups.get(name) is not None:
            pieces.append((m.start(name), m.end(name), value))

    if groups.get("weekday"):
        old = groups["weekday"]
        full = WEEKDAYS[new.weekday()]
        word = full if old.casefold() in _MONTHS_DAYS else full[:3]
        put("weekday", _like(word, old))
    day = groups.get("day")
    nmonth = groups.get("nmonth")
    # "18/06/2025" pads both numbers; "5/3/18" neither; "12 March" pads only "05".
    padded = bool(day and day.startswith("0")) or bool(
        nmonth and (nmonth.startswith("0") or (len(nmonth) == 2 and day and len(day) == 2))
    )
    if day is not None and parsed.has_day:
        put("day", f"{new.day:02d}" if padded else str(new.day))
        if groups.get("suffix"):
            put("suffix", _like(_ordinal(new.day), groups["suffix"]))
    if groups.get("month"):
        old = groups["month"]
        full = MONTHS[new.month - 1]
        if old.casefold() in _MONTHS_DAYS:
            word = full
        else:  # an abbreviation: "Mar", "Sept"
            word = "Sept" if (full == "September" and len(old) == 4) else full[:3]
        put("month", _like(word, old))
    if nmonth:
        put("nmonth", f"{new.month:02d}" if padded else str(new.month))
    year = groups.get("year")
    if year is not None:
        if year.startswith("'"):
            put("year", f"'{new.year % 100:02d}")
        elif len(year) == 2:
            put("year", f"{new.year % 100:02d}")
        else:
            put("year", f"{new.year:04d}")
    text = m.string
    out = []
    last = m.start()
    for start, end, value in sorted(pieces):
        out.append(text[last:start])
        out.append(value)
        last = end
    out.append(text[last : m.end()])
    return "".join(out)


def date_shift_for(seed: str) -> int:
    """The per-project date shift derived from ``seed``: ±30 to ±180 days.

    The seed should be a project secret (its guid, say): with a public seed the
    shift, and so the real dates, could be worked out.
    """
    h = int.from_bytes(hashlib.sha256(f"date-shift\x1f{seed}".encode()).digest()[:8], "big")
    days = SHIFT_MIN_DAYS + h % (SHIFT_MAX_DAYS - SHIFT_MIN_DAYS + 1)
    return days if (h >> 32) & 1 else -days


def shift_date(label: str, days: int) -> str | None:
    """``label`` moved by ``days`` and written in its own format; None when it
    cannot be read as a date.

    >>> shift_date("12 March 2018", 76), shift_date("18/06/2025", -30)
    ('27 May 2018', '19/05/2025')
    """
    parsed = _parse_date(label)
    if parsed is None:
        return None
    try:
        new = parsed.date + dt.timedelta(days=days)
    except OverflowError:
        return None
    return _format_like(parsed, new)


def month_of(label: str) -> str | None:
    """``label`` generalised to month and year; None when it is not a date.

    >>> month_of("12 March 2018"), month_of("18/06/2025"), month_of("12 March")
    ('March 2018', 'June 2025', 'March')
    """
    parsed = _parse_date(label)
    if parsed is None:
        return None
    month = MONTHS[parsed.date.month - 1]
    return f"{month} {parsed.date.year}" if parsed.has_year else month

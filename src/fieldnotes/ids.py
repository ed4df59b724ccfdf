"""Identifiers and the clock: every GUID and timestamp the project writes.

One place, so that GUIDs are always UUID4 strings (as REFI-QDA expects) and
timestamps always UTC ISO 8601 to the second.
"""

from __future__ import annotations

import datetime as dt
import uuid


def now() -> str:
    """The current time, UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def new_guid() -> str:
    """A new GUID (UUID4) for a code, document, coding, memo or coder."""
    return str(uuid.uuid4())

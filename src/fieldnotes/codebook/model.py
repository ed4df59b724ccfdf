"""A code as the project API hands it out, and the rules for what a code's
name, path and colour may be."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fieldnotes.errors import FieldnotesError

#: Okabe-Ito (colour-blind safe) plus two more, mid-tone so that text stays
#: readable on them as a tint on light and dark terminals.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
           "#8C6D31", "#AA3377", "#999999")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


@dataclass(slots=True)
class Code:
    id: int
    guid: str
    parent_id: int | None
    name: str
    path: str
    description: str
    inclusion: str
    exclusion: str
    example: str
    colour: str | None
    sort_order: int
    codings: int = 0
    """Codings of this code itself."""
    total: int = 0
    """Codings of this code and its descendants."""
    children: list[Code] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.path.count("/")


def normalise_colour(colour: str | None) -> str | None:
    """``colour`` as upper-case ``#RRGGBB`` (``#abc`` widens), None for none;
    anything else is an error naming the colour."""
    if colour is None or colour == "":
        return None
    colour = colour.strip()
    if not _HEX.match(colour):
        raise FieldnotesError(f"Colour '{colour}' is not a #RRGGBB hex colour (for example #56B4E9).")
    if len(colour) == 4:
        colour = "#" + "".join(c * 2 for c in colour[1:])
    return colour.upper()


def split_path(path: str) -> list[str]:
    """The names along a code path ("Caseload and time/Caseload"), or an
    error when a part is empty."""
    parts = [p.strip() for p in path.strip().strip("/").split("/")]
    if not parts or any(not p for p in parts):
        raise FieldnotesError(f"'{path}' is not a code path; use names separated by '/', e.g. 'Caseload and time/Caseload'.")
    return parts


def check_name(name: str) -> str:
    """``name`` stripped, or an error when it cannot name a code."""
    if "/" in name or not name.strip():
        raise FieldnotesError(f"'{name}' cannot be a code name: names are not empty and have no '/'.")
    return name.strip()


def name_key(name: str) -> str:
    """What makes two sibling names the same code: case does not count, as
    paths are looked up without case ("caseload/cover" finds
    "Caseload/Cover"), so two siblings differing only in case could not be
    told apart by path."""
    return name.strip().casefold()

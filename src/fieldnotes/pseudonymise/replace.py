"""Choosing one replacement per entity across a project, as a pure function
with no database (:func:`assign_replacements`): numbered category tags
(``[Person 1]``, ``[School 2]``), surrogate names (:mod:`.surrogates`), or
role tags from the participant register (``[Social worker 2]``); dates
shifted by one per-project offset or cut to month and year (:mod:`.dates`);
postcodes cut to their district. A replacement the researcher typed always
wins. The project keeps what it has given (:mod:`.tags`); applying
replacements to a text is :mod:`.offsets`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fieldnotes.pseudonymise.dates import date_shift_for, month_of, shift_date
from fieldnotes.pseudonymise.surrogates import Surrogates

STRATEGIES = ("tags", "surrogates", "roles")
DATE_MODES = ("shift", "month", "tag")



@dataclass(frozen=True, slots=True)
class EntityInfo:
    """What :func:`assign_replacements` needs to know about one entity."""

    id: int
    category: str  # PERSON, PLACE, ORG, ADDRESS, POSTCODE, PHONE, EMAIL, NHS_NUMBER, NI_NUMBER, REFERENCE, DATE
    label: str  # canonical real form, e.g. "Jodie Mensah", "TF1 5QP", "12 March 2018"
    manual: str | None = None  # a replacement the researcher typed: always wins
    role: str | None = None  # from the participant register, e.g. "Social worker"
    gender: str | None = None  # "female" / "male" / None: a hint for surrogate names


# --- tags ---------------------------------------------------------------------------

_TAG_NAMES = {
    "PERSON": "Person",
    "PLACE": "Place",
    "ORG": "Organisation",
    "ADDRESS": "Address",
    "POSTCODE": "Postcode",
    "PHONE": "Phone",
    "EMAIL": "Email",
    "NHS_NUMBER": "NHS number",
    "NI_NUMBER": "NI number",
    "REFERENCE": "Reference",
    "DATE": "Date",
}

# Kinds of place or organisation recognised by a word in the label. Order
# matters: "Little Acorns Pre-School" is a nursery, not a school.
_INSTITUTIONS = (
    ("Nursery", re.compile(r"\b(?:nurser(?:y|ies)|pre-?school|playgroup|day care)\b", re.I)),
    ("School", re.compile(r"\b(?:schools?|academy|primary|infants?|juniors?|college|sixth form)\b", re.I)),
    ("Surgery", re.compile(r"\b(?:surgery|medical (?:centre|center|practice)|health (?:centre|center))\b", re.I)),
    ("Hospital", re.compile(r"\bhospital\b", re.I)),
    ("Hub", re.compile(r"\bhubs?\b", re.I)),
)


def tag_name(entity: EntityInfo) -> str:
    """The kind of tag an entity gets: "Person", "Place", "School", ..."""
    if entity.category in ("PLACE", "ORG", "ADDRESS"):
        for name, pattern in _INSTITUTIONS:
            if entity.category != "ADDRESS" and pattern.search(entity.label):
                return name
    name = _TAG_NAMES.get(entity.category)
    if name is None:
        name = entity.category.replace("_", " ").strip().capitalize() or "Entity"
    return name


class _Numbering:
    """Numbered tags per kind, in the order they are asked for; numbers equal to
    a replacement the researcher typed are skipped so two entities never share
    a tag by accident."""

    def __init__(self, taken: set[str]):
        self._taken = taken
        self._next: dict[str, int] = {}
        self._names: dict[str, str] = {}

    def next(self, name: str) -> str:
        key = name.casefold()
        self._names.setdefault(key, name)
        n = self._next.get(key, 0)
        while True:
            n += 1
            tag = f"[{self._names[key]} {n}]"
            if tag.casefold() not in self._taken:
                self._next[key] = n
                return tag


def role_name(role: str) -> str:
    """The tag name of a register role: "social worker" -> "Social worker"."""
    role = " ".join(role.split())
    return role[:1].upper() + role[1:]


# --- postcodes ----------------------------------------------------------------------

_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})?")


def postcode_district(postcode: str) -> str | None:
    """The outward code (district) of a UK postcode, or None when it is not one.

    >>> postcode_district("TF1 5QP"), postcode_district("sy81ab"), postcode_district("TF1")
    ('TF1', 'SY8', 'TF1')
    """
    m = _POSTCODE.fullmatch(postcode.strip().upper())
    return m.group(1) if m else None


# --- choosing the replacements ------------------------------------------------------


def assign_replacements(
    entities: Sequence[EntityInfo],
    *,
    strategy: str = "tags",
    seed: str = "",
    date_mode: str = "shift",
    date_shift_days: int | None = None,
    tags: dict[int, str] | None = None,
    surrogates: dict[int, str] | None = None,
    role_tags: dict[int, str] | None = None,
) -> dict[int, str]:
    """One replacement per entity, keyed by entity id.

    ``tags``, ``surrogates`` and ``role_tags`` are the tags, surrogate names
    and role tags the project has already given (entity id -> value): they are kept as they are, so a
    pseudonym never changes once a researcher has seen it; only entities
    without one are numbered or named here.

    ``strategy`` decides names: ``"tags"`` numbers them by category in order of
    entity id ("[Person 1]", "[Place 2]", "[School 1]"), so tags stay put when
    entities are added later; ``"surrogates"`` gives PERSON entities realistic
    names (consistent per name, unique per entity, deterministic from ``seed``);
    ``"roles"`` tags entities with a register role ("[Social worker 2]"). What a
    strategy cannot name falls back to the tag it would have under ``"tags"``.

    ``date_mode`` decides DATE entities: ``"shift"`` moves every date by the same
    number of days (``date_shift_days``, or ±30..180 derived from ``seed``) and
    writes it in its own format; ``"month"`` keeps month and year; ``"tag"``
    gives "[Date 1]". A date that cannot be read becomes a tag. POSTCODE
    entities become their district ("TF1 5QP" -> "TF1"). A ``manual``
    replacement always wins.

    ``seed`` should be a project secret, such as the project's guid.

    >>> people = [EntityInfo(1, "PERSON", "Jodie Mensah"), EntityInfo(2, "PLACE", "Hadley"),
    ...           EntityInfo(3, "POSTCODE", "TF1 5QP"), EntityInfo(4, "PERSON", "Anita Shah")]
    >>> assign_replacements(people)
    {1: '[Person 1]', 2: '[Place 1]', 3: 'TF1', 4: '[Person 2]'}
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown replacement strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    if date_mode not in DATE_MODES:
        raise ValueError(f"unknown date mode {date_mode!r}: use one of {', '.join(DATE_MODES)}")
    ordered = sorted(entities, key=lambda e: e.id)
    for a, b in zip(ordered, ordered[1:]):
        if a.id == b.id:
            raise ValueError(f"entity id {a.id} appears twice")
    shift = date_shift_days if date_shift_days is not None else date_shift_for(seed)
    manual = {e.id: e.manual.strip() for e in ordered if e.manual and e.manual.strip()}
    taken = {m.casefold() for m in manual.values()}

    # Pass 1: what every entity gets under "tags" with nothing typed by hand.
    result = _tags_pass(ordered, taken, tags or {}, date_mode, shift)
    # Pass 2: the strategy.
    if strategy == "roles":
        _roles_pass(ordered, taken, role_tags or {}, result)
    elif strategy == "surrogates":
        _surrogates_pass(ordered, seed, surrogates or {}, result)

    # Pass 3: the researcher's word.
    result.update(manual)
    return result


def _tags_pass(ordered: Sequence[EntityInfo], taken: set[str], tags: dict[int, str], date_mode: str,
               shift: int) -> dict[int, str]:
    """Every entity's value under "tags": dates and postcodes by their own
    rule, else the tag it has or the next one. Tag numbers are counted here
    for every entity that would carry one, whatever later wins, so they do
    not move when a strategy or a manual entry changes."""
    numbering = _Numbering(taken)
    result: dict[int, str] = {}
    for entity in ordered:
        value = None
        if entity.category == "DATE" and date_mode != "tag":
            value = shift_date(entity.label, shift) if date_mode == "shift" else month_of(entity.label)
        elif entity.category == "POSTCODE":
            value = postcode_district(entity.label)
        if value is None:
            value = tags.get(entity.id) or numbering.next(tag_name(entity))
        result[entity.id] = value
    return result


def _roles_pass(ordered: Sequence[EntityInfo], taken: set[str], role_tags: dict[int, str],
                result: dict[int, str]) -> None:
    """Entities with a register role get their role tag ("[Social worker 2]")."""
    numbering = _Numbering(taken | {v.casefold() for v in role_tags.values() if v})
    for entity in ordered:
        if entity.role and entity.role.strip():
            result[entity.id] = role_tags.get(entity.id) or numbering.next(role_name(entity.role))


def _surrogates_pass(ordered: Sequence[EntityInfo], seed: str, surrogates: dict[int, str],
                     result: dict[int, str]) -> None:
    """People get a surrogate name: the one they have, else a new one."""
    kept = {k: v for k, v in surrogates.items() if v}
    kept_folded = {v.casefold() for v in kept.values()}
    namer = Surrogates(ordered, seed)
    for entity in ordered:
        if entity.category == "PERSON":
            name = kept.get(entity.id)
            if name is None:
                name = namer.name_for(entity)
                # A new name that another entity already carries would
                # join two people: the tag is safer.
                if name is not None and name.casefold() in kept_folded:
                    name = None
            if name is not None:
                result[entity.id] = name

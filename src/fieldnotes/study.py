"""What the study shows first: its key attributes, and each coder's pinned codes.

Part of the project API (``project.study``). Both are choices about the study
that the CLI and the workspace ask for instead of deciding themselves:

- The **key attributes** are the few attributes a researcher reads a document
  by (phase, role, years qualified ...): the documents pane and the CLI list
  them first, the workspace title shows them, the matrix offers them first as
  columns. The project setting ``key_attributes`` names them in order
  (``fieldnotes config study.fnp key_attributes "phase,role,site"``); without
  it, :data:`DEFAULT_KEY_ATTRIBUTES`. Only attributes the project has count.
- **Pinned codes** are up to nine codes a coder applies with the keys 1-9.
  They belong to the coder (two coders on one project pin different codes)
  and are stored by the codes' GUIDs, so a renamed or moved code stays pinned.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from fieldnotes.errors import FieldnotesError
from fieldnotes.service import Service

#: The key attributes of a study that has not named its own: those of the
#: social-care workforce studies fieldnotes was first built for.
DEFAULT_KEY_ATTRIBUTES = ("phase", "role", "years_qualified", "team", "site")
#: The project setting that names the key attributes (comma-separated).
KEY_ATTRIBUTES_SETTING = "key_attributes"
#: The setting holding a coder's pins is this, a colon, and the coder's name.
#: The bare key is where pins were kept for everyone before they were per coder.
PINS_SETTING = "pinned_codes"
#: As many pins as there are number keys.
MAX_PINS = 9


class StudyService(Service):
    """Key attributes and pinned codes; ``project.study``."""

    # -- key attributes ---------------------------------------------------------------

    def key_attributes(self, limit: int | None = None) -> list[str]:
        """The study's key attributes that the project has, in order; at most
        ``limit`` of them (a pane with room for two asks for two)."""
        configured = self.project.setting(KEY_ATTRIBUTES_SETTING, None)
        wanted = _names(configured) if configured else list(DEFAULT_KEY_ATTRIBUTES)
        present = set(self.project.attributes.names())
        keys = [name for name in wanted if name in present]
        return keys[:limit] if limit is not None else keys

    def set_key_attributes(self, names: Sequence[str] | str) -> list[str]:
        """Name the study's key attributes (a list or ``"phase, role"``);
        each must be an attribute of the project. Returns them as stored."""
        from fieldnotes.errors import suggest

        wanted = _names(names) if isinstance(names, str) else [n.strip() for n in names if n.strip()]
        if not wanted:
            raise FieldnotesError("Name at least one attribute, for example: phase,role.")
        known = self.project.attributes.names()
        for name in wanted:
            if name not in known:
                raise FieldnotesError(f"No attribute '{name}'.{suggest(name, known)} "
                                      "'fieldnotes attributes PROJECT' lists them.")
        self.project.set_setting(KEY_ATTRIBUTES_SETTING, ",".join(wanted))
        return wanted

    def ordered_attributes(self, names) -> list[str]:
        """``names`` (attribute names, any order) with the key attributes
        first, in their order, then the rest alphabetically."""
        keys = self.key_attributes()
        rank = {name: i for i, name in enumerate(keys)}
        return sorted(set(names), key=lambda n: (n not in rank, rank.get(n, 0), n))

    # -- pinned codes -------------------------------------------------------------------

    def pinned_codes(self, coder: str | None = None) -> list[str]:
        """The paths of the codes ``coder`` (default: the current coder) has
        pinned, in key order; codes deleted since are left out."""
        by_guid = {c.guid: c.path for c in self.project.codebook.codes(counts=False)}
        return [by_guid[g] for g in self._pinned_guids(coder) if g in by_guid][:MAX_PINS]

    def set_pinned_codes(self, paths: Sequence[str], coder: str | None = None) -> list[str]:
        """Pin these codes (paths, in key order) for ``coder``; returns the
        paths as the codebook spells them."""
        if len(paths) > MAX_PINS:
            raise FieldnotesError(f"At most {MAX_PINS} codes can be pinned (one per number key); "
                                  f"{len(paths)} were given.")
        codes = [self.project.codebook.code(path) for path in paths]
        name = self.project.coders.coder_name(coder)
        self.project.set_setting(f"{PINS_SETTING}:{name}", json.dumps([c.guid for c in codes]))
        return [c.path for c in codes]

    def toggle_pin(self, path: str, coder: str | None = None) -> int | None:
        """Pin the code to the next free key, or unpin it if pinned. Returns
        its key (1-9) once pinned, None once unpinned."""
        pins = self.pinned_codes(coder)
        path = self.project.codebook.code(path).path
        if path in pins:
            pins.remove(path)
            self.set_pinned_codes(pins, coder)
            return None
        if len(pins) >= MAX_PINS:
            raise FieldnotesError(f"{MAX_PINS} codes are pinned already; unpin one first.")
        self.set_pinned_codes([*pins, path], coder)
        return len(pins) + 1

    def _pinned_guids(self, coder: str | None) -> list[str]:
        name = self.project.coders.coder_name(coder)
        stored = self.project.setting(f"{PINS_SETTING}:{name}", None)
        if stored is None:
            # Pins saved before they were kept per coder still count, until
            # this coder pins something.
            stored = self.project.setting(PINS_SETTING, None)
        try:
            guids = json.loads(stored or "[]")
        except ValueError:
            return []  # a hand-edited setting that is not a list: no pins, never a crash
        return [g for g in guids if isinstance(g, str)] if isinstance(guids, list) else []


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]

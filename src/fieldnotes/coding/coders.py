"""Who is coding, and the one way a coder is found by name.

A coder named by a user (``--coder``, ``--coders anna,ben``, a matrix's coder
filter, the coder a copy is for) is found by :meth:`CoderService.resolve`:
the coder spelt exactly so, else the one coder whose name matches ignoring
case ("ANNA" is "anna"). A name that matches no coder is an error naming it
and listing the coders there are, never an empty result. Writing as a coder
(:meth:`CoderService.coder_id`) uses the same match, so "ANNA" codes as the
existing "anna" instead of becoming a second coder; only a new name adds one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from fieldnotes.coding.model import Coder
from fieldnotes.errors import FieldnotesError, NotFound, matching
from fieldnotes.service import Service
from fieldnotes.store.queries import coding as queries


def match(coders: Sequence[Coder], name: str) -> Coder | None:
    """The coder among ``coders`` called ``name``: spelt exactly so, else the
    only one equal ignoring case; None when there is none. Two coders equal
    ignoring case (from an older project) and neither exact is an error."""
    folded = matching(coders, name.strip(), lambda c: c.name)
    if len(folded) > 1:
        raise FieldnotesError(
            f"'{name}' could be any of the coders {', '.join(c.name for c in folded)}; "
            "give the name exactly as it is written.")
    return folded[0] if folded else None


class CoderService(Service):
    """The coders of one project (``project.coders``)."""

    # -- the acting coder -------------------------------------------------------

    def coder_name(self, explicit: str | None = None) -> str:
        """Who is coding: ``--coder``, else FIELDNOTES_CODER, else ``coder`` in
        the config file, else the project's ``coder`` setting, and only then
        the operating-system login (which in a container is often "root" and
        would be written into codings and .qdpx exports)."""
        from fieldnotes.config import coder_name, load_config

        chosen = explicit or self.project.coder
        if not chosen and not os.environ.get("FIELDNOTES_CODER", "").strip() \
                and not str(load_config().get("coder", "")).strip():
            chosen = (self.project.setting("coder") or "").strip() or None
        return coder_name(chosen)

    def act_as(self, name: str | None) -> None:
        """Code as ``name`` from now on (what ``--coder`` does). A coder the
        project has keeps their spelling ("ANNA" acts as "anna"); None or a
        blank name goes back to the default (see :meth:`coder_name`).

        Example: ``project.coders.act_as("anna")`` before ``project.coding.apply_coding(...)``.
        """
        name = (name or "").strip() or None
        if name is not None:
            found = self.find(name)
            name = found.name if found else name
        self.project.coder = name

    def coder_id(self, name: str | None = None, changes=None) -> int:
        """The id of coder ``name`` (default: the acting coder), found as
        :func:`match` finds it and added when new (recorded in ``changes``,
        the undoable action's change set, when given)."""
        from fieldnotes.ids import new_guid, now

        name = self.coder_name(name)
        found = self.find(name)
        if found is not None:
            return found.id
        coder_id = queries.insert_coder(self.conn, new_guid(), name, now())
        if changes is not None:
            changes.inserted("coders", [coder_id])
        return coder_id

    # -- finding coders -----------------------------------------------------------

    def list(self, *, with_codings: bool = False) -> list[Coder]:
        """Every coder (or those with at least one coding), by name."""
        rows = queries.coders_with_codings(self.conn) if with_codings else queries.coders(self.conn)
        return [Coder(i, n) for i, n in rows]

    def find(self, name: str, *, with_codings: bool = False) -> Coder | None:
        """The coder called ``name`` (see :func:`match`), or None."""
        return match(self.list(with_codings=with_codings), name)

    def resolve(self, name: str, *, with_codings: bool = False) -> Coder:
        """The coder a user means by ``name`` (see :func:`match`); with
        ``with_codings`` only a coder who has coded something will do.
        Raises :class:`NotFound` naming ``name`` and listing the coders.

        Example: ``project.coders.resolve("ANNA").name == "anna"``.
        """
        known = self.list(with_codings=with_codings)
        found = match(known, name)
        if found is not None:
            return found
        from fieldnotes.errors import suggest

        names = [c.name for c in known]
        hint = suggest(name, names) if names else ""
        listed = ", ".join(names) or ("none" if with_codings else "none yet")
        if with_codings:
            raise NotFound(f"No codings by a coder called '{name}'.{hint} Coders with codings: {listed}.")
        raise NotFound(f"No coder '{name}'.{hint} Coders in this project: {listed}.")

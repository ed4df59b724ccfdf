"""Cases, speakers and attributes: who a document is about and what it is.

Documents and cases carry typed attributes (``phase``, ``role``, ...); a
case can be linked to a whole document or to one speaker's turns in it.
Part of the project API as ``project.attributes``.
"""

from __future__ import annotations

from typing import Any

from fieldnotes.errors import FieldnotesError, NotFound, suggest
from fieldnotes.ids import new_guid
from fieldnotes.manifest import coerce, infer_type
from fieldnotes.model import Case, Variable
from fieldnotes.store.db import atomic


def _widen(old: str, new: str) -> str:
    """The type that holds values of both ``old`` and ``new``."""
    if old == new:
        return old
    if {old, new} == {"integer", "number"}:
        return "number"
    return "text"


class Attributes:
    """Cases, speaker links and attributes of documents and cases."""

    def __init__(self, project) -> None:
        self.project = project

    @property
    def conn(self):
        return self.project.conn

    def add_case_link(self, doc_id: int, case: str) -> None:
        row = self.conn.execute("SELECT id FROM cases WHERE name = ?", [case]).fetchone()
        case_id = row[0] if row else self.conn.execute(
            "INSERT INTO cases(guid, name) VALUES (?, ?)", [new_guid(), case]
        ).lastrowid
        self.conn.execute(
            "INSERT OR IGNORE INTO document_cases(document_id, case_id) VALUES (?, ?)", [doc_id, case_id]
        )

    def link_speaker_quietly(self, doc_id: int, case: str, speaker: str) -> str | None:
        """Make ``speaker``'s turns in the document the words of ``case``.
        Returns a problem (the label is not a speaker there) instead of
        linking, so an import can warn and go on."""
        known = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT speaker FROM turns WHERE document_id = ? AND speaker IS NOT NULL ORDER BY speaker", [doc_id])]
        match = next((k for k in known if k.casefold() == speaker.strip().casefold()), None)
        if match is None:
            listed = ", ".join(known) if known else "none: it has no speaker turns"
            return f"'{speaker}' is not a speaker in this document (its speakers: {listed})"
        self.add_case_link(doc_id, case)
        case_id = self.conn.execute("SELECT id FROM cases WHERE name = ?", [case]).fetchone()[0]
        self.conn.execute(
            "INSERT INTO speaker_cases(document_id, speaker, case_id) VALUES (?, ?, ?) "
            "ON CONFLICT(document_id, speaker) DO UPDATE SET case_id = excluded.case_id", [doc_id, match, case_id])
        return None

    def link_case(self, case: str, document: str, speaker: str | None = None) -> None:
        """Link ``case`` to ``document``; with ``speaker``, only that speaker's
        turns are the case's words (a joint interview, a focus group), and the
        other speakers' turns stop counting for the case."""
        doc_id = self.project.document_id(document)
        case = case.strip()
        if not case:
            raise FieldnotesError("Give the case's name, for example EH02.")
        with atomic(self.conn):
            if speaker is None:
                self.add_case_link(doc_id, case)
            else:
                problem = self.link_speaker_quietly(doc_id, case, speaker)
                if problem:
                    raise FieldnotesError(f"Cannot link case {case} in {document}: {problem}.")
            self.project.audit("case.link", {"case": case, "document": document, "speaker": speaker})

    def set_case_attribute(self, case: str, name: str, value: Any) -> None:
        """Set an attribute of a case itself (``role=Police officer`` for one
        of two people interviewed together): in an attribution it overrides
        the document's value for that case's turns."""
        row = self.conn.execute("SELECT id FROM cases WHERE name = ?", [case.strip()]).fetchone()
        if row is None:
            names = [r[0] for r in self.conn.execute("SELECT name FROM cases")]
            raise NotFound(f"No case '{case}'.{suggest(case, names) if names else ''} See 'fieldnotes cases'.")
        with atomic(self.conn):
            self.set_typed("case", row[0], name.strip().lower(), value, None)
            self.project.audit("attribute.set", {"case": case, "name": name, "value": value})

    def unlink_speaker(self, document: str, speaker: str) -> None:
        """Forget which case ``speaker`` is in ``document``: the turns go back
        to all of the document's cases."""
        doc_id = self.project.document_id(document)
        with atomic(self.conn):
            gone = self.conn.execute("DELETE FROM speaker_cases WHERE document_id = ? AND speaker = ?",
                                     [doc_id, speaker.strip()]).rowcount
            if not gone:
                raise NotFound(f"'{speaker}' is not linked to a case in {document}; see 'fieldnotes cases {self.project.path}'.")
            self.project.audit("case.unlink", {"document": document, "speaker": speaker})

    def speaker_cases(self) -> dict[int, dict[str, str]]:
        """Document id -> {speaker label (case-folded) -> case name}."""
        result: dict[int, dict[str, str]] = {}
        for doc_id, speaker, name in self.conn.execute(
                "SELECT sc.document_id, sc.speaker, c.name FROM speaker_cases sc JOIN cases c ON c.id = sc.case_id"):
            result.setdefault(doc_id, {})[speaker.casefold()] = name
        return result

    def delete_all(self, owner_type: str, owner_id: int) -> None:
        self.conn.execute("DELETE FROM attributes WHERE owner_type = ? AND owner_id = ?", [owner_type, owner_id])

    def set_typed(self, owner_type: str, owner_id: int, name: str, value: Any, manifest_type: str | None) -> None:
        """Set a typed attribute, creating or widening its variable as needed."""
        value_type = manifest_type or infer_type([value])
        row = self.conn.execute("SELECT id, type FROM variables WHERE name = ?", [name]).fetchone()
        if row is None:
            var_id = self.conn.execute(
                "INSERT INTO variables(guid, name, type) VALUES (?, ?, ?)", [new_guid(), name, value_type]
            ).lastrowid
            var_type = value_type
        else:
            var_id, var_type = row
            wider = _widen(var_type, value_type)
            if wider != var_type:
                # Existing values are converted so that every value of a
                # variable has one type (numbers compare as numbers).
                self.conn.execute("UPDATE variables SET type = ? WHERE id = ?", [wider, var_id])
                cast = "REAL" if wider == "number" else "TEXT"
                self.conn.execute(f"UPDATE attributes SET value = CAST(value AS {cast}) WHERE variable_id = ?", [var_id])
                var_type = wider
        self.conn.execute(
            "INSERT INTO attributes(variable_id, owner_type, owner_id, value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(variable_id, owner_type, owner_id) DO UPDATE SET value = excluded.value",
            [var_id, owner_type, owner_id, coerce(value, var_type)],
        )

    def set_attribute(self, document: str, name: str, value: Any) -> None:
        """Set an attribute of a document (``phase``, ``role``, ...)."""
        doc_id = self.project.document_id(document)
        with atomic(self.conn):
            self.set_typed("document", doc_id, name.strip().lower(), value, None)
            self.project.audit("attribute.set", {"document": document, "name": name, "value": value})

    def of(self, owner_type: str, owner_id: int | None = None) -> dict[int, dict[str, Any]]:
        """Attributes by owner id: of every document (or case), or of one."""
        sql = (
            "SELECT a.owner_id, v.name, a.value FROM attributes a JOIN variables v ON v.id = a.variable_id "
            "WHERE a.owner_type = ?" + (" AND a.owner_id = ?" if owner_id is not None else "") + " ORDER BY v.name"
        )
        result: dict[int, dict[str, Any]] = {}
        params = [owner_type] if owner_id is None else [owner_type, owner_id]
        for owner_id, name, value in self.conn.execute(sql, params):
            result.setdefault(owner_id, {})[name] = value
        return result

    def cases_by_document(self) -> dict[int, list[str]]:
        result: dict[int, list[str]] = {}
        for doc_id, name in self.conn.execute(
            "SELECT dc.document_id, c.name FROM document_cases dc JOIN cases c ON c.id = dc.case_id ORDER BY c.name"
        ):
            result.setdefault(doc_id, []).append(name)
        return result

    def cases(self) -> list[Case]:
        attributes = self.of("case")
        result = []
        for case_id, name in self.conn.execute("SELECT id, name FROM cases ORDER BY name").fetchall():
            docs = tuple(
                r[0]
                for r in self.conn.execute(
                    "SELECT d.name FROM document_cases dc JOIN documents d ON d.id = dc.document_id "
                    "WHERE dc.case_id = ? ORDER BY d.name",
                    [case_id],
                )
            )
            speakers = tuple(self.conn.execute(
                "SELECT d.name, sc.speaker FROM speaker_cases sc JOIN documents d ON d.id = sc.document_id "
                "WHERE sc.case_id = ? ORDER BY d.name", [case_id]).fetchall())
            result.append(Case(case_id, name, docs, attributes.get(case_id, {}), speakers))
        return result

    def variables(self) -> list[Variable]:
        result = []
        for var_id, name, type_ in self.conn.execute("SELECT id, name, type FROM variables ORDER BY name").fetchall():
            values = [
                r[0]
                for r in self.conn.execute(
                    "SELECT DISTINCT value FROM attributes WHERE variable_id = ? ORDER BY value", [var_id]
                )
            ]
            count = self.conn.execute(
                "SELECT count(*) FROM attributes WHERE variable_id = ? AND owner_type = 'document'", [var_id]
            ).fetchone()[0]
            result.append(Variable(name, type_, count, tuple(values)))
        return result

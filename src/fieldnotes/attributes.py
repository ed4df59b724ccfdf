"""Cases, speakers and attributes: who a document is about and what it is.

Documents and cases carry typed attributes (``phase``, ``role``, ...); a
case can be linked to a whole document or to one speaker's turns in it.
Part of the project API as ``project.attributes``.
"""

from __future__ import annotations

from typing import Any

from fieldnotes.errors import FieldnotesError, NotFound, matching, suggest
from fieldnotes.ids import new_guid
from fieldnotes.manifest import coerce, infer_type
from fieldnotes.model import Case, Variable, VariableRef
from fieldnotes.service import Service
from fieldnotes.store.db import atomic
from fieldnotes.store.queries import attributes as q


def _widen(old: str, new: str) -> str:
    """The type that holds values of both ``old`` and ``new``."""
    if old == new:
        return old
    if {old, new} == {"integer", "number"}:
        return "number"
    return "text"


#: Names that filter like attributes without being stored as one.
PSEUDO_ATTRIBUTES = ("kind", "case", "document")


class Attributes(Service):
    """Cases, speaker links and attributes of documents and cases."""

    # -- resolving names ----------------------------------------------------------
    #
    # One rule per noun, used by every command, screen, table and export: the
    # exact name first, else the one name that matches ignoring case, else a
    # NotFound that suggests the close ones and says where to look.

    def case(self, name: str) -> tuple[int, str]:
        """``(id, name)`` of the case called ``name``."""
        wanted = name.strip()
        known = q.case_names(self.conn)
        folded = matching(known, wanted, lambda c: c[1])
        if len(folded) == 1:
            return folded[0]
        names = [c[1] for c in known]
        if folded:
            raise NotFound(f"'{wanted}' could be the case {' or '.join(c[1] for c in folded)}; give it as written.")
        raise NotFound(f"No case '{wanted}'.{suggest(wanted, names) if names else ''} See 'fieldnotes cases'.")

    def variable(self, name: str) -> VariableRef:
        """The attribute (variable) called ``name``: its id, name as stored and type."""
        wanted = name.strip()
        known = q.variables(self.conn)
        folded = matching(known, wanted, lambda v: v[1])
        if len(folded) == 1:
            return VariableRef(*folded[0])
        names = [v[1] for v in known]
        if folded:
            raise NotFound(f"'{wanted}' could be the attribute {' or '.join(v[1] for v in folded)}; "
                           "give it as written.")
        hint = suggest(wanted, names + list(PSEUDO_ATTRIBUTES)) if names else ""
        raise NotFound(f"No attribute '{wanted}'.{hint} Attributes in this project: "
                       f"{', '.join(sorted(names)) or 'none yet'} (see 'fieldnotes attributes').")

    # -- cases and speakers ---------------------------------------------------------

    def add_case_link(self, doc_id: int, case: str) -> None:
        """Link a document to a case by its exact name, creating the case if new
        (inside the caller's transaction: imports and merges)."""
        case_id = q.case_id(self.conn, case)
        if case_id is None:
            case_id = q.insert_case(self.conn, new_guid(), case)
        q.link_document(self.conn, doc_id, case_id)

    def link_speaker_quietly(self, doc_id: int, case: str, speaker: str) -> str | None:
        """Make ``speaker``'s turns in the document the words of ``case``.
        Returns a problem (the label is not a speaker there) instead of
        linking, so an import can warn and go on."""
        known = q.speakers_in(self.conn, doc_id)
        match = next((k for k in known if k.casefold() == speaker.strip().casefold()), None)
        if match is None:
            listed = ", ".join(known) if known else "none: it has no speaker turns"
            return f"'{speaker}' is not a speaker in this document (its speakers: {listed})"
        self.add_case_link(doc_id, case)
        q.link_speaker(self.conn, doc_id, match, q.case_id(self.conn, case))
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

    def unlink_speaker(self, document: str, speaker: str) -> None:
        """Forget which case ``speaker`` is in ``document``: the turns go back
        to all of the document's cases."""
        doc_id = self.project.document_id(document)
        with atomic(self.conn):
            if not q.unlink_speaker(self.conn, doc_id, speaker.strip()):
                raise NotFound(f"'{speaker}' is not linked to a case in {document}; "
                               f"see 'fieldnotes cases {self.project.path}'.")
            self.project.audit("case.unlink", {"document": document, "speaker": speaker})

    def speaker_cases(self) -> dict[int, dict[str, str]]:
        """Document id -> {speaker label (case-folded) -> case name}."""
        result: dict[int, dict[str, str]] = {}
        for doc_id, speaker, name in q.speaker_links(self.conn):
            result.setdefault(doc_id, {})[speaker.casefold()] = name
        return result

    def case_names(self) -> list[tuple[int, str]]:
        """``(id, name)`` of every case, by name."""
        return q.case_names(self.conn)

    def cases_by_document(self) -> dict[int, list[str]]:
        """Document id -> the names of its cases."""
        result: dict[int, list[str]] = {}
        for doc_id, name in q.cases_by_document(self.conn):
            result.setdefault(doc_id, []).append(name)
        return result

    def cases(self) -> list[Case]:
        """Every case with its documents, speaker links and attributes."""
        attributes = self.of("case")
        documents: dict[int, list[str]] = {}
        for case_id, document in q.documents_by_case(self.conn):
            documents.setdefault(case_id, []).append(document)
        speakers: dict[int, list[tuple[str, str]]] = {}
        for case_id, document, speaker in q.speakers_by_case(self.conn):
            speakers.setdefault(case_id, []).append((document, speaker))
        return [Case(case_id, name, tuple(documents.get(case_id, ())), attributes.get(case_id, {}),
                     tuple(speakers.get(case_id, ())))
                for case_id, name in q.case_names(self.conn)]

    # -- attributes ------------------------------------------------------------------

    def set_attribute(self, document: str, name: str, value: Any) -> None:
        """Set an attribute of a document (``phase``, ``role``, ...)."""
        doc_id = self.project.document_id(document)
        with atomic(self.conn):
            self.set_typed("document", doc_id, self._new_name(name), value, None)
            self.project.audit("attribute.set", {"document": document, "name": name, "value": value})

    def set_case_attribute(self, case: str, name: str, value: Any) -> None:
        """Set an attribute of a case itself (``role=Police officer`` for one
        of two people interviewed together): in an attribution it overrides
        the document's value for that case's turns."""
        case_id, _ = self.case(case)
        with atomic(self.conn):
            self.set_typed("case", case_id, self._new_name(name), value, None)
            self.project.audit("attribute.set", {"case": case, "name": name, "value": value})

    def _new_name(self, name: str) -> str:
        """The variable a user's ``name`` sets: an existing one it resolves to,
        else ``name`` in lower case (the form manifests create)."""
        try:
            return self.variable(name).name
        except NotFound:
            return name.strip().lower()

    def set_typed(self, owner_type: str, owner_id: int, name: str, value: Any, manifest_type: str | None) -> None:
        """Set a typed attribute, creating or widening its variable as needed."""
        value_type = manifest_type or infer_type([value])
        row = q.variable(self.conn, name)
        if row is None:
            var_id, var_type = q.insert_variable(self.conn, new_guid(), name, value_type), value_type
        else:
            var_id, var_type = row
            wider = _widen(var_type, value_type)
            if wider != var_type:
                # Existing values are converted so that every value of a
                # variable has one type (numbers compare as numbers).
                q.retype_variable(self.conn, var_id, wider)
                var_type = wider
        q.set_value(self.conn, var_id, owner_type, owner_id, coerce(value, var_type))

    def delete_all(self, owner_type: str, owner_id: int) -> None:
        """Remove every attribute of one document or case."""
        q.delete_values_of(self.conn, owner_type, owner_id)

    def of(self, owner_type: str, owner_id: int | None = None) -> dict[int, dict[str, Any]]:
        """Attributes by owner id: of every document (or case), or of one."""
        result: dict[int, dict[str, Any]] = {}
        for owner, name, value in q.values_by_owner(self.conn, owner_type, owner_id):
            result.setdefault(owner, {})[name] = value
        return result

    def values(self, name: str) -> tuple[str, dict[int, Any]]:
        """``(attribute name as stored, value by document id)`` of one attribute
        resolved as :meth:`variable` does; ``kind`` is the document kind."""
        try:
            ref = self.variable(name)
        except NotFound:
            if name.strip().casefold() == "kind":  # the document kind works like an attribute
                return "kind", self.project.kinds()
            raise
        return ref.name, q.values_of_variable(self.conn, ref.id)

    def documents_where(self, name: str, values: list[str]) -> set[int]:
        """Ids of the documents whose attribute ``name`` holds one of ``values``
        (compared by the attribute's type, so ``phase=2`` matches the number 2)."""
        ref = self.variable(name)
        try:
            typed = [coerce(v, ref.type) for v in values]
        except ValueError:
            raise FieldnotesError(f"'{ref.name}' holds {ref.type} values; '{', '.join(values)}' is not one.") from None
        return q.documents_with_values(self.conn, ref.id, typed)

    def names(self) -> list[str]:
        """The attributes' names, alphabetically (without counting their values)."""
        return [name for _, name, _ in q.variables(self.conn)]

    def variables(self) -> list[Variable]:
        """Every attribute with its type, how many documents have it, and its values."""
        return [Variable(name, type_, q.documents_with_variable(self.conn, var_id),
                         tuple(q.distinct_values(self.conn, var_id)))
                for var_id, name, type_ in q.variables(self.conn)]

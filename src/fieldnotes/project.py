"""The project API: the one facade the CLI and the TUI call.

A :class:`Project` wraps one project file. It holds every domain rule about
documents, turns, cases and attributes; the UIs hold none.

Example::

    from fieldnotes.project import Project

    with Project.create("study.fnp") as project:
        report = project.intake.import_paths(["transcripts/"], manifest="participants.csv")
        for hit in project.search("caseload"):
            print(hit.document, hit.speaker, hit.snippet)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fieldnotes.codebook.service import CodebookService
from fieldnotes.coding.coders import CoderService
from fieldnotes.coding.memos import MemoService
from fieldnotes.coding.service import CodingService
from fieldnotes.pseudonymise.service import PseudonymService
from fieldnotes.reading import ReadingService
from fieldnotes.study import StudyService
from fieldnotes.history import History
from fieldnotes.intake import Intake
from fieldnotes.attributes import PSEUDO_ATTRIBUTES, Attributes
from fieldnotes.errors import NotFound, suggest
from fieldnotes.model import Document, DocumentSummary, SearchHit, Turn
from fieldnotes.ids import now
from fieldnotes.store import SCHEMA_VERSION
from fieldnotes.store.db import atomic, create_project_file, open_project_file
from fieldnotes.store.queries import documents as q



class Project:
    """An open project file. Use :meth:`create` or :meth:`open`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, coder: str | None = None) -> None:
        self.path = path
        self.conn = conn
        #: Who is working (``--coder``); else FIELDNOTES_CODER, the config file, the login name.
        self.coder = coder
        self._db = None
        #: The parts of the API, each owning its own rules and queries.
        self.history = History(self)
        self.intake = Intake(self)
        self.attributes = Attributes(self)
        self.codebook = CodebookService(self)
        self.coders = CoderService(self)
        self.coding = CodingService(self)
        self.memos = MemoService(self)
        self.pseudonyms = PseudonymService(self)
        self.reading = ReadingService(self)
        self.study = StudyService(self)

    @property
    def db(self):
        """The file as a sqlite-utils ``Database`` (same connection), for
        tools and tests that want its conveniences."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn)
        return self._db

    # -- lifecycle ---------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, coder: str | None = None, *, passphrase=None) -> Project:
        """A new project file, owner-only; encrypted with ``passphrase``
        (a :class:`fieldnotes.store.cipher.Passphrase`) when given."""
        path = Path(path)
        project = cls(path, create_project_file(path, passphrase), coder)
        project.audit("project.create", {"schema": SCHEMA_VERSION})
        return project

    @classmethod
    def open(cls, path: str | Path, coder: str | None = None, *, passphrase=None) -> Project:
        path = Path(path)
        return cls(path, open_project_file(path, passphrase=passphrase), coder)

    @property
    def encrypted(self) -> bool:
        from fieldnotes.store.cipher import looks_encrypted

        return looks_encrypted(self.path)

    def access_warning(self) -> str | None:
        """One line when other users can read the project or a file beside it
        that holds its data, with the command that fixes it."""
        from fieldnotes.store.files import shared_with_others, siblings

        shared = [p.name for p in siblings(self.path) if p.is_file() and shared_with_others(p)]
        if not shared:
            return None
        return (f"{', '.join(shared)} can be read by other users of this computer; "
                f"make it private with: fieldnotes secure {self.path}")

    def close(self) -> None:
        self.conn.close()

    # -- working alongside other processes ----------------------------------

    @property
    def read_only(self) -> bool:
        """Whether the project opened read-only (its file or folder cannot be written)."""
        return bool(getattr(self.conn, "read_only", False))

    @staticmethod
    def lock_timeout() -> float:
        """How long a change waits for another process's write by default
        (FIELDNOTES_LOCK_TIMEOUT, else 30 s)."""
        from fieldnotes.store.db import lock_timeout

        return lock_timeout()

    def wait_for_lock(self, seconds: float) -> None:
        """How long a change waits while another process writes, before it
        fails with :class:`~fieldnotes.errors.ProjectLocked` (the workspace
        waits less than a script, so that it never freezes for long)."""
        from fieldnotes.store.db import set_lock_timeout

        set_lock_timeout(self.conn, seconds)

    def data_version(self) -> int:
        """A number that changes whenever another connection (another
        fieldnotes process, the CLI next to the workspace) commits a change
        to the project; cheap enough to poll every second."""
        return q.data_version(self.conn)

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- settings and the audit log ----------------------------------------------

    def audit(self, action: str, detail: dict[str, Any]) -> None:
        """Record an action in the audit log (inside the caller's transaction)."""
        q.audit(self.conn, now(), self.coders.coder_name(), action, json.dumps(detail, ensure_ascii=False))

    def setting(self, key: str, default: str | None = None) -> str | None:
        value = q.setting(self.conn, key)
        return default if value is None else value

    def settings(self) -> dict[str, str]:
        return q.settings(self.conn)

    def set_setting(self, key: str, value: str) -> None:
        with atomic(self.conn):
            q.set_setting(self.conn, key, value)
            self.audit("setting.set", {"key": key, "value": value})

    # -- documents -----------------------------------------------------------------

    def document_id(self, name: str) -> int:
        """Resolve a document by its name as ``documents`` lists it, or by that
        name without its extension when only one document has that stem; else
        the one name (or stem) that matches ignoring case."""
        found = q.id_by_name(self.conn, name)
        if found is not None:
            return found
        names = q.names(self.conn)
        stem_matches = [n for n in names if Path(n).stem == name]
        if len(stem_matches) == 1:
            return self.document_id(stem_matches[0])
        if len(stem_matches) > 1:
            raise NotFound(f"'{name}' could be {', '.join(stem_matches)}; give the full name.")
        folded = [n for n in names if n.casefold() == name.casefold() or Path(n).stem.casefold() == name.casefold()]
        if len(folded) == 1:
            return self.document_id(folded[0])
        raise NotFound(f"No document '{name}'.{suggest(name, names)} List them with 'fieldnotes documents'.")

    def document_text(self, doc_id: int) -> str:
        return q.text(self.conn, doc_id)

    def texts(self, doc_ids) -> dict[int, str]:
        """Document texts by id, each read once (slicing in Python beats
        SQLite's substr, which reads the whole text again for every row)."""
        return {i: q.text(self.conn, i) for i in doc_ids}

    def turns(self, doc_id: int) -> list[Turn]:
        return [Turn(*t) for t in q.turns(self.conn, doc_id)]

    def all_turns(self) -> dict[int, list[Turn]]:
        """Every document's turns, by document id."""
        result: dict[int, list[Turn]] = {}
        for row in q.all_turns(self.conn):
            result.setdefault(row[0], []).append(Turn(*row[1:]))
        return result

    def kinds(self) -> dict[int, str]:
        """Document id -> kind (interview, observation, ...)."""
        return q.kinds(self.conn)

    def documents(self, where: Sequence[tuple[str, str]] = ()) -> list[DocumentSummary]:
        """Every document with its kind, size, cases and attributes."""
        ids = self.filter_documents(where) if where else None
        attributes = self.attributes.of("document")
        cases = self.attributes.cases_by_document()
        return [
            DocumentSummary(
                id=r[0], name=r[1], kind=r[2], format=r[3], words=r[4], imported_at=r[5], turns=r[6],
                codings=r[7], cases=tuple(cases.get(r[0], ())), attributes=attributes.get(r[0], {}),
            )
            for r in q.summaries(self.conn)
            if ids is None or r[0] in ids
        ]

    def document(self, name: str) -> Document:
        """One document with its full text and speaker turns."""
        doc_id = self.document_id(name)
        r = q.row(self.conn, doc_id)
        return Document(
            id=r[0], guid=r[1], name=r[2], kind=r[3], format=r[4], text=r[5], words=r[6], sha256=r[7],
            source_path=r[8], encoding=r[9], imported_at=r[10], turns=tuple(self.turns(doc_id)),
            cases=tuple(q.cases_of(self.conn, doc_id)),
            attributes=self.attributes.of("document", doc_id).get(doc_id, {}),
        )

    def filter_documents(self, where: Sequence[tuple[str, str]]) -> set[int]:
        """Ids of the documents matching every ``(attribute, value)`` pair.

        Several values for one attribute mean any of them (``role=SW CP`` and
        ``role=SW LAC``); different attributes must all match. Values compare
        by the attribute's type, so ``phase=2`` matches the integer 2.
        ``kind``, ``case`` and ``document`` filter on the document kind, its
        cases and its name. Attribute, case and document names resolve as
        everywhere else (exact, else ignoring case), with the same errors.
        """
        by_name: dict[str, list[str]] = {}
        for name, value in where:
            key = name.strip()
            key = key.lower() if key.lower() in PSEUDO_ATTRIBUTES else key
            by_name.setdefault(key, []).append(value)
        ids: set[int] | None = None
        for name, values in by_name.items():
            if name == "document":
                found = {self.document_id(v) for v in values}
            elif name == "kind":
                found = q.ids_of_kinds(self.conn, values)
            elif name == "case":
                found = q.ids_of_cases(self.conn, [self.attributes.case(v)[0] for v in values])
            else:
                found = self.attributes.documents_where(name, values)
            ids = found if ids is None else ids & found
        return ids if ids is not None else set()

    # -- search ----------------------------------------------------------------------

    def search(
        self, query: str, *, where: Sequence[tuple[str, str]] = (), limit: int | None = 50, context: int = 70
    ) -> list[SearchHit]:
        """Full-text search: words, ``"a phrase"``, ``prefix*``, ``a OR b``, ``a NOT b``,
        matched within each speaker turn; see :func:`fieldnotes.search.search`."""
        from fieldnotes.search import search

        return search(self, query, where=where, limit=limit, context=context)

    # -- summary -----------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Where the project is, who can read it, and how much it holds."""
        counts = q.counts(self.conn)
        return {
            "path": str(self.path),
            "schema_version": counts.pop("schema_version"),
            "size_bytes": self.path.stat().st_size,
            "access": _access(self.path),
            "encrypted": self.encrypted,
            **counts,
        }


def _access(path: Path) -> str:
    from fieldnotes.store.files import access

    return access(path)





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

from fieldnotes.codes import CodebookService
from fieldnotes.coding import CodingService
from fieldnotes.pseudo import PseudonymService
from fieldnotes.reading import ReadingService
from fieldnotes.history import History
from fieldnotes.intake import Intake
from fieldnotes.attributes import Attributes
from fieldnotes.errors import FieldnotesError, NotFound, suggest
from fieldnotes.manifest import coerce
from fieldnotes.model import Document, DocumentSummary, SearchHit, Turn
from fieldnotes.ids import now
from fieldnotes.store import SCHEMA_VERSION
from fieldnotes.store.db import atomic, create_project_file, open_project_file



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
        self.coding = CodingService(self)
        self.pseudonyms = PseudonymService(self)
        self.reading = ReadingService(self)

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
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- small helpers -----------------------------------------------------

    def document_text(self, doc_id: int) -> str:
        return self.conn.execute("SELECT text FROM documents WHERE id = ?", [doc_id]).fetchone()[0]

    def texts(self, doc_ids) -> dict[int, str]:
        """Document texts by id, each read once (slicing in Python beats
        SQLite's substr, which reads the whole text again for every row)."""
        return {i: self.document_text(i) for i in doc_ids}

    def all_turns(self) -> dict[int, list]:
        from fieldnotes.model import Turn

        result: dict[int, list] = {}
        for row in self.conn.execute(
            'SELECT document_id, seq, speaker, start, "end", time_start, time_end FROM turns ORDER BY document_id, seq'
        ):
            result.setdefault(row[0], []).append(Turn(*row[1:]))
        return result

    def turns(self, doc_id: int):
        from fieldnotes.model import Turn

        return [Turn(*t) for t in self.conn.execute(
            'SELECT seq, speaker, start, "end", time_start, time_end FROM turns WHERE document_id = ? ORDER BY seq', [doc_id])]

    def audit(self, action: str, detail: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO audit(at, actor, action, detail) VALUES (?, ?, ?, ?)",
            [now(), self.coding.coder_name(), action, json.dumps(detail, ensure_ascii=False)],
        )

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def settings(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM settings ORDER BY key").fetchall())

    def set_setting(self, key: str, value: str) -> None:
        with atomic(self.conn):
            self.conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            self.audit("setting.set", {"key": key, "value": value})

    # -- documents ---------------------------------------------------------

    def document_id(self, name: str) -> int:
        """Resolve a document by its name as ``documents`` lists it, or by that
        name without its extension when only one document has that stem."""
        row = self.conn.execute("SELECT id FROM documents WHERE name = ?", [name]).fetchone()
        if row:
            return row[0]
        names = [r[0] for r in self.conn.execute("SELECT name FROM documents")]
        stem_matches = [n for n in names if Path(n).stem == name]
        if len(stem_matches) == 1:
            return self.document_id(stem_matches[0])
        if len(stem_matches) > 1:
            raise NotFound(f"'{name}' could be {', '.join(stem_matches)}; give the full name.")
        folded = [n for n in names if n.casefold() == name.casefold() or Path(n).stem.casefold() == name.casefold()]
        if len(folded) == 1:
            return self.document_id(folded[0])
        raise NotFound(f"No document '{name}'.{suggest(name, names)} List them with 'fieldnotes documents'.")

    def documents(self, where: Sequence[tuple[str, str]] = ()) -> list[DocumentSummary]:
        """Every document with its kind, size, cases and attributes."""
        ids = self.filter_documents(where) if where else None
        attributes = self.attributes.of("document")
        cases = self.attributes.cases_by_document()
        rows = self.conn.execute(
            "SELECT d.id, d.name, d.kind, d.format, d.words, d.imported_at, "
            "(SELECT count(*) FROM turns t WHERE t.document_id = d.id), "
            "(SELECT count(*) FROM codings c WHERE c.document_id = d.id) "
            "FROM documents d ORDER BY d.name"
        ).fetchall()
        return [
            DocumentSummary(
                id=r[0], name=r[1], kind=r[2], format=r[3], words=r[4], imported_at=r[5], turns=r[6],
                codings=r[7], cases=tuple(cases.get(r[0], ())), attributes=attributes.get(r[0], {}),
            )
            for r in rows
            if ids is None or r[0] in ids
        ]

    def document(self, name: str) -> Document:
        """One document with its full text and speaker turns."""
        doc_id = self.document_id(name)
        r = self.conn.execute(
            "SELECT id, guid, name, kind, format, text, words, sha256, source_path, encoding, imported_at "
            "FROM documents WHERE id = ?",
            [doc_id],
        ).fetchone()
        turns = tuple(
            Turn(*t)
            for t in self.conn.execute(
                'SELECT seq, speaker, start, "end", time_start, time_end FROM turns '
                "WHERE document_id = ? ORDER BY seq",
                [doc_id],
            )
        )
        cases = tuple(
            c[0]
            for c in self.conn.execute(
                "SELECT c.name FROM document_cases dc JOIN cases c ON c.id = dc.case_id "
                "WHERE dc.document_id = ? ORDER BY c.name",
                [doc_id],
            )
        )
        return Document(
            id=r[0], guid=r[1], name=r[2], kind=r[3], format=r[4], text=r[5], words=r[6], sha256=r[7],
            source_path=r[8], encoding=r[9], imported_at=r[10], turns=turns, cases=cases,
            attributes=self.attributes.of("document", doc_id).get(doc_id, {}),
        )

    def filter_documents(self, where: Sequence[tuple[str, str]]) -> set[int]:
        """Ids of the documents matching every ``(attribute, value)`` pair.

        Several values for one attribute mean any of them (``role=SW CP`` and
        ``role=SW LAC``); different attributes must all match. Values compare
        by the attribute's type, so ``phase=2`` matches the integer 2.
        ``kind`` and ``case`` filter on the document kind and its cases.
        """
        by_name: dict[str, list[str]] = {}
        for name, value in where:
            by_name.setdefault(name.strip().lower(), []).append(value)
        ids: set[int] | None = None
        for name, values in by_name.items():
            if name == "document":
                found = {r[0] for r in self.conn.execute(
                    f"SELECT id FROM documents WHERE name IN ({','.join('?' * len(values))})", values)}
            elif name == "kind":
                found = {r[0] for r in self.conn.execute(
                    f"SELECT id FROM documents WHERE kind IN ({','.join('?' * len(values))})", values)}
            elif name == "case":
                found = {r[0] for r in self.conn.execute(
                    "SELECT dc.document_id FROM document_cases dc JOIN cases c ON c.id = dc.case_id "
                    f"WHERE c.name IN ({','.join('?' * len(values))})", values)}
            else:
                var = self.conn.execute("SELECT id, type FROM variables WHERE name = ?", [name]).fetchone()
                if var is None:
                    known = [r[0] for r in self.conn.execute("SELECT name FROM variables")] + ["kind", "case", "document"]
                    raise NotFound(f"No attribute '{name}'.{suggest(name, known)} See 'fieldnotes attributes'.")
                try:
                    typed = [coerce(v, var[1]) for v in values]
                except ValueError:
                    raise FieldnotesError(
                        f"'{name}' holds {var[1]} values; '{', '.join(values)}' is not one."
                    ) from None
                found = {r[0] for r in self.conn.execute(
                    "SELECT owner_id FROM attributes WHERE owner_type = 'document' AND variable_id = ? "
                    f"AND value IN ({','.join('?' * len(typed))})", [var[0], *typed])}
            ids = found if ids is None else ids & found
        return ids if ids is not None else set()

    # -- search ------------------------------------------------------------

    def search(
        self, query: str, *, where: Sequence[tuple[str, str]] = (), limit: int | None = 50, context: int = 70
    ) -> list[SearchHit]:
        """Full-text search: words, ``"a phrase"``, ``prefix*``, ``a OR b``, ``a NOT b``,
        matched within each speaker turn; see :func:`fieldnotes.search.search`."""
        from fieldnotes.search import search

        return search(self, query, where=where, limit=limit, context=context)

    # -- summary -----------------------------------------------------------

    def info(self) -> dict[str, Any]:
        def count(table: str) -> int:
            return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

        words = self.conn.execute("SELECT ifnull(sum(words), 0) FROM documents").fetchone()[0]
        kinds = dict(self.conn.execute("SELECT kind, count(*) FROM documents GROUP BY kind ORDER BY kind").fetchall())
        return {
            "path": str(self.path),
            "schema_version": self.conn.execute("PRAGMA user_version").fetchone()[0],
            "size_bytes": self.path.stat().st_size,
            "access": _access(self.path),
            "encrypted": self.encrypted,
            "documents": count("documents"),
            "kinds": kinds,
            "words": words,
            "turns": count("turns"),
            "speakers": self.conn.execute("SELECT count(DISTINCT speaker) FROM turns").fetchone()[0],
            "cases": count("cases"),
            "attributes": count("variables"),
            "codes": count("codes"),
            "codings": count("codings"),
            "memos": count("memos"),
            "entities": count("entities"),
        }


def _access(path: Path) -> str:
    from fieldnotes.store.files import access

    return access(path)





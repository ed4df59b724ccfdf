"""The project API: the one facade the CLI and the TUI call.

A :class:`Project` wraps one project file. It holds every domain rule about
documents, turns, cases and attributes; the UIs hold none.

Example::

    from fieldnotes.project import Project

    with Project.create("study.fnp") as project:
        report = project.import_paths(["transcripts/"], manifest="participants.csv")
        for hit in project.search("caseload"):
            print(hit.document, hit.speaker, hit.snippet)
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fieldnotes.codes import CodebookService
from fieldnotes.coding import CodingService
from fieldnotes.pseudo import PseudonymService
from fieldnotes.reading import ReadingService
from fieldnotes.study import StudyService
from fieldnotes.history import History
from fieldnotes.importers.batch import Prepared, read_ahead
from fieldnotes.errors import FieldnotesError, NotFound, ProjectLocked, ProjectReadOnly
from fieldnotes.manifest import Manifest, coerce, infer_type, read_manifest
from fieldnotes.model import (
    KINDS,
    Case,
    Document,
    DocumentSummary,
    FileOutcome,
    ImportReport,
    SearchHit,
    Turn,
    Variable,
)
from fieldnotes.ids import new_guid, now
from fieldnotes.store import SCHEMA_VERSION
from fieldnotes.store.db import atomic, create_project_file, open_project_file

#: Files over this size are refused (a 5,000-word transcript is about 30 KB;
#: a long .docx with images rarely exceeds 20 MB). Change with ``max_bytes``.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

#: Files that folder imports pass over without a word.
_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}

ProgressCallback = Callable[[FileOutcome], None]


def _widen(old: str, new: str) -> str:
    """The type that holds values of both ``old`` and ``new``."""
    if old == new:
        return old
    if {old, new} == {"integer", "number"}:
        return "number"
    return "text"


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
        self.codebook = CodebookService(self)
        self.coding = CodingService(self)
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

    # -- import ------------------------------------------------------------

    def import_paths(
        self,
        paths: Sequence[str | Path],
        *,
        manifest: str | Path | Manifest | None = None,
        kind: str | None = None,
        replace: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        progress: ProgressCallback | None = None,
        on_files: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import files and folders (recursively). Each file is imported in its
        own transaction: a failure or a crash never leaves half a document.

        Bad files are reported in the returned :class:`ImportReport` and the
        good ones still import. ``on_files`` is told how many files were found
        before work starts (for a progress bar); ``progress`` is called after
        each file.
        """
        if kind is not None and kind not in KINDS:
            raise FieldnotesError(f"Unknown kind '{kind}'; use one of {', '.join(KINDS)}.")
        if manifest is not None and not isinstance(manifest, Manifest):
            manifest = read_manifest(Path(manifest))
        report = ImportReport()
        files = self._collect(paths, manifest, report)
        if on_files:
            on_files(len(files))
        used_rows: set[int] = set()
        types = manifest.types if manifest else {}
        known = {r[0] for r in self.conn.execute("SELECT sha256 FROM documents")}
        for (path, root), prepared in zip(files, read_ahead([f for f, _ in files], known, max_bytes)):
            row = manifest.lookup(path, root) if manifest else None
            if row is not None:
                used_rows.add(row.line)
            if isinstance(prepared, FileOutcome):
                outcome = prepared
                if outcome.status == "skipped" and outcome.document is None:
                    outcome.document, outcome.message = self._identical(outcome.message)
            else:
                outcome = self._store(path, prepared, row, types, kind, replace)
            if manifest is not None and row is None and outcome.status != "failed":
                outcome.warnings.append("not listed in the manifest: no kind, cases or attributes set")
            report.outcomes.append(outcome)
            if progress:
                progress(outcome)
        if manifest is not None:
            for row in manifest.rows.values():
                if row.line not in used_rows:
                    report.notes.append(
                        f"{manifest.path.name} line {row.line}: no file '{row.file}' among the imported paths"
                    )
        return report

    def _collect(
        self, paths: Sequence[str | Path], manifest: Manifest | None, report: ImportReport
    ) -> list[tuple[Path, Path | None]]:
        files: list[tuple[Path, Path | None]] = []
        manifest_path = manifest.path.resolve() if manifest else None
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                for child in sorted(path.rglob("*")):
                    rel = child.relative_to(path)
                    if not child.is_file() or any(p.startswith((".", "~$")) for p in rel.parts):
                        continue
                    if child.name in _IGNORED_NAMES or (manifest_path and child.resolve() == manifest_path):
                        continue
                    if manifest is not None and manifest.lookup(child, path) is None:
                        report.outcomes.append(
                            FileOutcome(
                                str(child),
                                "skipped",
                                message="not listed in the manifest (name the file to import it anyway)",
                            )
                        )
                        continue
                    files.append((child, path))
            elif path.is_file():
                files.append((path, None))
            else:
                report.outcomes.append(
                    FileOutcome(str(path), "failed", message="no such file or folder")
                )
        return files

    def _identical(self, digest: str) -> tuple[str, str]:
        name = self.conn.execute("SELECT name FROM documents WHERE sha256 = ?", [digest]).fetchone()[0]
        return name, f"identical to document '{name}' already in the project"

    def _store(self, path: Path, prepared: Prepared, row, types: dict[str, str], kind: str | None,
               replace: bool) -> FileOutcome:
        """Write one parsed file in its own transaction."""
        parsed, digest = prepared.parsed, prepared.sha256
        shown = str(path)
        if self.conn.execute("SELECT 1 FROM documents WHERE sha256 = ?", [digest]).fetchone():
            name, message = self._identical(digest)  # a copy earlier in the same batch
            return FileOutcome(shown, "skipped", document=name, message=message)
        outcome = FileOutcome(shown, "imported", warnings=list(parsed.warnings))
        doc_kind = (row.kind if row and row.kind else None) or kind or ("interview" if parsed.turns else "other")
        try:
            with atomic(self.conn):
                name = path.name
                existing = self.conn.execute("SELECT id FROM documents WHERE name = ?", [name]).fetchone()
                if existing and replace:
                    lost = self.conn.execute(
                        "SELECT count(*) FROM codings WHERE document_id = ?", [existing[0]]
                    ).fetchone()[0]
                    self.conn.execute("DELETE FROM documents WHERE id = ?", [existing[0]])
                    self._delete_attributes("document", existing[0])
                    outcome.status = "replaced"
                    outcome.message = "replaced the earlier version" + (
                        f" and its {lost} coding(s)" if lost else ""
                    )
                elif existing:
                    stem, suffix, n = path.stem, path.suffix, 2
                    while self.conn.execute("SELECT 1 FROM documents WHERE name = ?", [f"{stem}-{n}{suffix}"]).fetchone():
                        n += 1
                    name = f"{stem}-{n}{suffix}"
                    outcome.message = (
                        f"a different '{path.name}' is already in the project: imported as '{name}' "
                        "(use --replace to replace it instead)"
                    )
                doc_id = self._insert_document(name, doc_kind, prepared, str(path))
                if row is not None:
                    for case in row.cases:
                        self._link_case(doc_id, case)
                    for case, label in row.speakers.items():
                        problem = self._link_speaker(doc_id, case, label)
                        if problem:
                            outcome.warnings.append(f"manifest line {row.line}: {problem}")
                    for variable, value in row.attributes.items():
                        try:
                            self._set_attribute("document", doc_id, variable, value, types.get(variable))
                        except OverflowError:
                            raise FieldnotesError(
                                f"manifest line {row.line}, column '{variable}': {value} is a whole number too "
                                "large to store (the limit is 9,223,372,036,854,775,807); check the value, or "
                                "put a letter in front if it is an identifier, then import again") from None
                self.audit(
                    "document.import",
                    {"document": name, "sha256": digest, "source": str(path), "status": outcome.status},
                )
        except (ProjectLocked, ProjectReadOnly):
            raise  # about the project, not this file: stop the batch rather than fail every file
        except FieldnotesError as exc:
            return FileOutcome(shown, "failed", message=str(exc))
        outcome.document = name
        return outcome

    def _insert_document(self, name: str, kind: str, prepared: Prepared, source: str) -> int:
        parsed = prepared.parsed
        cursor = self.conn.execute(
            "INSERT INTO documents(guid, name, kind, text, format, source_path, sha256, encoding, words, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                new_guid(), name, kind, parsed.text, parsed.format, source, prepared.sha256,
                parsed.encoding, prepared.words, now(),
            ],
        )
        doc_id = cursor.lastrowid
        if parsed.turns:
            self.conn.executemany(
                'INSERT INTO turns(document_id, seq, speaker, start, "end", time_start, time_end) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (doc_id, i, t.speaker, t.start, t.end, t.time_start, t.time_end)
                    for i, t in enumerate(parsed.turns)
                ],
            )
        return doc_id

    def _link_case(self, doc_id: int, case: str) -> None:
        row = self.conn.execute("SELECT id FROM cases WHERE name = ?", [case]).fetchone()
        case_id = row[0] if row else self.conn.execute(
            "INSERT INTO cases(guid, name) VALUES (?, ?)", [new_guid(), case]
        ).lastrowid
        self.conn.execute(
            "INSERT OR IGNORE INTO document_cases(document_id, case_id) VALUES (?, ?)", [doc_id, case_id]
        )

    def _link_speaker(self, doc_id: int, case: str, speaker: str) -> str | None:
        """Make ``speaker``'s turns in the document the words of ``case``.
        Returns a problem (the label is not a speaker there) instead of
        linking, so an import can warn and go on."""
        known = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT speaker FROM turns WHERE document_id = ? AND speaker IS NOT NULL ORDER BY speaker", [doc_id])]
        match = next((k for k in known if k.casefold() == speaker.strip().casefold()), None)
        if match is None:
            listed = ", ".join(known) if known else "none: it has no speaker turns"
            return f"'{speaker}' is not a speaker in this document (its speakers: {listed})"
        self._link_case(doc_id, case)
        case_id = self.conn.execute("SELECT id FROM cases WHERE name = ?", [case]).fetchone()[0]
        self.conn.execute(
            "INSERT INTO speaker_cases(document_id, speaker, case_id) VALUES (?, ?, ?) "
            "ON CONFLICT(document_id, speaker) DO UPDATE SET case_id = excluded.case_id", [doc_id, match, case_id])
        return None

    def link_case(self, case: str, document: str, speaker: str | None = None) -> None:
        """Link ``case`` to ``document``; with ``speaker``, only that speaker's
        turns are the case's words (a joint interview, a focus group), and the
        other speakers' turns stop counting for the case."""
        doc_id = self.document_id(document)
        case = case.strip()
        if not case:
            raise FieldnotesError("Give the case's name, for example EH02.")
        with atomic(self.conn):
            if speaker is None:
                self._link_case(doc_id, case)
            else:
                problem = self._link_speaker(doc_id, case, speaker)
                if problem:
                    raise FieldnotesError(f"Cannot link case {case} in {document}: {problem}.")
            self.audit("case.link", {"case": case, "document": document, "speaker": speaker})

    def set_case_attribute(self, case: str, name: str, value: Any) -> None:
        """Set an attribute of a case itself (``role=Police officer`` for one
        of two people interviewed together): in an attribution it overrides
        the document's value for that case's turns."""
        row = self.conn.execute("SELECT id FROM cases WHERE name = ?", [case.strip()]).fetchone()
        if row is None:
            names = [r[0] for r in self.conn.execute("SELECT name FROM cases")]
            raise NotFound(f"No case '{case}'.{_suggest(case, names) if names else ''} See 'fieldnotes cases'.")
        with atomic(self.conn):
            self._set_attribute("case", row[0], name.strip().lower(), value, None)
            self.audit("attribute.set", {"case": case, "name": name, "value": value})

    def unlink_speaker(self, document: str, speaker: str) -> None:
        """Forget which case ``speaker`` is in ``document``: the turns go back
        to all of the document's cases."""
        doc_id = self.document_id(document)
        with atomic(self.conn):
            gone = self.conn.execute("DELETE FROM speaker_cases WHERE document_id = ? AND speaker = ?",
                                     [doc_id, speaker.strip()]).rowcount
            if not gone:
                raise NotFound(f"'{speaker}' is not linked to a case in {document}; see 'fieldnotes cases {self.path}'.")
            self.audit("case.unlink", {"document": document, "speaker": speaker})

    def speaker_cases(self) -> dict[int, dict[str, str]]:
        """Document id -> {speaker label (case-folded) -> case name}."""
        result: dict[int, dict[str, str]] = {}
        for doc_id, speaker, name in self.conn.execute(
                "SELECT sc.document_id, sc.speaker, c.name FROM speaker_cases sc JOIN cases c ON c.id = sc.case_id"):
            result.setdefault(doc_id, {})[speaker.casefold()] = name
        return result

    def _delete_attributes(self, owner_type: str, owner_id: int) -> None:
        self.conn.execute("DELETE FROM attributes WHERE owner_type = ? AND owner_id = ?", [owner_type, owner_id])

    def _set_attribute(self, owner_type: str, owner_id: int, name: str, value: Any, manifest_type: str | None) -> None:
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
        doc_id = self.document_id(document)
        with atomic(self.conn):
            self._set_attribute("document", doc_id, name.strip().lower(), value, None)
            self.audit("attribute.set", {"document": document, "name": name, "value": value})

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
        raise NotFound(f"No document '{name}'.{_suggest(name, names)} List them with 'fieldnotes documents'.")

    def _attributes_of(self, owner_type: str, owner_id: int | None = None) -> dict[int, dict[str, Any]]:
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

    def _cases_of(self) -> dict[int, list[str]]:
        result: dict[int, list[str]] = {}
        for doc_id, name in self.conn.execute(
            "SELECT dc.document_id, c.name FROM document_cases dc JOIN cases c ON c.id = dc.case_id ORDER BY c.name"
        ):
            result.setdefault(doc_id, []).append(name)
        return result

    def documents(self, where: Sequence[tuple[str, str]] = ()) -> list[DocumentSummary]:
        """Every document with its kind, size, cases and attributes."""
        ids = self.filter_documents(where) if where else None
        attributes = self._attributes_of("document")
        cases = self._cases_of()
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
            attributes=self._attributes_of("document", doc_id).get(doc_id, {}),
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
                    raise NotFound(f"No attribute '{name}'.{_suggest(name, known)} See 'fieldnotes attributes'.")
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

    # -- cases and attributes ----------------------------------------------

    def cases(self) -> list[Case]:
        attributes = self._attributes_of("case")
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

    # -- search ------------------------------------------------------------

    def search(
        self, query: str, *, where: Sequence[tuple[str, str]] = (), limit: int | None = 50, context: int = 70
    ) -> list[SearchHit]:
        """Full-text search: words, ``"a phrase"``, ``prefix*``, ``a OR b``, ``a NOT b``.

        The query is matched within each speaker turn (each paragraph where a
        document has no turns), not across a whole document: ``agency NOT
        staff`` finds the turns that say "agency" without saying "staff", and
        ``caseload supervision`` the turns that mention both.

        Returns one hit per matching place (not per document), with the
        speaker of the turn it falls in and a snippet around it.
        """
        query = query.strip()
        if not query:
            raise FieldnotesError("Give something to search for, for example: caseload or \"direct work\".")
        ids = self.filter_documents(where) if where else None
        # Documents that can hold a matching turn: a turn matching "a NOT b"
        # lies in a document matching "a OR b", so the whole-document index
        # narrows the search before turns are indexed.
        rows = [r for r in self._fts(_without_not(query)) if ids is None or r[0] in ids]
        hits: list[SearchHit] = []
        attributes = self._attributes_of("document")
        turns: dict[int, list] = {}

        def speaker_at(doc_id: int, start: int) -> str | None:
            if doc_id not in turns:
                turns[doc_id] = self.conn.execute(
                    'SELECT start, "end", speaker FROM turns WHERE document_id = ? ORDER BY seq', [doc_id]).fetchall()
            return next((t[2] for t in turns[doc_id] if t[0] <= start < t[1]), None)

        def add(doc_id: int, name: str, text: str, start: int, end: int) -> bool:
            snippet, hit = _snippet(text, start, end, context)
            hits.append(SearchHit(name, start, end, speaker_at(doc_id, start), snippet, hit, attributes.get(doc_id, {})))
            return limit is not None and len(hits) >= limit

        if not _needs_turns(query):
            # One word, phrase or prefix (or several joined by OR): a match in
            # the document is a match in its turn; no second pass needed.
            for doc_id, name, marked in rows:
                text = marked.replace("\x02", "").replace("\x03", "")
                for start, end in _marked_spans(marked):
                    if add(doc_id, name, text, start, end):
                        return hits
            return hits
        self.conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_units USING fts5("
                          "text, doc UNINDEXED, start UNINDEXED, tokenize='unicode61 remove_diacritics 2')")
        try:
            # A few documents at a time, in rank order, so that a search with
            # a limit indexes only as many turns as it needs.
            for batch in range(0, len(rows), 25):
                chosen = rows[batch:batch + 25]
                names = {doc_id: name for doc_id, name, _ in chosen}
                texts = {doc_id: self.document_text(doc_id) for doc_id in names}
                self.conn.execute("DELETE FROM temp.search_units")
                for doc_id in names:
                    speaker_at(doc_id, -1)  # loads the document's turns
                    self.conn.executemany("INSERT INTO temp.search_units(text, doc, start) VALUES (?, ?, ?)", [
                        (texts[doc_id][a:b], doc_id, a) for a, b in _units(texts[doc_id], turns[doc_id])])
                order = {doc_id: n for n, doc_id in enumerate(names)}
                found = self._fts(query, "temp.search_units")
                found.sort(key=lambda r: (order[r[0]], r[1]))
                for doc_id, offset, marked in found:
                    for a, b in _marked_spans(marked):
                        if add(doc_id, names[doc_id], texts[doc_id], offset + a, offset + b):
                            return hits
        finally:
            self.conn.execute("DELETE FROM temp.search_units")
        return hits

    def _fts(self, query: str, table: str = "documents") -> list[tuple[int, Any, str]]:
        """``(document id, name, marked text)`` of the documents matching
        ``query`` in rank order; with ``table="temp.search_units"``,
        ``(document id, unit start, marked text)`` of the matching units."""
        if table == "documents":
            sql = ("SELECT d.id, d.name, highlight(documents_fts, 0, char(2), char(3)) "
                   "FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
                   "WHERE documents_fts MATCH ? ORDER BY rank")
        else:
            sql = f"SELECT doc, start, highlight(search_units, 0, char(2), char(3)) FROM {table} WHERE search_units MATCH ?"
        try:
            return self.conn.execute(sql, [query]).fetchall()
        except sqlite3.OperationalError:
            # Not FTS5 syntax (an apostrophe, a stray quote): search the words as typed.
            words = re.findall(r"[\w'’*-]+", query)
            safe = " ".join('"' + w.replace('"', "").rstrip("*") + '"' + ("*" if w.endswith("*") else "") for w in words)
            if not safe:
                raise FieldnotesError(f"Nothing to search for in {query!r}.") from None
            try:
                return self.conn.execute(sql, [safe]).fetchall()
            except sqlite3.OperationalError as exc:
                raise FieldnotesError(
                    f"Cannot search for {query!r} ({exc}). Use words, \"a phrase\", prefix* or OR."
                ) from None

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


def _suggest(name: str, choices: Sequence[str]) -> str:
    from rapidfuzz import fuzz, process

    close = [c for c, score, _ in process.extract(name, list(choices), scorer=fuzz.WRatio, limit=3) if score >= 70]
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def _without_not(query: str) -> str:
    """``query`` with each NOT operator (outside quotes) turned into OR: a
    broader query that every document holding a match of ``query`` in one
    of its turns also matches."""
    parts = re.split(r'("[^"]*")', query)
    return "".join(p if p.startswith('"') else re.sub(r"\bNOT\b", "OR", p) for p in parts)


def _needs_turns(query: str) -> bool:
    """Whether matching ``query`` in a turn can differ from matching it in
    the whole document: NOT, AND, NEAR, groups, or two terms side by side
    (an implicit AND). One term, phrase or prefix, or terms joined by OR,
    match the same places either way."""
    bare = re.sub(r'"[^"]*"', " P ", query)
    if re.search(r"\b(?:NOT|AND|NEAR)\b|[():^+{}]", bare):
        return True
    terms = bare.split()
    return not (len(terms) % 2 == 1 and all(t == "OR" for t in terms[1::2]))


def _units(text: str, turns: Sequence[tuple[int, int, Any]]) -> list[tuple[int, int]]:
    """The ranges a search matches within: each speaker turn, and each
    paragraph of the text outside the turns (all of it in notes)."""
    from fieldnotes.passages import paragraph_at

    units = [(a, b) for a, b, _ in turns if b > a]
    covered = sorted(units)
    gaps, pos = [], 0
    for a, b in covered:
        if a > pos:
            gaps.append((pos, a))
        pos = max(pos, b)
    gaps.append((pos, len(text)))
    for a, b in gaps:
        # Paragraphs of the gap; between two turns that is only a label line.
        at = a
        while at < b:
            while at < b and text[at].isspace():
                at += 1
            if at >= b:
                break
            p_start, p_end = paragraph_at(text, at)
            p_start, p_end = max(p_start, a), min(max(p_end, at + 1), b)
            units.append((p_start, p_end))
            at = p_end
    return units


def _marked_spans(marked: str) -> list[tuple[int, int]]:
    """Offsets, in the unmarked text, of the spans FTS5 highlighted with \\x02...\\x03."""
    spans = []
    removed = 0
    pos = 0
    while True:
        start = marked.find("\x02", pos)
        if start < 0:
            return spans
        end = marked.find("\x03", start)
        spans.append((start - removed, end - removed - 1))
        removed += 2
        pos = end + 1


def _snippet(text: str, start: int, end: int, context: int) -> tuple[str, tuple[int, int]]:
    left = max(0, start - context)
    right = min(len(text), end + context)
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space >= 0 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space >= 0 else right

    def flat(part: str) -> str:
        return re.sub(r"\s+", " ", part)

    before = ("…" if left > 0 else "") + flat(text[left:start])
    hit = flat(text[start:end])
    after = flat(text[end:right]) + ("…" if right < len(text) else "")
    return before + hit + after, (len(before), len(before) + len(hit))

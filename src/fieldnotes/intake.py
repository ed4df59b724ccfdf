"""Bringing files into a project: collect, read ahead, store each file in its
own transaction, link its cases and attributes from the manifest.

Part of the project API as ``project.intake``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from fieldnotes.errors import FieldnotesError, ProjectLocked, ProjectReadOnly
from fieldnotes.ids import new_guid, now
from fieldnotes.importers.batch import Prepared, read_ahead
from fieldnotes.manifest import Manifest, read_manifest
from fieldnotes.model import KINDS, FileOutcome, ImportReport
from fieldnotes.service import Service
from fieldnotes.store.db import atomic
from fieldnotes.store.queries import documents as q

#: Files over this size are refused (a 5,000-word transcript is about 30 KB;
#: a long .docx with images rarely exceeds 20 MB). Change with ``max_bytes``.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

#: Files that folder imports pass over without a word.
_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}

ProgressCallback = Callable[[FileOutcome], None]


class Intake(Service):
    """Imports files and folders into the project."""

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
        known = q.digests(self.conn)
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

    def _identical(self, digest: str) -> tuple[str, str] | None:
        """``(name, message)`` of the document with this content, if any."""
        name = q.name_by_sha256(self.conn, digest)
        return None if name is None else (name, f"identical to document '{name}' already in the project")

    def _store(self, path: Path, prepared: Prepared, row, types: dict[str, str], kind: str | None,
               replace: bool) -> FileOutcome:
        """Write one parsed file in its own transaction."""
        parsed, digest = prepared.parsed, prepared.sha256
        shown = str(path)
        earlier = self._identical(digest)  # a copy earlier in the same batch
        if earlier is not None:
            return FileOutcome(shown, "skipped", document=earlier[0], message=earlier[1])
        outcome = FileOutcome(shown, "imported", warnings=list(parsed.warnings))
        doc_kind = (row.kind if row and row.kind else None) or kind or ("interview" if parsed.turns else "other")
        try:
            with atomic(self.conn):
                name = path.name
                existing = q.id_by_name(self.conn, name)
                if existing is not None and replace:
                    lost = q.codings_count(self.conn, existing)
                    q.delete(self.conn, existing)
                    self.project.attributes.delete_all("document", existing)
                    outcome.status = "replaced"
                    outcome.message = "replaced the earlier version" + (
                        f" and its {lost} coding(s)" if lost else ""
                    )
                elif existing is not None:
                    stem, suffix, n = path.stem, path.suffix, 2
                    while q.id_by_name(self.conn, f"{stem}-{n}{suffix}") is not None:
                        n += 1
                    name = f"{stem}-{n}{suffix}"
                    outcome.message = (
                        f"a different '{path.name}' is already in the project: imported as '{name}' "
                        "(use --replace to replace it instead)"
                    )
                doc_id = self.insert_document(name, doc_kind, prepared, str(path))
                if row is not None:
                    for case in row.cases:
                        self.project.attributes.add_case_link(doc_id, case)
                    for case, label in row.speakers.items():
                        problem = self.project.attributes.link_speaker_quietly(doc_id, case, label)
                        if problem:
                            outcome.warnings.append(f"manifest line {row.line}: {problem}")
                    for variable, value in row.attributes.items():
                        try:
                            self.project.attributes.set_typed("document", doc_id, variable, value, types.get(variable))
                        except OverflowError:
                            raise FieldnotesError(
                                f"manifest line {row.line}, column '{variable}': {value} is a whole number too "
                                "large to store (the limit is 9,223,372,036,854,775,807); check the value, or "
                                "put a letter in front if it is an identifier, then import again") from None
                self.project.audit(
                    "document.import",
                    {"document": name, "sha256": digest, "source": str(path), "status": outcome.status},
                )
        except (ProjectLocked, ProjectReadOnly):
            raise  # about the project, not this file: stop the batch rather than fail every file
        except FieldnotesError as exc:
            return FileOutcome(shown, "failed", message=str(exc))
        outcome.document = name
        return outcome

    def insert_document(self, name: str, kind: str, prepared: Prepared, source: str) -> int:
        """Store one parsed document and its turns (inside the caller's
        transaction; also used by the .qdpx reader); its id."""
        parsed = prepared.parsed
        doc_id = q.insert(self.conn, {
            "guid": new_guid(), "name": name, "kind": kind, "text": parsed.text, "format": parsed.format,
            "source_path": source, "sha256": prepared.sha256, "encoding": parsed.encoding,
            "words": prepared.words, "imported_at": now()})
        if parsed.turns:
            q.insert_turns(self.conn, doc_id, parsed.turns)
        return doc_id

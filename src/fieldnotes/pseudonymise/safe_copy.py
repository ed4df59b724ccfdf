"""Pseudonymised outputs of a whole project: one text file per document
(:func:`export_texts`) and the safe copy, a new project file made through the
pseudonymised view (:func:`safe_copy`)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from fieldnotes.errors import FieldnotesError
from fieldnotes.store.queries import pseudonyms as q

#: Columns whose values must stay unique in a safe copy (the last one is the
#: name made unique when two real names scrub to the same pseudonym).
_UNIQUE_NAMES = {"documents": ("name",), "cases": ("name",), "codes": ("parent_id", "name"),
                 "variables": ("name",), "coders": ("name",)}

#: The order tables are copied in: every row a later table points to exists.
_ORDER = ("settings", "coders", "codes", "documents", "turns", "cases", "document_cases", "speaker_cases",
          "variables", "attributes", "codings", "memos")


def export_texts(project, folder, view) -> list[str]:
    """One UTF-8 file per document through ``view``, named after the
    document as the view shows it (``.txt``; unique and stable)."""
    from fieldnotes.output import output_folder, write_atomically

    folder = output_folder(folder)   # private when the output is (an --original export)
    stems = view.file_names()
    written = []
    for doc_id in q.document_ids_by_name(project.conn):
        target = folder / (stems[doc_id] + ".txt")
        write_atomically(target, view.text(doc_id).encode("utf-8"))
        written.append(str(target))
    project.audit("export.text", {"to": str(folder), "files": len(written), "pseudonymised": view.pseudonymised})
    return written


def _no_partial_left(function):
    """A safe copy that fails (a full disk, a file-size limit) leaves no
    ``.partial`` file behind, and says which it was in one line."""

    @functools.wraps(function)
    def wrapper(project, out, *args, **kwargs):
        try:
            return function(project, out, *args, **kwargs)
        except Exception as exc:
            _remove_partial(Path(out).with_name(Path(out).name + ".partial"), journal=True)
            from fieldnotes.errors import DiskFull, FileTooLarge, explain

            # Name the file the researcher asked for, not the temporary one.
            cause = exc.__cause__ if isinstance(exc, DiskFull | FileTooLarge) and exc.__cause__ else exc
            known = explain(cause, out)
            if known is None or known is exc:
                raise
            raise known from exc

    return wrapper


def _remove_partial(partial: Path, *, journal: bool = False, main: bool = True) -> None:
    """Remove a partial copy (``main``) and its -wal/-shm (and -journal) files."""
    leftovers = [Path(f"{partial}-wal"), Path(f"{partial}-shm")]
    if main:
        leftovers.insert(0, partial)
    if journal:
        leftovers.append(Path(f"{partial}-journal"))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)


@_no_partial_left
def safe_copy(project, out, view=None, *, passphrase=None) -> dict[str, int]:
    """A new project through the pseudonymised ``view``: every column as
    :mod:`fieldnotes.store.classification` says (text through the view,
    codings and turns remapped onto it, free text scrubbed, source paths
    dropped), and none of the tables that hold the key (entities,
    mentions, candidates, register), the audit trail or the history.
    Written to a temporary file, vacuumed, then renamed; encrypted with
    ``passphrase`` when one is given, else a plain file anyone may open."""
    out = Path(out)
    _check_can_copy(project, out)
    view = view or project.pseudonyms.pseudonymised_view()
    if not view.pseudonymised:
        raise FieldnotesError("A safe copy is always pseudonymised.")
    partial = out.with_name(out.name + ".partial")
    _remove_partial(partial)
    counts = _write_copy(project, partial, view, passphrase)
    project.audit("export.safe_copy", {"to": str(out), **counts})
    _remove_partial(partial, main=False)
    partial.replace(out)
    if passphrase is None:
        # Pseudonymised and meant to be shared: the permissions a new file normally gets.
        from fieldnotes.store.files import make_shareable

        make_shareable(out)
    return counts


def _check_can_copy(project, out: Path) -> None:
    """Refuse before anything runs: an existing file, a table nobody has
    classified."""
    from fieldnotes.store import classification as cls

    if out.exists():
        raise FieldnotesError(f"{out} exists; choose a new file for the safe copy.")
    missing = cls.unclassified(project.conn)
    if missing:
        raise FieldnotesError(f"Not written: {', '.join(missing)} not classified for safe copies "
                              "(a fieldnotes bug; please report it).")


def _write_copy(project, partial: Path, view, passphrase) -> dict[str, int]:
    """Create the new project at ``partial`` and fill it, table by table, in
    one transaction; then compact it. Returns the counts it reports."""
    from fieldnotes.store import classification as cls
    from fieldnotes.store.db import atomic

    counts = {"documents": 0, "codings": 0, "memos": 0}
    assert set(_ORDER) == set(cls.COLUMNS), "every classified table has a place in the copy"
    # The copy is a project of the same kind; asking the project for its
    # class keeps pseudonymise/ from importing project.py, which imports it.
    with type(project).create(partial, passphrase=passphrase) as copy:
        c = copy.conn
        with atomic(c):
            q.clear_allowlist(c)  # the copy has no entities to allow anything in
            for table in _ORDER:
                copied = _copy_table(project.conn, c, table, view)
                if table in counts:
                    counts[table] += copied
            q.record_safe_copy_created(c)
        q.compact(c)
    return counts


def _copy_table(source, target, table: str, view) -> int:
    """Every row of ``table`` through the view into ``target``; how many."""
    from fieldnotes.pseudonymise.view import unique_name
    from fieldnotes.store import classification as cls

    columns = list(cls.COLUMNS[table])
    unique = _UNIQUE_NAMES.get(table)
    seen: set = set()
    copied = 0
    for row in q.table_rows(source, table, columns):
        record = dict(zip(columns, row))
        if table == "settings" and record["key"] in cls.SECRET_SETTINGS:
            continue
        values = _safe_row(view, table, record)
        if unique:
            values[unique[-1]] = unique_name(values[unique[-1]], tuple(values[k] for k in unique[:-1]),
                                             seen, keep_suffix=table == "documents")
        # Settings overwrite the new file's defaults; every other row is
        # new, and a clash must fail loudly rather than replace a row.
        q.insert_row(target, table, columns, [values[col] for col in columns], replace=table == "settings")
        copied += 1
    return copied


def _safe_row(view, table: str, record: dict[str, Any]) -> dict[str, Any]:
    """One row of a safe copy, each column by its classified policy."""
    from fieldnotes.store import classification as cls

    out: dict[str, Any] = {}
    span_doc = record.get("document_id")
    for column, value in record.items():
        rule = cls.policy(table, column)
        if rule == cls.VIEW:
            out[column] = view.text(record["id"])
        elif rule == cls.NAME:
            out[column] = view.document_name(record["id"])  # unique, as every output shows it
        elif rule == cls.SPAN:
            continue
        elif rule == cls.DERIVED:
            out[column] = value  # filled below from the view's text
        else:
            out[column] = view.column(table, column, value)
    if table == "documents":
        text = out["text"]
        out.update(sha256=hashlib.sha256(text.encode()).hexdigest(), encoding="utf-8", words=len(text.split()))
    if "start" in record:
        out["start"], out["end"] = view.span(span_doc, record["start"], record["end"])
        if table == "turns" and record["end"] <= record["start"]:
            out["end"] = out["start"]
    return out

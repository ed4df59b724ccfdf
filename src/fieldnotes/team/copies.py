"""A coder's copy of the project: making one, and checking one that comes back.

A copy (:func:`make_copy`) holds the same documents, codebook, cases and
attributes with the same GUIDs, optionally without the other coders' codings
(``blind``, the default for an agreement round), and records where it came
from (:func:`origin`): the project's GUID, when it was made, for whom, and
the codebook as it was, so that a merge can tell which side renamed or moved
a code. :func:`check_copy` refuses a copy of another project, or one whose
documents differ, before a merge writes anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from fieldnotes.errors import FieldnotesError
from fieldnotes.store.queries import documents as doc_queries
from fieldnotes.store.queries import team as queries
from fieldnotes.team.model import CopyReport

if TYPE_CHECKING:
    import sqlite3

#: Settings keys a copy carries.
ORIGIN_KEY = "team_origin"
CODER_KEY = "coder"
PROJECT_GUID_KEY = "project_guid"


def project_guid(project) -> str:
    """The project's own GUID (made on first use), which its copies carry."""
    from fieldnotes.ids import new_guid

    guid = project.setting(PROJECT_GUID_KEY)
    if guid is None:
        guid = new_guid()
        project.set_setting(PROJECT_GUID_KEY, guid)
    return guid


def make_copy(project, coder: str, out: str | Path, *, blind: bool = True) -> CopyReport:
    """Write a copy of ``project`` for ``coder`` to ``out`` (a new file,
    readable by its owner only). ``blind`` leaves out every other coder's
    codings and the memos on them.

    The copy is built as ``out.partial`` and renamed into place only when
    complete, so a copy that fails half-way leaves no file a coder could
    mistake for one.

    Example: ``make_copy(project, "anna", "study-anna.fnp")``.
    """
    from fieldnotes.project import Project
    from fieldnotes.store import cipher

    coder = _copy_coder(project, coder)
    out = _new_file(Path(out))
    guid = project_guid(project)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    # The copy of an encrypted project is encrypted with the same passphrase.
    passphrase = cipher.known(project.path) if project.encrypted else None
    journal = (Path(f"{partial}-wal"), Path(f"{partial}-shm"))
    try:
        _backup(project, partial, passphrase)  # inside: a full disk here leaves no .partial either
        with Project.open(partial, coder=coder, passphrase=passphrase) as copy:
            removed = _make_its_own(copy, project, guid, coder, blind)
            documents, codings = queries.document_and_coding_counts(copy.conn)
            queries.checkpoint(copy.conn, "TRUNCATE")
        for leftover in journal:
            leftover.unlink(missing_ok=True)
        partial.replace(out)
        if passphrase:
            cipher.remember(out, passphrase)
    except BaseException:
        for leftover in (partial, *journal):
            leftover.unlink(missing_ok=True)
        raise
    project.audit("team.copy", {"to": str(out), "coder": coder, "blind": blind})
    return CopyReport(str(out), coder, blind, documents, codings, removed)


def _copy_coder(project, coder: str) -> str:
    """The coder a copy is for, as the project spells them."""
    coder = coder.strip()
    if not coder:
        raise FieldnotesError("Name the coder the copy is for, e.g. --coder anna.")
    # A coder the project has keeps their spelling: a blind copy for "ANNA" keeps anna's codings.
    known = project.coders.find(coder)
    return known.name if known else coder


def _new_file(out: Path) -> Path:
    """``out``, when a copy can be written there without replacing anything."""
    if out.exists():
        raise FieldnotesError(f"{out} exists; choose a new file for the copy.")
    if not out.parent.exists():
        raise FieldnotesError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    return out


def _backup(project, partial: Path, passphrase) -> None:
    """The whole project, as it is on disk now, into ``partial`` (owner-only)."""
    from fieldnotes.store.db import backup_to
    from fieldnotes.store.files import make_private, private_umask

    with private_umask():
        queries.checkpoint(project.conn, "PASSIVE")
        backup_to(project.conn, partial, passphrase or None)
    make_private(partial)


def _make_its_own(copy, project, guid: str, coder: str, blind: bool) -> int:
    """Turn the fresh backup ``copy`` (open as a project) into ``coder``'s
    copy, in one transaction: other coders' codings gone when ``blind``, no
    undo history, the origin recorded. Returns how many codings went."""
    from fieldnotes.ids import now
    from fieldnotes.store.db import atomic

    conn = copy.conn
    # The codebook as it was when the copy was made: a merge compares against it.
    codes = copy.codebook.codes(counts=False)
    guids = {c.id: c.guid for c in codes}
    base = {c.guid: [c.name, guids.get(c.parent_id)] for c in codes}
    removed = 0
    with atomic(conn):
        if blind:
            removed = queries.drop_codings_except(conn, coder)
        # Undo history and the audit trail of the project stay with the project.
        queries.clear_history(conn)
        made = {"project_guid": guid, "project": project.path.name, "coder": coder, "blind": blind,
                "copied_at": now(), "codes": base}
        doc_queries.set_setting(conn, ORIGIN_KEY, json.dumps(made, ensure_ascii=False))
        doc_queries.set_setting(conn, CODER_KEY, coder)
        doc_queries.audit(conn, now(), coder, "team.copy",
                          json.dumps({"from": project.path.name, "blind": blind}))
    return removed


def read_copy(path: Path) -> sqlite3.Connection:
    """An open connection to the copy at ``path`` (upgraded if it is older)."""
    from fieldnotes.store.db import open_project_file

    if not path.exists():
        raise FieldnotesError(f"No copy at {path}.")
    return open_project_file(path)


def origin(conn: sqlite3.Connection, path: Path) -> dict:
    """Where the copy on ``conn`` came from (see :func:`make_copy`); an error
    when ``path`` is not a coder's copy at all."""
    value = doc_queries.setting(conn, ORIGIN_KEY)
    if value is None:
        raise FieldnotesError(
            f"{path} is not a coder's copy (it was not made with 'fieldnotes team copy'); "
            "to bring in another project's codings use 'fieldnotes qdpx import'.")
    return json.loads(value)


def check_copy(project, conn: sqlite3.Connection, path: Path) -> dict:
    """Refuse a copy of another project, or one whose documents differ.
    Returns the copy's :func:`origin`."""
    made = origin(conn, path)
    if made.get("project_guid") != project.setting(PROJECT_GUID_KEY):
        raise FieldnotesError(
            f"{path} was made from another project ({made.get('project', '?')}), not from "
            f"{project.path.name}; nothing was merged.")
    ours = {guid: (name, sha) for guid, name, sha in queries.document_digests(project.conn)}
    problems = []
    for guid, name, sha in queries.document_digests(conn):
        if guid not in ours:
            problems.append(f"'{name}' is not in the project")
        elif ours[guid][1] != sha:
            problems.append(f"'{name}' differs from the project's '{ours[guid][0]}'")
    if problems:
        raise FieldnotesError(
            f"{path} cannot be merged: its documents differ from the project's ({'; '.join(problems)}). "
            "Nothing was merged; make a new copy with 'fieldnotes team copy'.")
    return made

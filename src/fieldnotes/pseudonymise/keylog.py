"""The pseudonymisation key: one record per mention, with the real text.

Sensitive by nature. Written to a file it is readable by its owner only
(and encrypted with age for named recipients when asked); every release is
recorded in the audit trail; as CSV its cells are neutralised so that a
mention such as "=cmd" or "+44 7700 900418" cannot run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldnotes.errors import FieldnotesError
from fieldnotes.store.queries import pseudonyms as q

#: The fields of a key record, in the order files show them.
KEY_FIELDS = ("document", "start", "end", "text", "category", "replacement", "status", "detector")
KEY_FORMATS = ("csv", "jsonl")


@dataclass(frozen=True, slots=True)
class KeyLog:
    """What :func:`write_key_log` did: ``records`` written to ``path``, or,
    with no path, ``text`` for the caller to show."""

    records: int
    path: Path | None
    text: str | None
    encrypted_for: int = 0


def mention_log(project, *, destination: str | None = None) -> list[dict[str, Any]]:
    """One record per mention: the key. Sensitive: it holds the real text.
    With ``destination`` (where the key is being written) the release of
    the key is recorded in the audit table."""
    replacements = project.pseudonyms.replacements()
    records = [{"document": r[0], "start": r[1], "end": r[2], "text": r[3], "category": r[4],
                "replacement": replacements.get(r[5], ""), "status": r[6], "detector": r[7]}
               for r in q.key_rows(project.conn)]
    if destination is not None:
        project.audit("pseudo.log", {"to": destination, "records": len(records)})
    return records


def format_key(records: Sequence[dict[str, Any]], fmt: str, project_name: str) -> str:
    """The key as CSV (a warning line first, every cell neutralised) or as
    JSON lines."""
    buffer = io.StringIO()
    if fmt == "csv":
        from fieldnotes.export.safe import neutralise

        buffer.write(f"# SENSITIVE: pseudonymisation key of {project_name}; real names inside. "
                     "Keep it in the secure environment.\n")
        writer = csv.DictWriter(buffer, fieldnames=list(KEY_FIELDS), lineterminator="\n")
        writer.writeheader()
        # Like every CSV fieldnotes writes: a cell such as "=cmd.txt" or
        # "+44 7700 900418" must not run as a formula when the key is opened.
        writer.writerows({key: neutralise(value) for key, value in record.items()} for record in records)
    else:
        for record in records:
            buffer.write(json.dumps(record, ensure_ascii=False) + "\n")
    return buffer.getvalue()


def write_key_log(project, fmt: str = "csv", *, output=None, recipients: Sequence[str] = ()) -> KeyLog:
    """The key of ``project`` as ``fmt`` (``csv`` or ``jsonl``), its release
    audited. With ``output`` it is written there atomically, readable by
    the owner only, encrypted with age for ``recipients`` when there are
    any; without, it is returned as ``text``."""
    if fmt not in KEY_FORMATS:
        raise FieldnotesError(f"The key is written as {' or '.join(KEY_FORMATS)}, not {fmt!r}.")
    if recipients and not output:
        raise FieldnotesError("An encrypted key is written to a file: give the file to write.")
    records = mention_log(project, destination=f"{output or 'stdout'} ({fmt})")
    text = format_key(records, fmt, Path(project.path).name)
    if not output:
        return KeyLog(len(records), None, text)
    from fieldnotes.output import sensitive_output, write_atomically

    data = text.encode("utf-8")
    if recipients:
        from fieldnotes.pseudonymise.keyfile import encrypt_for

        data = encrypt_for(data, recipients)
    with sensitive_output():
        write_atomically(Path(output), data)
    return KeyLog(len(records), Path(output), None, len(recipients))

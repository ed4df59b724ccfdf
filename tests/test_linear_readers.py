"""The .qdc reader and the codebook import grow linearly with the number of
codes (issue 11, finding 5).

Work is counted, not timed: Python lines executed by the reader (sys.settrace)
and SQLite virtual-machine steps of the import (a progress handler called
every 100 steps). Linear work per code stays flat from 500 to 2,000 codes; the
old code did four times as much per code at four times the size.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from fieldnotes.exchange.qdc import read_qdc
from fieldnotes.project import Project


def make_qdc(path: Path, n: int) -> Path:
    """``n`` sibling codes under one theme, the shape that made the reader quadratic."""
    codes = "".join(f'<Code guid="{uuid.uuid4()}" name="Code {i}" isCodable="true"/>' for i in range(n))
    tops = "".join(f'<Code guid="{uuid.uuid4()}" name="Top {i}" isCodable="true"/>' for i in range(n))
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        f'<Code guid="{uuid.uuid4()}" name="Theme" isCodable="true">{codes}</Code>'
        f"{tops}</Codes></CodeBook>",
        encoding="utf-8",
    )
    return path


def lines_executed(function, *args) -> int:
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return count


def test_qdc_reader_work_per_code_is_flat(tmp_path):
    small = lines_executed(read_qdc, make_qdc(tmp_path / "small.qdc", 500)) / 500
    large = lines_executed(read_qdc, make_qdc(tmp_path / "large.qdc", 2000)) / 2000
    assert large < 1.3 * small, (small, large)


def test_codebook_import_work_per_code_is_flat(tmp_path):
    per_code = []
    for n in (500, 2000):
        nodes = read_qdc(make_qdc(tmp_path / f"{n}.qdc", n))
        with Project.create(tmp_path / f"{n}.fnp") as project:
            steps = 0

            def step() -> int:
                nonlocal steps
                steps += 1
                return 0

            project.conn.set_progress_handler(step, 100)
            counts = project.codebook.import_codebook(nodes)
            project.conn.set_progress_handler(None, 100)
            assert counts["added"] == 2 * n + 1
        per_code.append(steps / n)
    assert per_code[1] < 1.3 * per_code[0], per_code


def test_merged_siblings_still_combine_their_children(tmp_path):
    path = tmp_path / "dup.qdc"
    path.write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        '<Code name="Leadership"><Code name="Changes"/><Code name="Support"/></Code>'
        '<Code name="Caseload"/>'
        '<Code name="Leadership" color="#ff0000"><Code name="Changes"><Code name="Interim"/></Code>'
        '<Code name="Absent"/></Code>'
        "</Codes></CodeBook>",
        encoding="utf-8",
    )
    top = read_qdc(path)
    assert [n.name for n in top] == ["Leadership", "Caseload"]
    leadership = top[0]
    assert leadership.colour == "#FF0000"
    assert [c.name for c in leadership.children] == ["Changes", "Support", "Absent"]
    assert [c.name for c in leadership.children[0].children] == ["Interim"]

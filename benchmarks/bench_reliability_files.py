"""Reliability benchmark, the hostile-files part (issue 11): archive bombs and
large REFI-QDA codebooks.

In the same run:

- **bombs**: a .docx, an .odt and an .xlsx manifest that are small on disk and
  expand to hundreds of megabytes, and a .qdpx whose source expands to about
  100 MB. Each is handed to fieldnotes in a fresh process; prints the time to
  refuse and the process's peak memory, next to the same process reading an
  ordinary document of the format (the bare baseline). Target: refused, peak
  under 500 MB.
- **.qdc import** at 2,000, 8,000 and 200,000 codes (``codebook import`` into
  a new project, in a fresh process), next to a bare baseline: parsing the
  same file with ElementTree and inserting one row per code with sqlite3.
  Prints time per 1,000 codes, which stays flat when growth is linear.

    python benchmarks/bench_reliability_files.py [--sizes 2000,8000,200000] [--skip-bombs]

(The 25-writer part is ``bench_reliability.py``.)
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

_MEASURE = """
import json, resource, sys, time
kind, path, work = sys.argv[1:4]
start = time.perf_counter()
outcome = "ok"
try:
    if kind == "document":
        from fieldnotes.importers import parse
        parse(__import__("pathlib").Path(path))
    elif kind == "manifest":
        from fieldnotes.manifest import read_manifest
        read_manifest(__import__("pathlib").Path(path))
    elif kind == "qdpx":
        from fieldnotes.exchange.qdpx import import_qdpx
        import_qdpx(__import__("pathlib").Path(path), __import__("pathlib").Path(work) / "new.fnp")
    elif kind == "qdc":
        from fieldnotes.exchange.codebooks import read_codebook
        from fieldnotes.project import Project
        with Project.create(__import__("pathlib").Path(work) / "codes.fnp") as project:
            project.codebook.import_codebook(read_codebook(__import__("pathlib").Path(path)))
except Exception as exc:
    outcome = f"{exc.__class__.__name__}: {str(exc)[:90]}"
print(json.dumps({"seconds": time.perf_counter() - start, "outcome": outcome,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(kind: str, path: Path, work: Path, timeout: float = 900) -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, kind, str(path), str(work)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if done.returncode:
        return {"seconds": float("nan"), "outcome": done.stderr.strip().splitlines()[-1], "peak_mb": float("nan")}
    return json.loads(done.stdout)


# -- bombs ---------------------------------------------------------------------------


def bombs(work: Path) -> None:
    from makefiles import inflate_member, make_docx, make_odt
    from openpyxl import Workbook

    print("Archive bombs (each in a fresh process; baseline: an ordinary file of the format)")
    print(f"{'file':<34}{'on disk':>10}{'unpacked':>11}{'time':>9}{'peak':>10}  outcome")
    rows = []
    paragraphs = ["Interviewer: How is the caseload?", "SW: Heavy, and supervision is rare."] * 200
    docx_ok = make_docx(work / "ordinary.docx", paragraphs)
    xml = zipfile.ZipFile(docx_ok).read("word/document.xml").decode()
    head, tail = xml.split("<w:body>")[0] + "<w:body>", "<w:sectPr" + xml.split("<w:sectPr", 1)[1]
    chunk = b"<w:p><w:r><w:t>" + b"caseload " * 110 + b"</w:t></w:r></w:p>"
    docx_bomb = inflate_member(docx_ok, work / "bomb.docx", "word/document.xml", head.encode(), chunk,
                               300 * 2**20 // len(chunk), tail.encode())
    rows += [("document", docx_ok, "ordinary .docx"), ("document", docx_bomb, ".docx bomb (300 MB)")]

    odt_ok = make_odt(work / "ordinary.odt", paragraphs)
    xml = zipfile.ZipFile(odt_ok).read("content.xml").decode()
    i, j = xml.index("<office:text>") + len("<office:text>"), xml.index("</office:text>")
    odt_bomb = inflate_member(odt_ok, work / "bomb.odt", "content.xml", xml[:i].encode(),
                              b"<text:p>" + b"supervision " * 90 + b"</text:p>", 300 * 2**20 // 1100, xml[j:].encode())
    rows += [("document", odt_ok, "ordinary .odt"), ("document", odt_bomb, ".odt bomb (300 MB)")]

    workbook = Workbook()
    workbook.active.append(["file", "role"])
    for n in range(200):
        workbook.active.append([f"f{n}.txt", "SW"])
    workbook.save(work / "ordinary.xlsx")
    xml = zipfile.ZipFile(work / "ordinary.xlsx").read("xl/worksheets/sheet1.xml").decode()
    i, j = xml.index("<sheetData>") + len("<sheetData>"), xml.index("</sheetData>")
    xlsx_bomb = inflate_member(work / "ordinary.xlsx", work / "bomb.xlsx", "xl/worksheets/sheet1.xml",
                               xml[:i].encode(), b'<row><c t="inlineStr"><is><t>x</t></is></c></row>',
                               6_000_000, xml[j:].encode())
    rows += [("manifest", work / "ordinary.xlsx", "ordinary .xlsx manifest"),
             ("manifest", xlsx_bomb, ".xlsx manifest bomb (270 MB)")]

    from fieldnotes.exchange.qdpx import export_qdpx
    from fieldnotes.project import Project

    with Project.create(work / "small.fnp") as project:
        project.intake.import_paths([docx_ok])
        export_qdpx(project, work / "ordinary.qdpx", pseudonymised=False)
    with zipfile.ZipFile(work / "ordinary.qdpx") as archive:
        source = next(n for n in archive.namelist() if n.startswith("sources/"))
    qdpx_bomb = inflate_member(work / "ordinary.qdpx", work / "bomb.qdpx", source, b"", b"a caseload ",
                               10_000_000, b"")
    rows += [("qdpx", work / "ordinary.qdpx", "ordinary .qdpx"), ("qdpx", qdpx_bomb, ".qdpx bomb (105 MB source)")]

    for n, (kind, path, label) in enumerate(rows):
        scratch = work / f"run{n}"
        scratch.mkdir()
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
        result = measure(kind, path, scratch)
        print(f"{label:<34}{path.stat().st_size / 1e6:>8.2f}MB{unpacked / 1e6:>9.0f}MB"
              f"{result['seconds']:>8.2f}s{result['peak_mb']:>8.0f}MB  {result['outcome'][:70]}")


# -- .qdc ----------------------------------------------------------------------------


def make_qdc(path: Path, n: int) -> None:
    """``n`` codes: a tenth top-level groups, the rest children of them (as a
    large imported codebook from NVivo or ATLAS.ti looks)."""
    groups = max(1, n // 10)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="bench"><Codes>']
    made = 0
    per_group = (n - groups) // groups
    for g in range(groups):
        parts.append(f'<Code guid="{uuid.uuid4()}" name="Theme {g}" isCodable="true">')
        made += 1
        extra = per_group + (1 if g < (n - groups) % groups else 0)
        for c in range(extra):
            parts.append(f'<Code guid="{uuid.uuid4()}" name="Code {g}.{c}" isCodable="true">'
                         f"<Description>About {g} {c}.</Description></Code>")
            made += 1
        parts.append("</Code>")
    parts.append("</Codes></CodeBook>\n")
    path.write_text("".join(parts), encoding="utf-8")
    assert made == n


def bare_qdc(path: Path, work: Path) -> float:
    """Parse with ElementTree and insert one row per code with sqlite3."""
    start = time.perf_counter()
    root = ET.parse(path).getroot()
    conn = sqlite3.connect(work / "bare.db")
    conn.execute("CREATE TABLE codes(id INTEGER PRIMARY KEY, parent_id INTEGER, guid TEXT, name TEXT, description TEXT)")

    def walk(elem, parent):
        for child in elem:
            if child.tag.endswith("}Code"):
                row = conn.execute("INSERT INTO codes(parent_id, guid, name, description) VALUES (?, ?, ?, ?)",
                                   [parent, child.get("guid"), child.get("name"),
                                    "".join(child.itertext())]).lastrowid
                walk(child, row)

    with conn:
        walk(root[0], None)
    conn.close()
    return time.perf_counter() - start


def qdc(work: Path, sizes: list[int]) -> None:
    print("\n.qdc import (codebook import into a new project, fresh process) vs bare ElementTree + sqlite3")
    print(f"{'codes':>9}{'file':>9}{'fieldnotes':>12}{'per 1k':>9}{'bare':>9}{'per 1k':>9}{'ratio':>7}{'peak':>9}")
    for n in sizes:
        folder = work / f"qdc{n}"
        folder.mkdir()
        path = folder / "codes.qdc"
        make_qdc(path, n)
        result = measure("qdc", path, folder, timeout=1800)
        bare = bare_qdc(path, folder)
        seconds = result["seconds"]
        print(f"{n:>9,}{path.stat().st_size / 1e6:>7.1f}MB{seconds:>11.2f}s{seconds / n * 1000:>8.3f}s"
              f"{bare:>8.2f}s{bare / n * 1000:>8.3f}s{seconds / bare:>6.1f}x{result['peak_mb']:>7.0f}MB"
              + ("" if result["outcome"] == "ok" else f"  {result['outcome']}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,8000,200000", help="code counts for the .qdc part")
    parser.add_argument("--skip-bombs", action="store_true")
    parser.add_argument("--skip-qdc", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fieldnotes-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_bombs:
            bombs(work)
        if not args.skip_qdc:
            qdc(work, [int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()

"""Importing into a project: batches, duplicates, manifests, transactions."""

import sqlite3

import pytest

from conftest import write
from fieldnotes.errors import FieldnotesError
from fieldnotes.project import Project
from makefiles import make_docx

GOOD = "Interviewer: How is your caseload?\nSW: Heavy.\nInterviewer: Supervision?\nSW: Rare.\n"


def _folder_with_three_good_and_three_bad(root):
    write(root / "good1.txt", GOOD)
    write(root / "sub" / "good2.md", "# Visit\n\n10:42 Arrived. Note: dog.\n")
    make_docx(root / "sub" / "good3.docx", ["Interviewer: Hi?", "Mum: Hello.", "Interviewer: Ok?", "Mum: Yes."])
    write(root / "bad_binary.txt", b"\x00\x01\x02\x03binary")
    write(root / "bad_empty.txt", b"")
    write(root / "bad_corrupt.docx", b"PK\x03\x04broken")
    return root


def test_batch_imports_the_good_files_and_names_the_bad(project, tmp_path):
    folder = _folder_with_three_good_and_three_bad(tmp_path / "in")
    report = project.intake.import_paths([folder])
    assert sorted(o.document for o in report.of("imported")) == ["good1.txt", "good2.md", "good3.docx"]
    failed = {o.path.split("/")[-1]: o.message for o in report.failed}
    assert set(failed) == {"bad_binary.txt", "bad_empty.txt", "bad_corrupt.docx"}
    assert "binary" in failed["bad_binary.txt"]
    assert "empty" in failed["bad_empty.txt"]
    assert "Word document" in failed["bad_corrupt.docx"]
    assert project.db.execute("SELECT count(*) FROM documents").fetchone()[0] == 3


def test_identical_file_is_skipped_by_hash(project, tmp_path):
    path = write(tmp_path / "a.txt", GOOD)
    project.intake.import_paths([path])
    copy = write(tmp_path / "other" / "renamed.txt", GOOD)
    report = project.intake.import_paths([path, copy])
    assert [o.status for o in report.outcomes] == ["skipped", "skipped"]
    assert "identical to document 'a.txt'" in report.outcomes[1].message
    assert len(project.documents()) == 1


def test_same_name_different_content_gets_a_suffix_and_says_so(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "a" / "t.txt", GOOD)])
    report = project.intake.import_paths([write(tmp_path / "b" / "t.txt", GOOD + "Interviewer: More?\n")])
    outcome = report.outcomes[0]
    assert outcome.status == "imported" and outcome.document == "t-2.txt"
    assert "--replace" in outcome.message
    assert sorted(d.name for d in project.documents()) == ["t-2.txt", "t.txt"]


def test_replace_swaps_the_document(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "a" / "t.txt", GOOD)])
    report = project.intake.import_paths([write(tmp_path / "b" / "t.txt", "Interviewer: new\nSW: text\n")], replace=True)
    assert report.outcomes[0].status == "replaced"
    assert [d.name for d in project.documents()] == ["t.txt"]
    assert project.document("t").text.startswith("Interviewer: new")
    assert project.search("caseload") == []


def test_size_limit(project, tmp_path):
    path = write(tmp_path / "big.txt", "Interviewer: " + "word " * 1000)
    report = project.intake.import_paths([path], max_bytes=1000)
    assert report.failed[0].message == "is 4.9 KB, over the 0.977 KB limit (raise it with --max-size)"


def test_missing_path_is_reported(project, tmp_path):
    report = project.intake.import_paths([tmp_path / "nope.txt"])
    assert report.failed[0].message == "no such file or folder"


def test_unsupported_file_in_folder_is_named(project, tmp_path):
    write(tmp_path / "in" / "a.txt", GOOD)
    write(tmp_path / "in" / "scan.jpg", b"\xff\xd8\xff")
    write(tmp_path / "in" / ".hidden.txt", GOOD + "x")
    report = project.intake.import_paths([tmp_path / "in"])
    assert [o.status for o in report.outcomes] == ["imported", "failed"]
    assert "unsupported file type '.jpg'" in report.failed[0].message


def test_kind_defaults_and_flag(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "t.txt", GOOD)])
    project.intake.import_paths([write(tmp_path / "n.md", "Arrived 10:42.\n")])
    project.intake.import_paths([write(tmp_path / "o.md", "Left 11:30.\n")], kind="observation")
    kinds = {d.name: d.kind for d in project.documents()}
    assert kinds == {"t.txt": "interview", "n.md": "other", "o.md": "observation"}
    with pytest.raises(FieldnotesError, match="Unknown kind"):
        project.intake.import_paths([tmp_path / "t.txt"], kind="interveiw")


# -- manifests ---------------------------------------------------------------------

MANIFEST = (
    "File,Kind,Cases,phase,role,years_qualified,score,date,team\n"
    "a.txt,interview,SW01,1,SW CP,5,3.5,2025-06-10,Telford\n"
    "b.md,observation,SW01;FAM01,2,SW CP,6,4,18/06/2025,Telford\n"
    "ghost.txt,interview,SW09,3,SW LAC,10+,1,2026-01-01,Ludlow\n"
)


def test_manifest_sets_kind_cases_and_typed_attributes(project, tmp_path):
    write(tmp_path / "in" / "a.txt", GOOD)
    write(tmp_path / "in" / "b.md", "Notes.\n")
    write(tmp_path / "in" / "unlisted.txt", GOOD + "extra")
    manifest = write(tmp_path / "m.csv", MANIFEST)
    report = project.intake.import_paths([tmp_path / "in"], manifest=manifest)
    assert sorted(o.document for o in report.of("imported")) == ["a.txt", "b.md"]
    skipped = report.of("skipped")
    assert skipped[0].path.endswith("unlisted.txt") and "not listed in the manifest" in skipped[0].message
    assert report.notes == ["m.csv line 4: no file 'ghost.txt' among the imported paths"]
    docs = {d.name: d for d in project.documents()}
    assert docs["b.md"].kind == "observation"
    assert docs["b.md"].cases == ("FAM01", "SW01")
    a = docs["a.txt"].attributes
    assert a == {"date": "2025-06-10", "phase": 1, "role": "SW CP", "score": 3.5, "team": "Telford",
                 "years_qualified": "5"}
    assert docs["b.md"].attributes["date"] == "2025-06-18"  # UK day/month/year
    types = {v.name: v.type for v in project.attributes.variables()}
    # "10+" on the ghost row makes years_qualified text for the whole column.
    assert types == {"date": "date", "phase": "integer", "role": "text", "score": "number", "team": "text",
                     "years_qualified": "text"}
    assert [c.name for c in project.attributes.cases()] == ["FAM01", "SW01"]


def test_explicit_file_not_in_manifest_still_imports_with_a_warning(project, tmp_path):
    manifest = write(tmp_path / "m.csv", MANIFEST)
    report = project.intake.import_paths([write(tmp_path / "extra.txt", GOOD)], manifest=manifest)
    assert report.outcomes[0].status == "imported"
    assert "not listed in the manifest" in report.outcomes[0].warnings[0]


def test_xlsx_manifest(project, tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["document", "kind", "case", "phase", "role", "interviewed"])
    ws.append(["a.txt", "interview", "SW01", 2, "SW LAC", dt.datetime(2026, 3, 4)])
    wb.save(tmp_path / "m.xlsx")
    write(tmp_path / "a.txt", GOOD)
    project.intake.import_paths([tmp_path / "a.txt"], manifest=tmp_path / "m.xlsx")
    doc = project.documents()[0]
    assert doc.attributes == {"interviewed": "2026-03-04", "phase": 2, "role": "SW LAC"}
    assert doc.cases == ("SW01",)


def test_manifest_problems_are_reported_with_lines_before_anything_imports(project, tmp_path):
    bad = write(tmp_path / "m.csv", "file,kind\na.txt,interveiw\n,interview\na.txt,interview\n")
    write(tmp_path / "a.txt", GOOD)
    with pytest.raises(FieldnotesError) as info:
        project.intake.import_paths([tmp_path / "a.txt"], manifest=bad)
    message = str(info.value)
    assert "line 2: kind 'interveiw'" in message and "Did you mean 'interview'?" in message
    assert "line 3: no file name" in message and "line 4: 'a.txt' is listed twice" in message
    assert project.documents() == []


def test_manifest_without_file_column(project, tmp_path):
    bad = write(tmp_path / "m.csv", "name,kind\na.txt,interview\n")
    with pytest.raises(FieldnotesError, match="no column headed 'file'"):
        project.intake.import_paths([tmp_path], manifest=bad)


def test_attribute_type_widens_across_imports(project, tmp_path):
    write(tmp_path / "a.txt", GOOD)
    write(tmp_path / "b.txt", GOOD + "SW: more\n")
    project.intake.import_paths([tmp_path / "a.txt"], manifest=write(tmp_path / "m1.csv", "file,years\na.txt,5\n"))
    project.intake.import_paths([tmp_path / "b.txt"], manifest=write(tmp_path / "m2.csv", "file,years\nb.txt,10+\n"))
    assert {v.name: v.type for v in project.attributes.variables()} == {"years": "text"}
    assert {d.name: d.attributes["years"] for d in project.documents()} == {"a.txt": "5", "b.txt": "10+"}


# -- transactions --------------------------------------------------------------------

def test_a_crash_mid_file_stops_the_batch_leaving_no_half_document_and_a_rerun_imports_all(project, tmp_path):
    """A real failure inside the transaction (a trigger aborting the insert of
    one file's speaker turns) rolls that file back entirely."""
    project.db.execute(
        "CREATE TRIGGER fail_turns BEFORE INSERT ON turns "
        "WHEN (SELECT name FROM documents WHERE id = new.document_id) = 'crash.txt' "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    write(tmp_path / "in" / "crash.txt", GOOD)
    write(tmp_path / "in" / "fine.txt", GOOD + "Interviewer: ok\n")
    with pytest.raises(sqlite3.IntegrityError):
        project.intake.import_paths([tmp_path / "in"])
    names = [r[0] for r in project.db.execute("SELECT name FROM documents")]
    assert "crash.txt" not in names
    assert project.db.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'caseload'").fetchone()[0] == 0
    assert project.db.execute("SELECT count(*) FROM turns").fetchone()[0] == 0
    # Without the fault the same import succeeds.
    project.db.execute("DROP TRIGGER fail_turns")
    report = project.intake.import_paths([tmp_path / "in"])
    assert sorted(o.document for o in report.of("imported")) == ["crash.txt", "fine.txt"]


def test_import_is_audited(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "a.txt", GOOD)])
    actions = [r[0] for r in project.db.execute("SELECT action FROM audit ORDER BY id")]
    assert actions[-1] == "document.import"


def test_document_addressed_by_name_or_stem(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "p1_int.txt", GOOD), write(tmp_path / "p1_obs.md", "x y\n")])
    assert project.document("p1_int").name == "p1_int.txt"
    assert project.document("P1_OBS").name == "p1_obs.md"
    with pytest.raises(FieldnotesError, match="Did you mean 'p1_int.txt'"):
        project.document("p1_imt.txt")


def test_ambiguous_stem_is_refused(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "n.txt", GOOD), write(tmp_path / "n.md", "other\n")])
    with pytest.raises(FieldnotesError, match="could be n.md, n.txt"):
        project.document("n")


def test_reopened_project_keeps_everything(tmp_path):
    path = tmp_path / "s.fnp"
    with Project.create(path) as proj:
        proj.intake.import_paths([write(tmp_path / "a.txt", GOOD)])
    with Project.open(path) as proj:
        doc = proj.document("a.txt")
        assert doc.text == GOOD and len(doc.turns) == 4


def test_a_script_without_main_guard_still_imports_a_large_batch(tmp_path):
    """Batches of 48+ files are read in a worker process; a researcher's script
    that calls the API without `if __name__ == "__main__":` cannot start one.
    The import then reads the files itself and reports none as failed."""
    import subprocess
    import sys

    for i in range(50):
        write(tmp_path / "in" / f"t{i:02d}.txt", GOOD + f"Interviewer: file {i}\n")
    script = write(tmp_path / "script.py", (
        "from fieldnotes.project import Project\n"
        f"p = Project.create({str(tmp_path / 's.fnp')!r})\n"
        f"r = p.intake.import_paths([{str(tmp_path / 'in')!r}])\n"
        "print(len(r.of('imported')), len(r.failed))\n"
    ))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "50 0", result.stdout + result.stderr[-2000:]

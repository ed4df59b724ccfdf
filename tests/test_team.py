"""Team coding: coders' copies and the lossless merge."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from conftest import write
from fieldnotes.cli import load_commands
from fieldnotes.errors import FieldnotesError
from fieldnotes.project import Project
from fieldnotes.team import make_copy, merge_copies

TEXT = (
    "Interviewer: How is your caseload?\n\n"
    "SW: Heavy. Twenty-four families and no time for direct work.\n\n"
    "Interviewer: And supervision?\n\n"
    "SW: Monthly, if I am lucky. Reflection happens in the car.\n"
)


@pytest.fixture(autouse=True)
def _no_coder_from_the_environment(monkeypatch):
    """A copy codes as its coder unless the environment or a config file names one."""
    monkeypatch.delenv("FIELDNOTES_CODER")


@pytest.fixture
def study(tmp_path):
    path = tmp_path / "study.fnp"
    with Project.create(path) as proj:
        proj.intake.import_paths([write(tmp_path / "t.txt", TEXT), write(tmp_path / "u.txt", "Observation: a busy duty room.")])
        proj.codebook.add_code("Caseload")
        proj.codebook.add_code("Reflection")
        proj.coding.apply_coding("t", "Caseload", 40, 60, coder="lead")
    return path


def rows(path, sql):
    with Project.open(path) as proj:
        return sorted(proj.conn.execute(sql).fetchall())


def test_blind_copy_has_same_guids_no_other_codings_and_is_private(study, tmp_path):
    with Project.open(study) as proj:
        report = make_copy(proj, "anna", tmp_path / "anna.fnp")
    assert report.removed_codings == 1 and report.codings == 0
    assert stat.S_IMODE(os.stat(tmp_path / "anna.fnp").st_mode) == 0o600
    for table in ("documents", "codes", "cases"):
        assert rows(study, f"SELECT guid FROM {table}") == rows(tmp_path / "anna.fnp", f"SELECT guid FROM {table}")
    with Project.open(tmp_path / "anna.fnp") as copy:
        coding, _ = copy.coding.apply_coding("t", "Caseload", 40, 50)
        assert coding.coder == "anna"   # the copy codes as its coder


def make_copies(study, tmp_path, names=("anna", "ben", "cat")):
    with Project.open(study) as proj:
        return [make_copy(proj, n, tmp_path / f"{n}.fnp").path for n in names]


def test_merge_three_copies_is_the_union_row_for_row(study, tmp_path):
    paths = make_copies(study, tmp_path)
    expected = set(rows(study, 'SELECT guid, start, "end" FROM codings'))
    for i, path in enumerate(paths):
        with Project.open(path) as copy:
            copy.coding.apply_coding("t", "Caseload", 40 + i, 70 + i)
            copy.coding.apply_coding("t", "Reflection", 150, 180 + i)
            copy.codebook.add_code(f"Caseload/Overtime {i}")
            copy.coding.apply_coding("t", f"Overtime {i}", 60, 80)
            copy.memos.add("document", "t", f"memo from copy {i}")
        expected |= set(rows(path, 'SELECT guid, start, "end" FROM codings'))
    with Project.open(study) as proj:
        report = merge_copies(proj, paths)
    assert report.codings == 9
    assert set(rows(study, 'SELECT guid, start, "end" FROM codings')) == expected
    coders = rows(study, "SELECT k.name, count(*) FROM codings c JOIN coders k ON k.id = c.coder_id GROUP BY k.name")
    assert coders == [("anna", 3), ("ben", 3), ("cat", 3), ("lead", 1)]
    assert [r[0] for r in rows(study, "SELECT text FROM memos")] == [f"memo from copy {i}" for i in range(3)]
    assert sorted(report.codes_added) == [f"Caseload/Overtime {i}" for i in range(3)]
    # Merging again adds nothing.
    with Project.open(study) as proj:
        again = merge_copies(proj, paths)
    assert not again.changed
    assert set(rows(study, 'SELECT guid, start, "end" FROM codings')) == expected
    # The merge is one undoable step.
    with Project.open(study) as proj:
        proj.history.undo()   # the second merge recorded nothing; this undoes the first
    assert rows(study, "SELECT count(*) FROM codings") == [(1,)]


def test_code_created_in_two_copies_under_one_path_is_one_code(study, tmp_path):
    paths = make_copies(study, tmp_path, ("anna", "ben"))
    for path in paths:
        with Project.open(path) as copy:
            copy.codebook.add_code("Caseload/Cover")
            copy.coding.apply_coding("t", "Cover", 40, 50)
    with Project.open(study) as proj:
        merge_copies(proj, paths)
        assert [c.path for c in proj.codebook.codes() if c.name == "Cover"] == ["Caseload/Cover"]
        assert proj.codebook.code("Caseload/Cover").codings == 2


def test_rename_in_one_copy_is_applied_and_conflicting_renames_are_listed(study, tmp_path):
    anna, ben = make_copies(study, tmp_path, ("anna", "ben"))
    with Project.open(anna) as copy:
        copy.codebook.rename_code("Reflection", "Reflection and learning")
    with Project.open(study) as proj:
        report = merge_copies(proj, [anna])
        assert "Reflection and learning" in [c.name for c in proj.codebook.codes()]
        assert report.codes_changed == ["Reflection → Reflection and learning"]
    with Project.open(ben) as copy:
        copy.codebook.rename_code("Reflection", "Reflective practice")
    with Project.open(study) as proj:
        report = merge_copies(proj, [ben])
        assert "Reflection and learning" in [c.name for c in proj.codebook.codes()]
        assert len(report.conflicts) == 1 and "Reflective practice" in report.conflicts[0]


def test_refuses_a_copy_of_another_project_or_changed_documents(study, tmp_path):
    other = tmp_path / "other.fnp"
    with Project.create(other) as proj:
        proj.intake.import_paths([write(tmp_path / "o" / "t.txt", TEXT)])
        foreign = make_copy(proj, "anna", tmp_path / "foreign.fnp").path
    with Project.open(study) as proj:
        make_copy(proj, "anna", tmp_path / "anna.fnp")
        with pytest.raises(FieldnotesError, match="made from another project"):
            merge_copies(proj, [foreign])
    with Project.open(tmp_path / "anna.fnp") as copy:
        copy.conn.execute("UPDATE documents SET sha256 = 'x' WHERE name = 'u.txt'")
        copy.coding.apply_coding("t", "Caseload", 40, 45)
    with Project.open(study) as proj:
        with pytest.raises(FieldnotesError, match="'u.txt' differs"):
            merge_copies(proj, [tmp_path / "anna.fnp"])
    assert rows(study, "SELECT count(*) FROM codings") == [(1,)]   # nothing written


def test_a_plain_project_is_not_a_copy(study, tmp_path):
    other = tmp_path / "plain.fnp"
    Project.create(other).close()
    with Project.open(study) as proj, pytest.raises(FieldnotesError, match="not a coder's copy"):
        merge_copies(proj, [other])


def test_cli_copy_merge_and_agreement(study, tmp_path):
    cli = load_commands()
    runner = CliRunner()
    for name in ("anna", "ben"):
        result = runner.invoke(cli, ["team", "copy", str(study), "--coder", name, "-o", str(tmp_path / f"{name}.fnp")])
        assert result.exit_code == 0, result.output
    with Project.open(tmp_path / "anna.fnp") as copy:
        copy.coding.apply_coding("t", "Caseload", 40, 100)
    with Project.open(tmp_path / "ben.fnp") as copy:
        copy.coding.apply_coding("t", "Caseload", 50, 100)
    result = runner.invoke(cli, ["team", "merge", str(study), str(tmp_path / "anna.fnp"), str(tmp_path / "ben.fnp")])
    assert result.exit_code == 0, result.output
    assert "2 coding(s)" in result.output
    result = runner.invoke(cli, ["agreement", str(study), "--coders", "anna,ben", "--json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)   # detection's notes go to stderr: the JSON alone on stdout
    caseload = next(r for r in data["rows"] if r["code"] == "Caseload")
    assert caseload["per_coder"] == [60, 50] and caseload["by_coders"][2] == 50
    out = tmp_path / "agreement.xlsx"
    result = runner.invoke(cli, ["agreement", str(study), "--coders", "anna,ben", "-o", str(out)])
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    assert load_workbook(out).sheetnames[1:] == ["Agreement %", "Kappa", "Alpha"]


def test_disagreements_listed_and_settled_into_consensus(study, tmp_path):
    from fieldnotes.analysis.agreement import agreement
    from fieldnotes.team import disagreements, settle

    with Project.open(study) as proj:
        proj.coding.apply_coding("t", "Caseload", 40, 60, coder="anna")    # same as lead: no disagreement with lead
        proj.coding.apply_coding("t", "Caseload", 45, 70, coder="ben")
        proj.coding.apply_coding("t", "Reflection", 150, 170, coder="ben")
        items = disagreements(proj, coders=["anna", "ben"])
        assert [(d.code, d.start, d.end) for d in items] == [("Caseload", 40, 70), ("Reflection", 150, 170)]
        assert items[0].ranges_of("anna") == ((40, 60),) and items[0].ranges_of("ben") == ((45, 70),)
        assert items[1].ranges_of("anna") == ()
        settle(proj, items[0], "ben", memo="Ben's reading includes the families")
        settle(proj, items[1], "neither")
        after = disagreements(proj, coders=["anna", "ben"])
        assert [d.settled for d in after] == ["took ben's coding", "coded neither"]
        consensus = proj.conn.execute(
            'SELECT c.start, c."end" FROM codings c JOIN coders k ON k.id = c.coder_id WHERE k.name = ?',
            ["consensus"]).fetchall()
        assert consensus == [(45, 70)]
        # Agreement can be filtered to the consensus coder.
        row = agreement(proj, coders=["ben", "consensus"], codes=["Caseload"]).rows[0]
        assert row.percent == 100.0
        proj.history.undo()   # the "neither" decision
        assert [d.settled for d in disagreements(proj, coders=["anna", "ben"])] == ["took ben's coding", None]
        with pytest.raises(FieldnotesError, match="adjusted"):
            settle(proj, after[1], "somebody")
        settle(proj, after[1], "adjusted", span=(152, 160))
        assert proj.conn.execute('SELECT count(*) FROM codings WHERE start = 152 AND "end" = 160').fetchone()[0] == 1


def test_qdpx_keeps_every_coder_of_a_team(study, tmp_path):
    """A team's project goes to NVivo/ATLAS.ti and back with its coders intact."""
    from fieldnotes.exchange.qdpx import export_qdpx, import_qdpx

    anna, ben = make_copies(study, tmp_path, ("anna", "ben"))
    for path, (start, end) in ((anna, (40, 70)), (ben, (45, 90))):
        with Project.open(path) as copy:
            copy.coding.apply_coding("t", "Caseload", start, end)
    with Project.open(study) as proj:
        merge_copies(proj, [anna, ben])
        export_qdpx(proj, tmp_path / "team.qdpx", pseudonymised=False)
    back, _ = import_qdpx(tmp_path / "team.qdpx", tmp_path / "back.fnp")
    with back:
        got = sorted(back.conn.execute(
            'SELECT k.name, c.start, c."end" FROM codings c JOIN coders k ON k.id = c.coder_id').fetchall())
    assert got == [("anna", 40, 70), ("ben", 45, 90), ("lead", 40, 60)]


def test_copy_and_merge_of_an_encrypted_project(tmp_path, monkeypatch):
    from conftest import PASSPHRASE
    from fieldnotes.store.cipher import Passphrase, forget, looks_encrypted

    monkeypatch.setenv("FIELDNOTES_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "secret.fnp"
    with Project.create(path, passphrase=Passphrase(PASSPHRASE)) as proj:
        proj.intake.import_paths([write(tmp_path / "t.txt", TEXT)])
        proj.codebook.add_code("Caseload")
        make_copy(proj, "anna", tmp_path / "anna.fnp")
    assert looks_encrypted(tmp_path / "anna.fnp")
    with Project.open(tmp_path / "anna.fnp") as copy:
        copy.coding.apply_coding("t", "Caseload", 40, 60)
    for p in (path, tmp_path / "anna.fnp"):
        forget(p)
    result = CliRunner().invoke(load_commands(), ["team", "merge", str(path), str(tmp_path / "anna.fnp")])
    assert result.exit_code == 0, result.output
    with Project.open(path, passphrase=Passphrase(PASSPHRASE)) as proj:
        assert proj.conn.execute("SELECT count(*) FROM codings").fetchone()[0] == 1


def test_code_made_in_a_copy_in_another_case_is_the_projects_code(study, tmp_path):
    # Beyond ASCII too: "überstunden" and "Überstunden" are one code, as the
    # codebook finds them by path.
    (anna,) = make_copies(study, tmp_path, ("anna",))
    with Project.open(study) as proj:
        proj.codebook.add_code("Caseload/Überstunden")
    with Project.open(anna) as copy:
        copy.codebook.add_code("Caseload/überstunden")
        copy.coding.apply_coding("t", "überstunden", 40, 50)
    with Project.open(study) as proj:
        report = merge_copies(proj, [anna])
        assert [c.path for c in proj.codebook.codes() if c.parent_id is not None] == ["Caseload/Überstunden"]
        assert proj.codebook.code("Caseload/Überstunden").codings == 1
        assert report.codes_added == []

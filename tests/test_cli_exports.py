"""Issue 6 through the command line on the coded demo study."""

import shutil

import pytest
from click.testing import CliRunner

from conftest import REPO, passphrase_of
from fieldnotes.cli import load_commands
from fieldnotes.exchange.yaml_codebook import read_yaml
from fieldnotes.project import Project

cli = load_commands()


def run(*args, ok=True):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def coded(_sample_build, tmp_path, store_kind):
    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as project:
        project.codebook.import_codebook(read_yaml(REPO / "codebooks" / "social-care-workforce.yaml")[1])
        project.coding.autocode("Caseload", fuzzy="caseload", scope="sentence")
        project.coding.autocode("Hot-desking and office space", keywords=["hot-desking", "hot desk", "desk"], scope="sentence")
        project.coding.autocode("Supervision quality", keywords=["supervision"], scope="sentence")
    if store_kind == "encrypted":
        from fieldnotes.store.cipher import encrypt_file

        encrypt_file(path, passphrase_of(store_kind))
    return path


def test_matrix_by_phase_in_every_format(coded, tmp_path):
    from openpyxl import load_workbook

    for suffix in ("csv", "xlsx", "md", "html", "svg", "png"):
        out = tmp_path / f"m.{suffix}"
        run("export", "matrix", coded, "--cols", "attr:phase", "--measure", "passages", "-o", out)
        assert out.exists() and out.stat().st_size > 100
    sheet = load_workbook(tmp_path / "m.xlsx").worksheets[0]
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    flat = [str(v) for row in values for v in row if v is not None]
    assert "Caseload" in " ".join(flat)
    shown = run("export", "matrix", coded, "--cols", "attr:phase,attr:role", "--measure", "documents").output
    assert "Caseload" in shown


def test_cooccurrence_framework_and_quotes(coded, tmp_path):
    run("export", "cooccurrence", coded, "--unit", "turn", "-o", tmp_path / "co.csv")
    assert "Caseload" in (tmp_path / "co.csv").read_text(encoding="utf-8-sig")
    run("export", "framework", coded, "-o", tmp_path / "fw.xlsx")
    run("export", "quotes", coded, "-o", tmp_path / "q.docx")
    import docx

    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "q.docx")).paragraphs)
    assert "Caseload" in text and "years qualified" in text


def test_qdpx_round_trip_through_the_cli(coded, tmp_path):
    run("qdpx", "export", coded, "-o", tmp_path / "s.qdpx", "--original")
    run("qdpx", "import", tmp_path / "s.qdpx", tmp_path / "back.fnp")
    with Project.open(coded) as a, Project.open(tmp_path / "back.fnp") as b:
        assert sorted(d.name for d in a.documents()) == sorted(d.name for d in b.documents())
        assert sorted((c.document, c.code, c.start, c.end) for c in a.coding.codings()) == \
            sorted((c.document, c.code, c.start, c.end) for c in b.coding.codings())
    # Importing over an existing project is refused, says what to do, and leaves it as it was.
    before = (tmp_path / "back.fnp").read_bytes()
    again = run("qdpx", "import", tmp_path / "s.qdpx", tmp_path / "back.fnp", ok=False)
    assert again.exit_code == 1 and "give a file name not used yet" in again.output, again.output
    assert (tmp_path / "back.fnp").read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (["export", "matrix", "--coder", "zoe"], "No coder 'zoe'"),
    (["export", "quotes", "--code", "Caseloda", "-o", "{tmp}/q.md"], "Caseloda"),
    (["export", "cooccurrence", "--where", "phaze=2"], "No attribute 'phaze'"),
    (["export", "framework", "--case", "NOSUCH"], "No case 'NOSUCH'"),
])
def test_a_mistyped_name_is_refused_before_names_are_detected(tmp_path, args, message):
    """The output view brings detection up to date first, which takes
    seconds on a real study; a typo in --coder, --code, --case or --where is
    reported without that wait, and no detection has run."""
    path = tmp_path / "study.fnp"
    source = tmp_path / "p1.txt"
    source.write_text("Interviewer: Hello.\n\nAnita Shah: My caseload is 29.\n", encoding="utf-8")
    with Project.create(path) as project:
        project.intake.import_paths([source])
        project.codebook.add_code("Caseload")
        project.attributes.set_attribute("p1.txt", "phase", 2)
        project.attributes.link_case("SW01", "p1.txt")
    result = run(args[0], args[1], path, *[a.format(tmp=tmp_path) for a in args[2:]], ok=False)
    assert result.exit_code != 0 and message in result.output, result.output
    with Project.open(path) as project:
        assert project.pseudonyms.detection_status()["covered"] == 0

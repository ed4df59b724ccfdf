"""YAML codebooks: the shipped ones, round trips, merging, errors."""

import pytest

from conftest import REPO, write
from fieldnotes.exchange.codebooks import read_codebook, write_codebook
from fieldnotes.errors import FieldnotesError
from fieldnotes.exchange.yaml_codebook import CodebookFileError, read_yaml, write_yaml
from fieldnotes.project import Project

SHIPPED = REPO / "codebooks"


def test_shipped_workforce_codebook_shape():
    meta, nodes = read_yaml(SHIPPED / "social-care-workforce.yaml")
    every = [n for root in nodes for _, n in root.walk()]
    assert 6 <= len(nodes) <= 9 and 25 <= len(every) <= 40
    assert all(n.description and n.inclusion for n in every)
    names = {n.name for n in every}
    assert {"Caseload", "Time for direct work", "Audit and compliance"} <= names


def test_shipped_dfe_framework_has_seven_and_seven():
    _, nodes = read_yaml(SHIPPED / "dfe-innovation-framework.yaml")
    assert [n.name for n in nodes] == ["Features of practice", "Outcomes"]
    assert [len(n.children) for n in nodes] == [7, 7]


def test_import_export_round_trip_is_stable(tmp_path):
    with Project.create(tmp_path / "a.fnp") as a:
        a.codebook.import_codebook(read_yaml(SHIPPED / "social-care-workforce.yaml")[1])
        write_yaml(a.codebook.codebook_nodes(), tmp_path / "one.yaml", name="Social care workforce")
    with Project.create(tmp_path / "b.fnp") as b:
        b.codebook.import_codebook(read_yaml(tmp_path / "one.yaml")[1])
        write_yaml(b.codebook.codebook_nodes(), tmp_path / "two.yaml", name="Social care workforce")
    assert (tmp_path / "one.yaml").read_bytes() == (tmp_path / "two.yaml").read_bytes()
    original = read_yaml(SHIPPED / "social-care-workforce.yaml")[1]
    again = read_yaml(tmp_path / "two.yaml")[1]
    assert [(p, n.description, n.inclusion, n.exclusion, n.example) for r in original for p, n in r.walk()] == [
        (p, n.description, n.inclusion, n.exclusion, n.example) for r in again for p, n in r.walk()]


def test_import_merges_by_path_and_reports(project, tmp_path):
    project.codebook.add_code("Caseload and time/Caseload", description="old")
    project.codebook.add_code("Mine/Own code")
    counts = project.codebook.import_codebook(read_yaml(SHIPPED / "social-care-workforce.yaml")[1])
    assert counts["updated"] >= 1 and counts["added"] == 38
    assert project.codebook.code("Caseload").description != "old"
    assert project.codebook.code("Own code").path == "Mine/Own code"
    again = project.codebook.import_codebook(read_yaml(SHIPPED / "social-care-workforce.yaml")[1])
    assert again == {"added": 0, "updated": 0, "unchanged": 40}
    project.history.undo()  # the (empty) second import recorded nothing; this undoes the first
    assert project.codebook.code("Caseload").description == "old"


@pytest.mark.parametrize(
    "content, message",
    [
        ("codes: [\n  - name: A\n    children: [", "bad.yaml, line 2, column 3"),
        ("name: x\n", "needs a top-level 'codes:' list"),
        ("codes:\n  - name: A\n    colour2: '#fff'\n", "code 'A': unknown key(s) colour2"),
        ("codes:\n  - name: A/B\n", "names cannot contain '/'"),
        ("codes:\n  - name: A\n  - name: A\n", "code 'A' appears twice"),
        ("codes:\n  - name: A\n    colour: blue\n", "colour 'blue' is not #RRGGBB"),
        ("codes:\n  - description: nameless\n", "has no name"),
    ],
)
def test_malformed_yaml_names_the_problem(tmp_path, content, message):
    path = write(tmp_path / "bad.yaml", content)
    with pytest.raises(CodebookFileError) as info:
        read_yaml(path)
    assert message in str(info.value) and "bad.yaml" in str(info.value)


def test_write_codebook_picks_the_format_by_extension(project, tmp_path):
    project.codebook.add_code("Care/Assessment", description="What was assessed")
    project.codebook.add_code("Care plans")
    nodes = project.codebook.codebook_nodes()
    for name in ("book.yaml", "book.YML", "book.qdc"):
        write_codebook(tmp_path / name, nodes, name="Workforce study")
        back = read_codebook(tmp_path / name)
        assert [n.name for n in back] == ["Care", "Care plans"]
        assert back[0].children[0].description == "What was assessed"
    assert read_yaml(tmp_path / "book.yaml")[0]["name"] == "Workforce study"
    assert (tmp_path / "book.qdc").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    with pytest.raises(FieldnotesError, match=r"book\.txt: export the codebook as \.yaml or \.qdc"):
        write_codebook(tmp_path / "book.txt", nodes, name="Workforce study")
    assert not (tmp_path / "book.txt").exists()


def test_cli_export_to_an_unknown_extension_writes_nothing(tmp_path):
    from click.testing import CliRunner

    from fieldnotes.cli import load_commands

    path = tmp_path / "study.fnp"
    with Project.create(path) as proj:
        proj.codebook.add_code("Care")
    result = CliRunner().invoke(load_commands(), ["codebook", "export", str(path), "-o", str(tmp_path / "book.docx")])
    assert result.exit_code != 0
    assert "book.docx: export the codebook as .yaml or .qdc." in result.output
    assert not (tmp_path / "book.docx").exists()

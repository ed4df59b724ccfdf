"""The coding workflow of the README through the command line."""

import json

import xmlschema
from click.testing import CliRunner

from conftest import REPO, SAMPLE, init_args
from fieldnotes.cli import load_commands

cli = load_commands()
XSD = REPO / "src" / "fieldnotes" / "schemas" / "Codebook.xsd"


def run(*args, ok=True):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_readme_coding_flow(tmp_path, store_kind):
    demo = tmp_path / "demo.fnp"
    run("init", *init_args(store_kind), demo)
    run("import", demo, SAMPLE, "--manifest", SAMPLE / "manifest.csv")
    out = run("codebook", "import", demo, REPO / "codebooks" / "social-care-workforce.yaml").output
    assert "40 code(s) added" in out
    dry = run("autocode", demo, "--code", "Caseload", "--keyword", "caseload", "--scope", "sentence", "--dry-run").output
    assert "would be coded" in dry and "Nothing was coded" in dry
    assert json.loads(run("code", "list", demo, "--json").output) == []
    applied = run("autocode", demo, "--code", "Caseload", "--keyword", "caseload", "--json").output
    n = json.loads(applied)["applied"]
    assert n >= 5
    assert len(json.loads(run("code", "list", demo, "--json").output)) == n
    assert "Undone: autocode" in run("undo", demo).output
    assert json.loads(run("code", "list", demo, "--json").output) == []
    run("redo", demo)
    passages = json.loads(run("passages", demo, "--code", "Caseload and time", "--where", "role=SW CP", "--json").output)
    assert passages and {"document", "code", "start", "end", "speaker", "attribution", "text"} <= set(passages[0])
    assert all(p["attribution"].startswith(("SW CP", "Observation note")) or p["attribution"] == "Interviewer"
               for p in passages)
    assert any(p["attribution"] == "SW CP, 6 years qualified" for p in passages)
    tree = json.loads(run("codebook", "tree", demo, "--json").output)
    caseload = next(c for c in tree if c["name"] == "Caseload and time")
    assert caseload["total"] == n and caseload["children"][0]["count"] == n
    assert {"name", "path", "description", "count", "children"} <= set(caseload)
    run("codebook", "export", demo, "-o", tmp_path / "cb.qdc")
    xmlschema.XMLSchema(str(XSD)).validate(str(tmp_path / "cb.qdc"))
    fresh = tmp_path / "fresh.fnp"
    run("init", fresh)
    assert "40 code(s) added" in run("codebook", "import", fresh, tmp_path / "cb.qdc").output
    run("codebook", "export", fresh, "-o", tmp_path / "again.qdc")
    assert (tmp_path / "cb.qdc").read_bytes() == (tmp_path / "again.qdc").read_bytes()  # GUIDs stable


def test_code_commands_and_errors(tmp_path):
    demo = tmp_path / "demo.fnp"
    run("init", demo)
    run("import", demo, SAMPLE / "p1_int_sw01.txt")
    run("code", "add", demo, "Caseload and time/Caseload", "--description", "Numbers of cases")
    result = run("code", "apply", demo, "--doc", "p1_int_sw01", "--code", "Caseloads", "--start", "0", "--end", "5", ok=False)
    assert result.exit_code == 1 and "Did you mean 'Caseload'?" in result.output
    out = run("code", "apply", demo, "--doc", "p1_int_sw01", "--code", "Caseload", "--match", "caseload",
              "--expand", "sentence", "--coder", "Rachel").output
    assert out.startswith("Coded p1_int_sw01.txt")
    listed = json.loads(run("code", "list", demo, "--doc", "p1_int_sw01", "--json").output)
    assert listed[0]["coder"] == "Rachel" and "caseload" in listed[0]["text"]
    run("memo", "add", demo, "--coding", listed[0]["id"], "Key quote for the report")
    assert json.loads(run("memo", "list", demo, "--json").output)[0]["target"] == f"coding {listed[0]['id']}"
    run("code", "rename", demo, "Caseload", "Caseload size")
    run("code", "move", demo, "Caseload size", "--top")
    refused = run("code", "delete", demo, "Caseload size", ok=False)
    assert "delete with --force" in refused.output
    run("code", "delete", demo, "Caseload size", "--force")
    run("undo", demo)
    assert json.loads(run("code", "show", demo, "Caseload size", "--json").output)["codings"] == 1
    run("code", "remove", demo, "--doc", "p1_int_sw01", "--code", "Caseload size", "--match", "caseload")
    assert json.loads(run("code", "list", demo, "--json").output) == []
    history = json.loads(run("history", demo, "--json").output)
    assert history[0]["summary"].startswith("remove Caseload size")
    run("settings", demo, "attribution_template", "{role}")
    assert "attribution_template = {role}" in run("settings", demo).output

"""The command line through click's runner, on real project files."""

import json

import click
import pytest
from click.testing import CliRunner

from conftest import init_args, SAMPLE, write
from fieldnotes.cli import load_commands
from fieldnotes.project import Project

cli = load_commands()


def run(*args, ok=True):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _all_commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


def test_every_command_has_help_with_an_example():
    commands = list(_all_commands(cli))
    assert len(commands) >= 9
    for path, _ in commands:
        result = run(*path, "--help")
        assert "Example" in result.output, f"'fieldnotes {' '.join(path)}' has no example in its help"


def test_tour_init_import_documents_search(tmp_path, store_kind):
    project = tmp_path / "demo.fnp"
    run("init", *init_args(store_kind), project)
    from fieldnotes.store.cipher import looks_encrypted

    assert looks_encrypted(project) == (store_kind == "encrypted")
    result = run("import", project, SAMPLE, "--manifest", SAMPLE / "manifest.csv")
    assert "imported" in result.output and "failed" not in result.output
    listed = json.loads(run("documents", project, "--json").output)
    assert len(listed) >= 12
    hits = json.loads(run("search", project, "caseload", "--json").output)
    assert hits and all("caseload" in h["snippet"].lower() for h in hits)
    assert any(h["speaker"] for h in hits)
    assert all(h["attributes"].get("phase") in (1, 2, 3) for h in hits)
    text = run("search", project, "caseload", "--limit", "3").output
    assert "p" in text and "phase=" in text


def test_search_where_filters_by_attribute(tmp_path):
    project = tmp_path / "s.fnp"
    run("init", project)
    run("import", project, SAMPLE, "--manifest", SAMPLE / "manifest.csv")
    hits = json.loads(run("search", project, "caseload", "--where", "phase=2", "--json", "--limit", "0").output)
    assert hits and {h["attributes"]["phase"] for h in hits} == {2}
    role = json.loads(run("search", project, "caseload", "--where", "role=SW CP", "--json").output)
    assert role and {h["attributes"]["role"] for h in role} == {"SW CP"}


def test_import_exit_code_and_one_line_per_bad_file(tmp_path):
    project = tmp_path / "s.fnp"
    run("init", project)
    write(tmp_path / "in" / "good.txt", "Interviewer: a\nSW: b\nInterviewer: c\nSW: d\n")
    write(tmp_path / "in" / "bad.txt", b"\x00\x00binary")
    write(tmp_path / "in" / "worse.docx", b"nonsense")
    result = run("import", project, tmp_path / "in", ok=False)
    assert result.exit_code == 1
    failed_lines = [line for line in result.output.splitlines() if line.strip().startswith("failed")]
    assert len(failed_lines) == 2
    assert any("bad.txt" in line and "binary" in line for line in failed_lines)
    assert "1 imported, 2 failed" in result.output
    again = run("import", project, tmp_path / "in" / "good.txt")
    assert "identical to document 'good.txt'" in again.output


def test_show_cases_attributes_info(tmp_path):
    project = tmp_path / "s.fnp"
    run("init", project)
    run("import", project, SAMPLE, "--manifest", SAMPLE / "manifest.csv")
    shown = json.loads(run("show", project, "p1_int_sw01", "--json").output)
    assert shown["name"] == "p1_int_sw01.txt" and shown["turns"]
    assert "SW" in run("show", project, "p1_int_sw01").output
    cases = json.loads(run("cases", project, "--json").output)
    sw01 = next(c for c in cases if c["name"] == "SW01")
    assert len(sw01["documents"]) >= 3  # one social worker seen in 3 phases
    attrs = {a["name"]: a for a in json.loads(run("attributes", project, "--json").output)}
    assert attrs["phase"]["type"] == "integer" and set(attrs["phase"]["values"]) == {1, 2, 3}
    assert attrs["years_qualified"]["type"] == "integer"
    info = json.loads(run("info", project, "--json").output)
    assert info["documents"] >= 12 and info["words"] > 12 * 800


@pytest.mark.parametrize(
    "args, message",
    [
        (("documents", "{missing}"), "No project at"),
        (("show", "{project}", "nosuchdoc"), "No document 'nosuchdoc'"),
        (("search", "{project}", "x", "--where", "phse=1"), "No attribute 'phse'. Did you mean 'phase'"),
        (("search", "{project}", "x", "--where", "phase"), "--where needs NAME=VALUE"),
        (("documents", "{notproject}"), "not a fieldnotes project"),
    ],
)
def test_errors_are_one_line_without_traceback(tmp_path, args, message):
    project = tmp_path / "s.fnp"
    run("init", project)
    run("import", project, SAMPLE / "p1_int_sw01.txt", "--manifest", SAMPLE / "manifest.csv")
    (tmp_path / "notes.txt").write_text("hello")
    values = {"project": project, "missing": tmp_path / "missing.fnp", "notproject": tmp_path / "notes.txt"}
    result = CliRunner().invoke(cli, [a.format(**{k: str(v) for k, v in values.items()}) for a in args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2  # one line, maybe wrapped once


def test_debug_shows_the_traceback(tmp_path):
    from fieldnotes.errors import ProjectFileError

    with pytest.raises(ProjectFileError):
        CliRunner().invoke(cli, ["--debug", "info", str(tmp_path / "missing.fnp")], catch_exceptions=False)


def test_demo_builds_once_in_the_user_data_folder(tmp_path, monkeypatch):
    first = run("demo")
    assert "Built the demo project" in first.output
    from fieldnotes.demo import demo_path

    assert demo_path().exists() and str(demo_path()).startswith(str(tmp_path.parent.parent))
    second = run("demo")
    assert "Using the demo project" in second.output


def test_python_dash_m_runs(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "fieldnotes", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "fieldnotes" in result.stdout


def test_config_view_pseudonymised_makes_every_text_command_pseudonymised(_sample_build, tmp_path, nlp):
    """Issue 12: under 'view pseudonymised' no command prints a real name."""
    import shutil

    from fieldnotes.project import Project

    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as proj:
        proj.pseudonyms.detect_entities(nlp=nlp)
        proj.codebook.add_code("Caseload")
        start, end = proj.coding.find_text("p1_int_sw01.txt", "So I'm Anita, Anita Shah")
        proj.coding.apply_coding("p1_int_sw01.txt", "Caseload", start, end)
        proj.memos.add("document", "p1_int_sw01.txt", "Anita sounded tired.")
        # A code named after a participant: its name is text that commands print too.
        proj.codebook.add_code("Anita Shah story")
        proj.coding.apply_coding("p1_int_sw01.txt", "Anita Shah story", start, end)
    outputs = lambda: [run(*args).output for args in (  # noqa: E731
        ("show", path, "p1_int_sw01"), ("show", path, "p1_int_sw01", "--json"), ("search", path, "Telford"),
        ("search", path, "Anita"), ("passages", path, "--code", "Caseload"), ("code", "list", path),
        ("memo", "list", path), ("passages", path, "--code", "Anita Shah story"), ("codebook", "tree", path),
        ("codebook", "tree", path, "--json"))]
    before = outputs()
    assert all("Anita" in out for out in before[:2] + before[3:])
    assert "view = original" in run("config", path, "view").output
    assert "view = pseudonymised" in run("config", path, "view", "pseudonymised").output
    after = outputs()
    for out in after[:3] + after[4:]:
        assert "Anita" not in out and "Shah" not in out, out
    assert after[3] == "No matches for Anita.\n"  # where a replaced name occurs is not revealed either
    assert "So I'm [" in after[4]
    # The pseudonym as shown is searchable, so every place the person is named can be found.
    with Project.open(path) as proj:
        tag = proj.pseudonyms.replacements()[proj.pseudonyms.entity_id("Anita Shah")]
    found = run("search", path, tag, "--json").output
    hits = json.loads(found)
    assert "Anita" not in found and any(h["document"] == "p1_int_sw01.txt" for h in hits)
    with Project.open(path) as proj:
        text = proj.document("p1_int_sw01.txt").text
    assert {text[h["start"]:h["end"]] for h in hits if h["document"] == "p1_int_sw01.txt"} <= {"Anita", "Anita Shah"}
    # One coder may be let back to the original.
    assert "view = original" in run("config", path, "view", "original", "--coder", "lead").output
    assert "lead: original" in run("config", path, "view").output
    bad = run("config", path, "view", "blurred", ok=False)
    assert bad.exit_code != 0 and "'original' or 'pseudonymised'" in bad.output


def test_a_pseudonymised_only_coder_gets_detection_before_the_workspace_starts(tmp_path):
    """The workspace's panes show pseudonymised names from the first frame;
    stale documents are detected in the terminal first, never on the UI
    thread, and only for a coder who reads pseudonymised text."""
    from fieldnotes.cli.workspace import detect_before_opening

    source = tmp_path / "p1.txt"
    source.write_text("Interviewer: Hello.\n\nAnita Shah: My caseload is 29.\n", encoding="utf-8")
    with Project.create(tmp_path / "study.fnp", coder="anna") as project:
        project.intake.import_paths([source])
        assert detect_before_opening(project) is False      # reads the original: nothing to do
        assert project.pseudonyms.stale_documents()
        project.reading.set_text_view("pseudonymised")
        assert detect_before_opening(project) is True
        assert project.pseudonyms.stale_documents() == []
        assert detect_before_opening(project) is False      # up to date: starts at once


def test_view_pseudonymised_covers_documents_cases_attributes_and_history(_sample_build, tmp_path, nlp):
    """Found while checking issue 13 as a new user: under 'view pseudonymised'
    the lists of documents, cases and attributes still printed speaker labels
    ("DC Hale"), schools and towns, and history its summaries, as recorded."""
    import shutil

    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as proj:
        proj.pseudonyms.detect_entities(nlp=nlp)
        proj.codebook.add_code("Anita Shah story")
    commands = [("documents", path), ("documents", path, "--json"), ("cases", "list", path),
                ("cases", "list", path, "--json"), ("attributes", path), ("attributes", path, "--json"),
                ("history", path), ("history", path, "--json")]
    real = ["Hale", "Telford", "St Mary", "Anita"]
    before = "\n".join(run(*args).output for args in commands)
    assert all(name in before for name in real)
    run("config", path, "view", "pseudonymised")
    for args in commands:
        out = run(*args).output
        assert not [name for name in real if name in out], (args, out)
    assert "[Person" in run("cases", "list", path).output


def test_view_pseudonymised_code_show_says_the_code_as_read(_sample_build, tmp_path, nlp):
    """Found reviewing cli/: under 'view pseudonymised' the codebook tree
    showed '[Person 1] story', but 'code show' printed the code's name and
    description as recorded, real names and all (and in --json)."""
    import shutil

    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as proj:
        proj.pseudonyms.detect_entities(nlp=nlp)
        proj.codebook.add_code("Anita Shah story", description="What Anita Shah says about her caseload")
    assert "Anita Shah" in run("code", "show", path, "Anita Shah story").output
    run("config", path, "view", "pseudonymised")
    for args in (("code", "show", path, "Anita Shah story"), ("code", "show", path, "Anita Shah story", "--json")):
        out = run(*args).output
        assert "story" in out and "about her caseload" in out, out
        assert "Anita" not in out and "Shah" not in out, (args, out)
    assert json.loads(run("code", "show", path, "Anita Shah story", "--json").output)["name"].endswith("] story")
    # A memo on that code says what it is on as the coder may read it too.
    run("memo", "add", path, "--code", "Anita Shah story", "Ask about the duty rota")
    for args in (("memo", "list", path), ("memo", "list", path, "--json")):
        out = run(*args).output
        assert "story" in out and "duty rota" in out and "Anita" not in out, (args, out)


def test_view_pseudonymised_refuses_the_pseudonym_review_and_the_key_log(_sample_build, tmp_path, nlp, monkeypatch):
    """The workspace refuses its review screen to a pseudonymised-only coder;
    the review commands, which print real names, are refused the same way."""
    import shutil

    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as proj:
        proj.pseudonyms.detect_entities(nlp=nlp)
    assert "Anita" in run("pseudo", "list", path).output
    run("config", path, "view", "pseudonymised")
    for args in (("pseudo", "list", path), ("pseudo", "show", path, "Anita Shah"), ("pseudo", "queue", path),
                 ("pseudo", "log", path), ("pseudo", "accept", path, "--all")):
        result = run(*args, ok=False)
        assert result.exit_code == 1 and "shows real names" in result.output and "Anita" not in result.output, args
    assert run("pseudo", "status", path).exit_code == 0
    refused = run("export", "text", path, "-o", tmp_path / "texts", "--original", ok=False)
    assert refused.exit_code == 1 and "--original shows real names" in refused.output
    assert not (tmp_path / "texts").exists()
    # A coder let back to the original can review.
    run("config", path, "view", "original", "--coder", "lead")
    monkeypatch.setenv("FIELDNOTES_CODER", "lead")
    assert "Anita" in run("pseudo", "list", path).output

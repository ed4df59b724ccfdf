"""Pseudonymisation in a real project: detection with a real spaCy pipeline,
review decisions, the pseudonymised view, the key, exports and the safe copy."""

import csv
import json
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import PASSPHRASE, passphrase_of, write
from fieldnotes.cli import load_commands
from fieldnotes.project import Project

cli = load_commands()

TRANSCRIPT = (
    "Interviewer: Tell me about the family.\n\n"
    "Anita Shah: So Jodie Mensah, she's twenty-seven. Jodie said she was tired. "
    "Her mobile is 07700 900418 and they live at 14 Mill Lane in Hadley.\n\n"
    "Interviewer: And the school?\n\n"
    "Anita Shah: Kayden goes to St Mary's Primary School. jodie will call Ofsted? No. "
    "Mrs Mensah helps. Kayden's NHS number is 943 476 5919.\n"
)
NOTES = "Visit notes.\n\n10:42 Arrived at Mill Lane. Jodi opened the door; Kayden was at school.\n"


@pytest.fixture
def study(tmp_path, nlp, request, monkeypatch):
    kind = getattr(request, "param", "plain")
    if kind == "encrypted":
        monkeypatch.setenv("FIELDNOTES_PASSPHRASE", PASSPHRASE)
    project = Project.create(tmp_path / "s.fnp", passphrase=passphrase_of(kind))
    project.intake.import_paths([write(tmp_path / "in" / "int.txt", TRANSCRIPT), write(tmp_path / "in" / "obs.md", NOTES)])
    project.pseudonyms.detect_entities(nlp=nlp)
    yield project
    project.close()


def labels(project):
    return {e.label: e for e in project.pseudonyms.entities()}


def test_detection_clusters_variants_and_skips_unchanged(study, nlp):
    found = labels(study)
    jodie = next(e for e in found.values() if "Jodie" in e.surfaces)
    assert {"Jodie", "Jodi"} <= set(jodie.surfaces)
    # The lower-case "jodie" is one of her mentions (surface forms are kept once, whatever the case).
    assert "jodie" in {m.text for m in study.pseudonyms.mentions_of(jodie.id)}
    cats = {e.category for e in found.values()}
    assert {"PERSON", "PHONE", "ADDRESS", "NHS_NUMBER", "ORG"} <= cats
    assert not any("Ofsted" in e.surfaces for e in found.values())
    again = study.pseudonyms.detect_entities(nlp=nlp)
    assert again.processed == 0 and again.skipped == 2


def test_pseudonymised_view_moves_codings_with_their_words(study):
    study.codebook.add_code("Family/Tiredness")
    start, end = study.coding.find_text("int", "Jodie said she was tired")
    coding, _ = study.coding.apply_coding("int", "Tiredness", start, end)
    text, mapping = study.pseudonyms.pseudonymised("int")
    a, b = mapping.range_to_view(coding.start, coding.end)
    assert text[a:b].endswith(" said she was tired")
    assert "Jodie" not in text[a:b] and text[a:b].startswith("[")
    assert "07700 900418" not in text and "Mensah" not in text and "Ofsted" in text


def test_accept_all_export_text_and_leak_check(study, tmp_path):
    study.pseudonyms.set_entity_status(None, "accepted")
    written = study.pseudonyms.export_texts(tmp_path / "out")
    assert sorted(p.rsplit("/", 1)[-1] for p in written) == ["int.txt", "obs.txt"]
    body = (tmp_path / "out" / "int.txt").read_text(encoding="utf-8")
    for real in ("Jodie", "jodie", "Mensah", "Anita", "07700 900418", "943 476 5919", "14 Mill Lane"):
        assert real not in body
    from fieldnotes.pseudonymise.leaks import check_leaks

    leaks, problems = check_leaks([tmp_path / "out"], study.pseudonyms.leak_surfaces(), ignore=study.pseudonyms.allowlist())
    assert leaks == [] and problems == []
    write(tmp_path / "out" / "draft.md", "Quote from Jodie Mensah here.\n")
    leaks, _ = check_leaks([tmp_path / "out"], study.pseudonyms.leak_surfaces())
    # The full name is reported once, as written, not only its first word.
    assert [(leak.found, leak.line) for leak in leaks] == [("Jodie Mensah", 1)]


def test_decisions_set_reject_merge_split_allow_and_undo(study):
    anita = study.pseudonyms.entity_id("Anita Shah")
    study.pseudonyms.set_replacement(anita, "Sophie")
    assert study.pseudonyms.pseudonymised("int")[0].count("Sophie") >= 1
    phone = next(e.id for e in study.pseudonyms.entities() if e.category == "PHONE")
    study.pseudonyms.set_entity_status([phone], "rejected")
    assert "07700 900418" in study.pseudonyms.pseudonymised("int")[0]
    study.history.undo()
    assert "07700 900418" not in study.pseudonyms.pseudonymised("int")[0]
    kayden = study.pseudonyms.entity_id("Kayden")
    before = len(study.pseudonyms.mentions_of(kayden))
    new = study.pseudonyms.split_entity(kayden, document="obs.md", label="Kayden (notes)")
    assert len(study.pseudonyms.mentions_of(kayden)) + len(study.pseudonyms.mentions_of(new)) == before
    study.pseudonyms.merge_entities(new, kayden)
    assert len(study.pseudonyms.mentions_of(kayden)) == before
    removed = study.pseudonyms.allow(["Hadley"])
    assert removed >= 1 and "Hadley" in study.pseudonyms.pseudonymised("int")[0]


def test_key_log_csv_and_jsonl(study, tmp_path):
    result = CliRunner().invoke(cli, ["pseudo", "log", str(study.path), "--format", "csv", "-o", str(tmp_path / "key.csv")])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "key.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# SENSITIVE")
    rows = list(csv.DictReader(lines[1:]))
    assert set(rows[0]) == {"document", "start", "end", "text", "category", "replacement", "status", "detector"}
    text = study.document(rows[0]["document"]).text
    assert all(text[int(r["start"]):int(r["end"])] == r["text"] for r in rows if r["document"] == rows[0]["document"])
    out = CliRunner().invoke(cli, ["pseudo", "log", str(study.path), "--format", "jsonl"]).output
    assert json.loads(out.splitlines()[0])["status"] == "suggested"


def test_key_log_is_one_api_call_owner_only_neutralised_and_audited(study, tmp_path):
    """The key log is built by the project API (the CLI only shows what it
    returns): a CSV file readable by its owner only, starting with the
    warning line, every cell neutralised, the release in the audit trail;
    as JSON lines without a file, the same records as ``mention_log``."""
    import stat

    from fieldnotes.errors import FieldnotesError

    # A replacement that would run as a formula in a spreadsheet.
    study.pseudonyms.set_replacement("Hadley", "=Town")
    key = tmp_path / "key.csv"
    log = study.pseudonyms.key_log("csv", output=key)
    assert log.path == key and log.text is None and log.records == len(study.pseudonyms.mention_log())
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    lines = key.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# SENSITIVE: pseudonymisation key of s.fnp")
    rows = list(csv.DictReader(lines[1:]))
    assert len(rows) == log.records > 0
    assert {row["replacement"] for row in rows if row["text"] == "Hadley"} == {"'=Town"}
    assert all(not v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values()), rows
    released = [json.loads(d) for a, d in study.conn.execute("SELECT action, detail FROM audit") if a == "pseudo.log"]
    assert released[-1] == {"to": f"{key} (csv)", "records": log.records}

    shown = study.pseudonyms.key_log("jsonl")
    assert shown.path is None
    assert [json.loads(line) for line in shown.text.splitlines()] == study.pseudonyms.mention_log()
    with pytest.raises(FieldnotesError, match="encrypted key is written to a file"):
        study.pseudonyms.key_log("csv", recipients=["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"])


def test_safe_copy_has_no_originals_anywhere(study, tmp_path):
    study.codebook.add_code("Family/Support")
    start, end = study.coding.find_text("int", "Mrs Mensah helps.")
    study.coding.apply_coding("int", "Support", start, end)
    study.memos.add("document", "int", "Jodie Mensah seemed calmer with Anita.")
    study.pseudonyms.set_entity_status(None, "accepted")
    safe = tmp_path / "safe.fnp"
    counts = study.pseudonyms.safe_copy(safe)
    assert counts == {"documents": 2, "codings": 1, "memos": 1}
    with Project.open(safe) as copy:
        assert copy.pseudonyms.entities() == []
        coding = copy.coding.codings()[0]
        assert coding.text.endswith("helps.") and "Mensah" not in coding.text
        assert "Jodie" not in copy.memos.list()[0].text
        assert copy.search("Mensah") == []
    raw = safe.read_bytes()
    for real in ("Jodie", "Mensah", "Anita", "07700 900418", "Mill Lane", "943 476 5919"):
        assert real.encode() not in raw, real
    from fieldnotes.pseudonymise.leaks import check_leaks

    leaks, problems = check_leaks([safe], study.pseudonyms.leak_surfaces(), ignore=study.pseudonyms.allowlist())
    assert leaks == [] and problems == []
    with sqlite3.connect(safe) as conn:
        assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 0


@pytest.mark.parametrize("study", ["plain", "encrypted"], indirect=True)
def test_cli_pseudo_flow_and_check_leaks_exit_code(study, tmp_path):
    runner = CliRunner()
    path = str(study.path)
    listed = json.loads(runner.invoke(cli, ["pseudo", "list", path, "--json"]).output)
    assert listed and {"id", "category", "label", "status", "replacement", "mentions"} <= set(listed[0])
    assert runner.invoke(cli, ["pseudo", "accept", path, "--all"]).exit_code == 0
    assert runner.invoke(cli, ["export", "text", path, "-o", str(tmp_path / "out")]).exit_code == 0
    clean = runner.invoke(cli, ["pseudo", "check-leaks", path, str(tmp_path / "out")])
    assert clean.exit_code == 0, clean.output
    write(tmp_path / "leaky.txt", "line one\nJodie Mensah again\n")
    leaky = runner.invoke(cli, ["pseudo", "check-leaks", path, str(tmp_path / "leaky.txt")])
    assert leaky.exit_code == 1 and "leaky.txt:2" in leaky.output
    shown = runner.invoke(cli, ["pseudo", "show", path, "Anita Shah"])
    assert shown.exit_code == 0 and "int.txt" in shown.output


def test_rules_only_fallback_is_said(tmp_path):
    project = Project.create(tmp_path / "r.fnp")
    project.intake.import_paths([write(tmp_path / "a.txt", TRANSCRIPT)])
    report = project.pseudonyms.detect_entities(pipeline="no_such_pipeline_installed")
    assert "rules" in report.message.lower() and "gazetteer" in report.message.lower()
    assert any(e.category == "PHONE" for e in project.pseudonyms.entities())
    project.close()

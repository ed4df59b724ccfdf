"""Who said what (issue 12): observation notes attributed as notes, each turn
of a joint interview under its speaker's case, quotes that never start with a
speaker label or time code, attributions without real names, a terminal
matrix that fits 80 and 120 columns, and the CLI's show/cases/search/.qdpx
fixes. Real project files, the real sample data, real .docx files."""

import csv
import io
import json
import re
import zipfile

import pytest
from click.testing import CliRunner

from conftest import SAMPLE, write
from fieldnotes.analysis.framework import framework_matrix
from fieldnotes.analysis.matrix import code_matrix
from fieldnotes.cli import load_commands
from fieldnotes.errors import FieldnotesError
from fieldnotes.export.quotes import quotes, write_quotes
from fieldnotes.manifest import read_manifest
from fieldnotes.project import Project

cli = load_commands()

#: What a quote must never start with: a time code or a speaker label.
LEADING_LABEL = re.compile(r"^\s*(?:[\[(]?\d{1,2}:\d{2}|[A-Z][\w'’.\-]*(?:,? [\w'’.\-]+){0,3}\s*:\s)")


def run(*args, ok=True):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def code_text(project, document, code, first, last=None):
    """Code from the start of ``first`` to the end of ``last`` (or of ``first``)."""
    text = project.document(document).text
    start = text.index(first)
    end = text.index(last, start) + len(last) if last else start + len(first)
    if not any(c.path == code or c.name == code for c in project.codebook.codes(counts=False)):
        project.codebook.add_code(code)
    project.coding.apply_coding(document, code, start, end)
    return start, end


def docx_quote_paragraphs(path):
    from docx import Document

    return [p.text for p in Document(str(path)).paragraphs if p.style.name == "Quote"]


# -- 1. observation notes are the researcher's, not a participant's ----------------------

def test_observation_notes_are_attributed_as_notes_everywhere(sample_project, tmp_path):
    p = sample_project
    code_text(p, "p3_obs_homevisit02.txt", "Caseload", "Note: Ben volunteers his case-load is 19")
    code_text(p, "p3_int_sw02.txt", "Caseload", "It's not in my caseload weighting")

    found = {x.document: x for x in p.coding.passages("Caseload")}
    note = found["p3_obs_homevisit02.txt"]
    assert note.note and note.attribution == "Observation note, Ludlow, phase 3"
    assert "SW LAC" not in note.attribution
    assert not found["p3_int_sw02.txt"].note and found["p3_int_sw02.txt"].attribution == "SW LAC, 3 years qualified"

    # Retrieval filters them in or out.
    assert [x.document for x in p.coding.passages("Caseload", notes="only")] == ["p3_obs_homevisit02.txt"]
    assert [x.document for x in p.coding.passages("Caseload", notes="exclude")] == ["p3_int_sw02.txt"]
    with pytest.raises(FieldnotesError, match="include, exclude or only"):
        p.coding.passages("Caseload", notes="some")

    # Quotes, in every format, say it is a note.
    groups = quotes(p, pseudonymised=False)
    by_doc = {q.document: q for g in groups for q in g.quotes}
    assert by_doc["p3_obs_homevisit02.txt"].note
    write_quotes(groups, tmp_path / "q.md", title="Q")
    md = (tmp_path / "q.md").read_text(encoding="utf-8")
    assert "(Observation note, Ludlow, phase 3)" in md and "researcher's note, not a participant's words" in md
    write_quotes(groups, tmp_path / "q.csv", title="Q")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "q.csv").read_text(encoding="utf-8-sig"))))
    assert {r["document"]: r["note"] for r in rows} == {"p3_obs_homevisit02.txt": "yes", "p3_int_sw02.txt": ""}
    write_quotes(groups, tmp_path / "q.html", title="Q")
    assert '<p class="note">' in (tmp_path / "q.html").read_text(encoding="utf-8")
    assert [q.document for g in quotes(p, pseudonymised=False, notes="exclude") for q in g.quotes] == ["p3_int_sw02.txt"]

    # The framework matrix marks it, and can leave it out.
    table = framework_matrix(p, pseudonymised=False)
    row = [r.label for r in table.rows].index("SW02")
    cell = table.values[row][table.columns.index("Caseload")]
    assert "[p3_obs_homevisit02 · note] Ben volunteers" in cell and "[p3_int_sw02] It's not" in cell
    table = framework_matrix(p, pseudonymised=False, notes="exclude")
    cell = table.values[[r.label for r in table.rows].index("SW02")][table.columns.index("Caseload")]
    assert "homevisit02" not in cell

    # The CLI filters too.
    out = json.loads(run("passages", p.path, "--code", "Caseload", "--notes", "only", "--json").output)
    assert [x["document"] for x in out] == ["p3_obs_homevisit02.txt"] and out[0]["note"] is True


def test_note_template_is_a_setting_and_degrades_without_attributes(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "visit.md", "Arrived at the hub at nine.\n\nThe duty board was full.\n")],
                         kind="observation")
    code_text(project, "visit.md", "Busy", "The duty board was full.")
    # No phase, no site: only the parts whose fields are known remain.
    assert project.coding.passages("Busy")[0].attribution == "Observation note"
    project.attributes.set_attribute("visit.md", "setting", "duty room")
    project.set_setting("observation_attribution_template", "Field observation ({setting}), phase {phase}")
    assert project.coding.passages("Busy")[0].attribution == "Field observation (duty room)"


def test_note_lines_inside_a_transcript_are_the_researchers(project, tmp_path):
    text = ("Interviewer: How many cases?\n\nSW: About twenty.\n\n"
            "Note: she checked her phone before answering.\n\nInterviewer: Thanks.\n\nSW: Okay.\n")
    project.intake.import_paths([write(tmp_path / "int.txt", text)])
    code_text(project, "int.txt", "Caseload", "Note: she checked")
    passage = project.coding.passages("Caseload")[0]
    assert passage.note and passage.attribution.startswith("Researcher's note")


# -- 2. a two-person interview: each turn under its speaker's case --------------------

def test_manifest_links_speakers_to_cases(tmp_path):
    manifest = write(tmp_path / "m.csv", "file,cases,speaker\njoint.txt,EH02=DC Hale;EH03=Grace,\n"
                                         "pair.txt,A;B,Mum;Dad\n")
    rows = read_manifest(manifest).rows
    assert rows["joint.txt"].cases == ["EH02", "EH03"] and rows["joint.txt"].speakers == {"EH02": "DC Hale", "EH03": "Grace"}
    assert rows["pair.txt"].speakers == {"A": "Mum", "B": "Dad"}
    bad = write(tmp_path / "bad.csv", "file,cases,speaker\npair.txt,A;B,Mum\n")
    with pytest.raises(FieldnotesError, match="line 2: the speaker column lists 1 label"):
        read_manifest(bad)


def test_joint_interview_turns_go_to_their_speakers_cases(sample_project):
    p = sample_project
    assert {c.name: c.speakers for c in p.attributes.cases()}["EH02"] == (("p3_int_eh02.txt", "DC Hale"),)
    # One passage over a question, DC Hale's answer and Grace's reply.
    code_text(p, "p3_int_eh02.txt", "Strategy meetings", "Can you say more about strategy meetings?",
              "Terrible. [laughs]")
    table = framework_matrix(p, pseudonymised=False)
    rows = {r.label: table.values[i][table.columns.index("Strategy meetings")] for i, r in enumerate(table.rows)}
    assert "So they're nearly all on Teams now" in rows["EH02"] and "Terrible" not in rows["EH02"]
    assert "Terrible" in rows["EH03"] and "nearly all on Teams" not in rows["EH03"]
    # The interviewer is linked to no case: in both rows, and said so.
    assert "[p3_int_eh02 · Interviewer, no case] Can you say more" in rows["EH02"]
    assert "[p3_int_eh02 · Interviewer, no case] Can you say more" in rows["EH03"]
    assert any("no case" in n for n in table.notes)

    # Unlinking a speaker sends their turns to both cases, marked.
    p.attributes.unlink_speaker("p3_int_eh02.txt", "Grace")
    table = framework_matrix(p, pseudonymised=False)
    rows = {r.label: table.values[i][table.columns.index("Strategy meetings")] for i, r in enumerate(table.rows)}
    assert "[p3_int_eh02 · Grace, no case] Terrible" in rows["EH02"] and "[p3_int_eh02 · Grace, no case] Terrible" in rows["EH03"]

    # Linking again from the command line; a label that is not a speaker is refused.
    run("cases", "link", p.path, "EH03", "--document", "p3_int_eh02", "--speaker", "grace")
    bad = run("cases", "link", p.path, "EH03", "--document", "p3_int_eh02", "--speaker", "Gracie", ok=False)
    assert bad.exit_code == 1 and "'Gracie' is not a speaker" in bad.output and "DC Hale, Grace, Interviewer" in bad.output
    with Project.open(p.path) as again:
        table = framework_matrix(again, pseudonymised=False)
        rows = {r.label: table.values[i][table.columns.index("Strategy meetings")] for i, r in enumerate(table.rows)}
        assert "Terrible" in rows["EH03"] and "Terrible" not in rows["EH02"]


def test_quote_spanning_turns_is_attributed_turn_by_turn(sample_project, tmp_path):
    p = sample_project
    run("cases", "set", p.path, "EH02", "role=Police officer")
    code_text(p, "p3_int_eh02.txt", "Strategy meetings", "Interviewer: Can you say more", "Terrible. [laughs]")
    assert "EH02" in run("cases", p.path).output.split("Police officer")[0]
    quote = quotes(p, pseudonymised=False)[0].quotes[0]
    assert [(part.speaker, part.attribution) for part in quote.parts] == [
        ("Interviewer", "Interviewer"), ("DC Hale", "Police officer"), ("Grace", "Early Help stakeholder")]
    assert quote.parts[0].text == "Can you say more about strategy meetings? How are those going?"


# -- 3. no quote starts with a speaker label or time code -----------------------------

def test_no_quote_starts_with_a_label_or_time_code(project, tmp_path):
    text = ("[00:00:05] Interviewer: Okay, it's recording.\n\n[00:00:09] SW: Okay. So caseload first.\n\n"
            "[00:00:20] Interviewer: Go on.\n\n[00:00:22] SW: It is twenty-four now.\n")
    notes = "Duty day.\n\n11:02 Dan's handover. Her caseload goes from 29 to 31.\n"
    project.intake.import_paths([write(tmp_path / "int.txt", text)])
    project.intake.import_paths([write(tmp_path / "obs.txt", notes)], kind="observation")
    project.attributes.set_attribute("int.txt", "role", "SW CP")
    code_text(project, "int.txt", "Opening", "[00:00:05] Interviewer: Okay")           # a click at the turn's start
    code_text(project, "int.txt", "Caseload", "SW: Okay. So caseload first.")        # a paragraph with its label
    code_text(project, "int.txt", "Caseload", "[00:00:20] Interviewer: Go on.", "twenty-four now.")
    code_text(project, "obs.txt", "Caseload", "11:02 Dan's handover.", "29 to 31.")
    groups = quotes(project, pseudonymised=False)
    parts = [part for g in groups for q in g.quotes for part in q.parts]
    assert parts and not [x.text for x in parts if LEADING_LABEL.match(x.text)]
    assert [x.text for x in parts] == ["Okay", "Okay. So caseload first.", "Go on.",
                                       "It is twenty-four now.", "Dan's handover. Her caseload goes from 29 to 31."]
    assert [x.attribution for x in parts] == ["Interviewer", "SW CP", "Interviewer", "SW CP", "Observation note"]
    write_quotes(groups, tmp_path / "q.docx", title="Quotes")
    paragraphs = docx_quote_paragraphs(tmp_path / "q.docx")
    assert len(paragraphs) == len(parts)
    assert not [x for x in paragraphs if LEADING_LABEL.match(x)], paragraphs
    assert "Dan's handover. Her caseload goes from 29 to 31. (Observation note)" in paragraphs


def test_demo_quotes_docx_attributes_every_quote(sample_project, tmp_path):
    """Done-when: the demo's quotes DOCX, with notes, a joint interview and a
    focus group coded, has no quote starting with a label and every quote of
    an observation note attributed as a note."""
    p = sample_project
    p.codebook.add_code("Caseload")
    p.coding.autocode("Caseload", keywords=["caseload", "case-load"], scope="paragraph")
    code_text(p, "p3_int_eh02.txt", "Strategy", "DC Hale: So they're nearly all", "Terrible. [laughs]")
    code_text(p, "p2_fg_managers.vtt", "Strategy", "Sorry, I'm on my phone")
    groups = quotes(p, pseudonymised=False)
    write_quotes(groups, tmp_path / "demo.docx", title="Quotes")
    paragraphs = docx_quote_paragraphs(tmp_path / "demo.docx")
    assert paragraphs and not [x for x in paragraphs if LEADING_LABEL.match(x)]
    kinds = {d.name: d.kind for d in p.documents()}
    for group in groups:
        for quote in group.quotes:
            for part in quote.parts:
                observed = kinds[quote.document] == "observation"
                assert part.note == observed
                assert part.attribution.startswith("Observation note") == observed, (quote.document, part)
    strategy = {part.speaker: part.attribution for g in groups if g.code == "Strategy" for q in g.quotes
                for part in q.parts}
    assert strategy == {"DC Hale": "Early Help stakeholder", "Grace": "Early Help stakeholder",
                        "Hughes, Carys": "Team manager"}


# -- 5. attribution never carries a real name in a pseudonymised output --------------

def test_attribution_values_are_pseudonymised(tmp_path, nlp):
    transcript = ("Interviewer: Tell me about the week.\n\nAnita Shah: Jodie Mensah rang twice about the caseload.\n\n"
                  "Interviewer: And then?\n\nAnita Shah: Jodie Mensah rang again.\n")
    manifest = write(tmp_path / "m.csv", "file,cases,role\nint.txt,Anita Shah=Anita Shah,SW CP\n")
    with Project.create(tmp_path / "s.fnp") as p:
        p.intake.import_paths([write(tmp_path / "in" / "int.txt", transcript)], manifest=manifest)
        p.pseudonyms.detect_entities(nlp=nlp)
        p.set_setting("attribution_template", "{role}, {case}, {speaker}")
        code_text(p, "int.txt", "Caseload", "Jodie Mensah rang twice about the caseload.")
        assert p.coding.passages("Caseload")[0].attribution == "SW CP, Anita Shah, Anita Shah"
        quote = quotes(p)[0].quotes[0]
        assert "Anita" not in quote.attribution and "Shah" not in quote.attribution
        assert quote.attribution.startswith("SW CP, [") and "Jodie" not in quote.text


# -- 6. the terminal matrix fits --------------------------------------------------------

def _rendered(table, width):
    from rich.console import Console

    from fieldnotes.cli.tables import terminal_tables

    console = Console(width=width, record=True, color_system=None)
    for part in terminal_tables(table, width):
        console.print(part)
    return console.export_text()


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("cols", ["attr:phase,attr:role", "documents", "cases"])
def test_terminal_matrix_fits_and_prints_every_number_whole(sample_project, width, cols):
    p = sample_project
    p.codebook.add_code("Caseload and time/Caseload")
    p.codebook.add_code("Organisational instability/Turnover and agency staff")
    p.coding.autocode("Caseload", keywords=["caseload", "case-load"], scope="sentence")
    p.coding.autocode("Turnover and agency staff", keywords=["agency"], scope="match")
    table = code_matrix(p, cols=cols)
    out = _rendered(table, width)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    # Every body row: its label, then every number of the row, whole, in order.
    expected = {r.label: [f"{v:,}" for v in table.values[i]] + [f"{table.row_totals[i]:,}"]
                for i, r in enumerate(table.rows)}
    expected["Total"] = [f"{v:,}" for v in table.column_totals] + [f"{table.total:,}"]
    seen: dict[str, list[str]] = {}
    for line in lines:
        match = re.match(r"^\s*(\S.*?)\s{2,}((?:[\d,]+\s*)+)$", line)
        if not match:
            continue
        shown = match.group(1).strip()
        # A long label may be cut with "…"; the numbers never are.
        label = next((x for x in expected if x == shown or (shown.endswith("…") and x.startswith(shown[:-1]))), None)
        assert label is not None, line
        seen.setdefault(label, []).extend(match.group(2).split())
    assert seen == expected
    # No column heading is cut letter by letter: each heading row is words or keys.
    assert not re.search(r"^\s*\S\s*$", "\n".join(lines[:3]), re.MULTILINE)


def test_cross_of_phase_and_role_only_shows_combinations_that_occur(sample_project):
    table = code_matrix(sample_project, cols="attr:phase,attr:role")
    everything = code_matrix(sample_project, cols="attr:phase,attr:role", all_combinations=True)
    assert len(table.columns) == len({(d.attributes.get("phase"), d.attributes.get("role"))
                                      for d in sample_project.documents()})
    assert len(everything.columns) > len(table.columns) and "phase=1 · role=Service manager" in everything.columns
    assert "phase=1 · role=Service manager" not in table.columns


# -- 8. the CLI ---------------------------------------------------------------------------

def test_show_prints_no_stray_label_before_the_first_turn(sample_project):
    out = run("show", sample_project.path, "p3_int_eh02").output
    body = out.split("\n\n", 1)[1]
    assert body.lstrip().startswith("Interviewer: Okay, that's going now.")
    assert not re.search(r"^Interviewer:\s*$", out, re.MULTILINE)
    assert "speakers: DC Hale = EH02, Grace = EH03" in out


def test_cases_lists_documents_with_speakers_not_a_names_column(sample_project):
    out = run("cases", sample_project.path).output
    assert "names" not in out.split("\n")[2]
    assert "documents (speaker)" in out and "p3_int_eh02.txt (DC Hale)" in out
    assert json.loads(run("cases", sample_project.path, "--json").output)[1]["speakers"] == [["p3_int_eh02.txt", "DC Hale"]]


def test_search_not_applies_within_turns(tmp_path):
    project = tmp_path / "one.fnp"
    run("init", project)
    write(tmp_path / "int.txt", "Interviewer: Staffing?\n\nSW: We have agency staff on the team.\n\n"
                                "Interviewer: And cover?\n\nSW: The agency sent nobody last week.\n")
    run("import", project, tmp_path / "int.txt")
    hits = json.loads(run("search", project, "agency NOT staff", "--json").output)
    assert [h["snippet"][h["snippet_hit"][0]:h["snippet_hit"][1]] for h in hits] == ["agency"]
    assert "nobody" in hits[0]["snippet"]
    both = json.loads(run("search", project, "agency staff", "--json").output)
    assert len(both) == 2 and all("agency staff" in h["snippet"] for h in both)
    assert "within each speaker turn" in run("search", "--help").output


def test_qdpx_names_the_configured_coder_not_the_login(tmp_path, monkeypatch):
    monkeypatch.delenv("FIELDNOTES_CODER", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "root")
    path = tmp_path / "s.fnp"
    run("init", path)
    run("import", path, write(tmp_path / "int.txt", "Interviewer: Hi?\n\nSW: Hello there.\n\nInterviewer: Ok.\n\nSW: Bye.\n"))
    run("settings", path, "coder", "R. Evans")
    run("code", "add", path, "Greeting")
    run("autocode", path, "--code", "Greeting", "--keyword", "hello")
    run("qdpx", "export", path, "-o", tmp_path / "s.qdpx")
    with zipfile.ZipFile(tmp_path / "s.qdpx") as archive:
        xml = archive.read("project.qde").decode("utf-8")
    assert re.findall(r'<User [^>]*name="([^"]+)"', xml) == ["R. Evans"]
    assert "root" not in xml


def test_theme_matrix_by_case_counts_each_turn_for_its_speakers_case(sample_project):
    p = sample_project
    code_text(p, "p3_int_eh02.txt", "Strategy", "So they're nearly all on Teams now.")      # DC Hale only
    code_text(p, "p3_int_eh02.txt", "Strategy", "Terrible. [laughs]")                       # Grace only
    code_text(p, "p3_int_eh02.txt", "Strategy", "I wasn't going to say it. [laughs]")       # DC Hale again
    code_text(p, "p3_int_eh02.txt", "Strategy", "Can you say more about strategy meetings?")  # the interviewer
    table = code_matrix(p, cols="cases", codes=["Strategy"])
    counts = dict(zip(table.columns, table.values[0]))
    assert counts["EH02"] == 3 and counts["EH03"] == 2    # own turns, plus the unlinked question in both
    assert table.row_totals[0] == 4
    # Cases that said it: only DC Hale spoke of "Policing" in the joint interview.
    code_text(p, "p3_int_eh02.txt", "Policing", "has an offence been committed")
    table = code_matrix(p, cols="attr:phase", codes=["Policing"], measure="cases")
    assert dict(zip(table.columns, table.values[0]))["3"] == 1 and table.row_totals[0] == 1
    table = code_matrix(p, cols="cases", codes=["Policing"])
    assert dict(zip(table.columns, table.values[0]))["EH03"] == 0


def test_safe_copy_keeps_speaker_links_without_real_names(sample_project, tmp_path, nlp):
    p = sample_project
    p.pseudonyms.detect_entities(nlp=nlp)
    p.pseudonyms.safe_copy(tmp_path / "safe.fnp")
    with Project.open(tmp_path / "safe.fnp") as safe:
        labels = [speaker for case in safe.attributes.cases() for _, speaker in case.speakers]
        assert len(labels) == 6    # EH02, EH03 and the four managers of the focus group
        assert not [x for x in labels if re.search(r"Hale|Grace|Carys|Hughes|Ellison|Whitfield|Malhotra", x)]
        # Each link still names a speaker of its (pseudonymised) document.
        spoken = {(d.name, t.speaker) for d in safe.documents() for t in safe.document(d.name).turns}
        assert {(doc, speaker) for case in safe.attributes.cases() for doc, speaker in case.speakers} <= spoken

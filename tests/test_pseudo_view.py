"""Issue 9: "pseudonymised" means safe. Every output goes through one view
that brings detection up to date first, scrubs every free-text field, keeps
pseudonyms stable, and takes its columns from the classification.

These run the real commands on the sample study with the real spaCy pipeline
(the ``nlp`` fixture skips them when none is installed; the CLI loads the
same installed pipeline by name)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, SAMPLE, write
from fieldnotes.cli import load_commands
from fieldnotes.project import Project

cli = load_commands()

#: Real names and identifiers from sample_data/ (see sample_data/README.md).
REAL = ["Jodie", "Mensah", "Anita Shah", "Sarah Hale", "Stacey Williams", "Kayden", "Margaret Price",
        "Imran Qureshi", "Ben Okafor", "Patience", "07700 900418", "943 476 5919", "Telford"]


def run(*args, ok=True):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def contents(path: Path) -> str:
    """Everything a file holds, as text: every entry of a zip (.qdpx, .docx,
    .xlsx), every value of every table of a project plus its raw bytes, or
    the file itself; for a folder, all its files and their names."""
    path = Path(path)
    if path.is_dir():
        return "\n".join(p.name + "\n" + contents(p) for p in sorted(path.rglob("*")) if p.is_file())
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(n + "\n" + archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    if data.startswith(b"SQLite format 3"):
        conn = sqlite3.connect(path)
        parts = [data.decode("latin-1")]
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                parts.extend(str(v) for v in row if isinstance(v, str))
        conn.close()
        return "\n".join(parts)
    return data.decode("utf-8", "replace")


def leaked(path: Path, names=REAL) -> list[str]:
    text = contents(path).casefold()
    return [n for n in names if n.casefold() in text or n.casefold().replace(" ", "_") in text]


@pytest.fixture
def fresh(_sample_build, tmp_path):
    """The sample study with a codebook and codings, detection never run."""
    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as project:
        project.codebook.add_code("Family/Home life")
        project.codebook.add_code("Work/Caseload")
        project.coding.autocode("Home life", keywords=["Jodie", "Nana Pat", "Kayden", "Stacey"], scope="sentence")
        project.coding.autocode("Caseload", keywords=["caseload"], scope="sentence")
    return path


@pytest.fixture(scope="module")
def _reviewed_build(_sample_build, tmp_path_factory):
    from fieldnotes.pseudonymise.detect import load_pipeline

    nlp, message = load_pipeline()
    if nlp is None:
        pytest.skip(message)
    path = tmp_path_factory.mktemp("reviewed") / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as project:
        project.codebook.add_code("Family/Home life")
        project.codebook.add_code("Work/Caseload")
        project.coding.autocode("Home life", keywords=["Jodie", "Nana Pat", "Kayden", "Stacey"], scope="sentence")
        project.coding.autocode("Caseload", keywords=["caseload"], scope="sentence")
        project.pseudonyms.detect_entities(nlp=nlp)
        project.pseudonyms.set_entity_status(None, "accepted")
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def reviewed(_reviewed_build, tmp_path):
    """The sample study, coded, detected and every suggestion accepted."""
    path = tmp_path / "study.fnp"
    shutil.copy(_reviewed_build, path)
    return path


# -- finding 1: detection never ran ------------------------------------------------------


def test_outputs_of_a_project_never_detected_hold_no_real_name(fresh, tmp_path, nlp):
    out = tmp_path / "out"
    out.mkdir()
    first = run("export", "safe-copy", fresh, "-o", out / "safe.fnp")
    run("qdpx", "export", fresh, "-o", out / "study.qdpx")
    for suffix in ("md", "docx", "html", "csv"):
        run("export", "quotes", fresh, "-o", out / f"quotes.{suffix}")
    run("export", "text", fresh, "-o", out / "text")
    for path in sorted(out.iterdir()):
        assert leaked(path) == [], path.name
    assert "[Person" in contents(out / "quotes.md")
    assert "Detected names in 16 new or changed document(s)" in first.stderr
    # The second export has nothing left to detect.
    again = run("export", "quotes", fresh, "-o", out / "again.md")
    assert "Detected names" not in again.stderr


def test_status_lists_documents_never_checked_then_none(fresh, nlp):
    import json

    before = json.loads(run("pseudo", "status", fresh, "--json").stdout)
    assert before["covered"] == 0 and len(before["stale"]) == 16
    assert {s["why"] for s in before["stale"]} == {"never checked"}
    shown = run("pseudo", "status", fresh).stdout
    assert "0 of 16 document(s) covered" in shown and "never checked p1_int_sw01.txt" in shown
    run("pseudo", "detect", fresh)
    after = json.loads(run("pseudo", "status", fresh, "--json").stdout)
    assert after["covered"] == 16 and after["stale"] == []
    assert after["entities"]["suggested"] > 20 and list(after["pipelines"].values()) == [16]


def test_an_output_is_refused_when_detection_cannot_run(fresh, tmp_path):
    with Project.open(fresh) as project:
        project.set_setting("reference_patterns", '["(unclosed"]')  # a broken pattern: detection fails
    result = run("export", "safe-copy", fresh, "-o", tmp_path / "safe.fnp", ok=False)
    assert result.exit_code != 0
    assert "Not written" in result.output and "--original" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "safe.fnp").exists()
    result = run("export", "text", fresh, "-o", tmp_path / "text", ok=False)
    assert result.exit_code != 0 and not list((tmp_path / "text").glob("*.txt"))
    # --original stays the deliberate way out, with its warning.
    original = run("export", "text", fresh, "--original", "-o", tmp_path / "orig")
    assert "warning" in original.stderr and "Jodie" in contents(tmp_path / "orig")


def test_without_a_statistical_pipeline_the_export_says_so(fresh, tmp_path):
    with Project.open(fresh) as project:
        project.set_setting("spacy_model", "no_such_pipeline_installed")
    result = run("export", "text", fresh, "-o", tmp_path / "text")
    assert "rules and the first-name gazetteer" in result.stderr
    assert leaked(tmp_path / "text", ["Jodie", "07700 900418", "Stacey Williams"]) == []


# -- finding 2: a document imported or replaced after review ----------------------------


NEW = ("INTERVIEWER: How are things at home?\n"
       "JODIE: Her new partner Darren Cole lives at 9 Oak Road now, and the kids like him.\n")


def test_a_document_imported_or_replaced_after_review_is_masked(reviewed, tmp_path, nlp):
    write(tmp_path / "in" / "p4_int_family03.txt", NEW)
    replaced = (SAMPLE / "p3_int_eh02.txt").read_text(encoding="utf-8") + \
        "\nINTERVIEWER: Anything else?\nFIONA: Kieran Walsh from the housing team came to the meeting.\n"
    write(tmp_path / "in2" / "p3_int_eh02.txt", replaced)
    with Project.open(reviewed) as project:
        assert not project.intake.import_paths([tmp_path / "in"]).failed
        assert not project.intake.import_paths([tmp_path / "in2"], replace=True).failed
        project.coding.autocode("Home life", keywords=["partner"], documents=["p4_int_family03.txt"], scope="sentence")
        project.coding.autocode("Home life", keywords=["housing team"], documents=["p3_int_eh02.txt"], scope="sentence")
    new_names = ["Darren Cole", "Darren", "Oak Road", "Kieran Walsh"]
    out = tmp_path / "out"
    run("export", "text", reviewed, "-o", out / "text")
    run("export", "quotes", reviewed, "-o", out / "quotes.md")
    run("export", "quotes", reviewed, "-o", out / "quotes.csv")
    run("export", "safe-copy", reviewed, "-o", out / "safe.fnp")
    assert "lives at" in contents(out / "quotes.md")
    for path in sorted(out.iterdir()):
        assert leaked(path, REAL + new_names) == [], path.name
    with Project.open(reviewed) as project:
        assert project.pseudonyms.stale_documents() == []


# -- finding 3: names in fields other than the transcript ------------------------------


def test_names_in_codes_document_names_memos_attributes_and_cases_are_scrubbed(reviewed, tmp_path, nlp):
    write(tmp_path / "in" / "Jodie_Mensah_interview.txt", "INTERVIEWER: How was the week?\nJODIE: Busy, the caseload "
          "meetings never stop and Kayden is off school.\n")
    with Project.open(reviewed) as project:
        assert not project.intake.import_paths([tmp_path / "in"]).failed
        project.codebook.add_code("Jodie Mensah story", description="Everything Darren Cole said about the family.")
        project.coding.autocode("Jodie Mensah story", keywords=["caseload"], scope="sentence",
                         documents=["Jodie_Mensah_interview.txt", "p1_int_sw01.txt"])
        project.memos.add("document", "p1_int_sw01.txt", "Follow up the visit at SY3 9QQ next week with the team.",
                         title="Visit to SY3 9QQ")
        project.memos.add("code", "Jodie Mensah story", "Ask Sarah Hale whether this is still current.")
        project.attributes.set_attribute("p1_int_sw01.txt", "keyworker", "Sarah Hale")
        project.attributes.set_attribute("Jodie_Mensah_interview.txt", "keyworker", "Darren Cole")
        project.conn.execute("UPDATE cases SET name = 'Jodie Mensah household', "
                             "description = 'Stacey Williams knows them' WHERE name = 'SW01'")
    names = REAL + ["Darren Cole", "Darren", "SY3 9QQ"]
    out = tmp_path / "out"
    out.mkdir()
    for suffix in ("md", "docx", "html", "csv"):
        run("export", "quotes", reviewed, "-o", out / f"quotes.{suffix}")
    for suffix in ("csv", "xlsx", "md", "html"):
        run("export", "matrix", reviewed, "--cols", "attr:keyworker", "-o", out / f"matrix-attr.{suffix}")
    run("export", "matrix", reviewed, "--cols", "documents", "-o", out / "matrix-docs.csv")
    run("export", "matrix", reviewed, "--cols", "cases", "-o", out / "matrix-cases.csv")
    run("export", "cooccurrence", reviewed, "-o", out / "cooccurrence.csv")
    run("export", "framework", reviewed, "-o", out / "framework.xlsx")
    run("export", "framework", reviewed, "-o", out / "framework.md")
    run("qdpx", "export", reviewed, "-o", out / "study.qdpx")
    run("export", "safe-copy", reviewed, "-o", out / "safe.fnp")
    run("export", "text", reviewed, "-o", out / "text")
    run("codebook", "export", reviewed, "-o", out / "codebook.qdc")
    run("codebook", "export", reviewed, "-o", out / "codebook.yaml")
    for path in sorted(out.iterdir()):
        assert leaked(path, names) == [], path.name
    # The scrubbed things are still there, under their pseudonyms.
    assert "story" in contents(out / "quotes.md") and "_interview" in contents(out / "text")
    assert "SY3" in contents(out / "study.qdpx") and "household" in contents(out / "safe.fnp")
    # File names stay unique: one per document.
    assert len(list((out / "text").glob("*.txt"))) == 17


# -- finding 4: pseudonyms never change --------------------------------------------------


def test_pseudonyms_survive_merges_and_splits_of_other_entities(reviewed, tmp_path, nlp):
    with Project.open(reviewed) as project:
        before = {e.id: e.replacement for e in project.pseudonyms.entities()}
        first = project.pseudonyms.pseudonymised("p1_int_sw01.txt")[0]
        # Merge two people low in the numbering and split another: the tags of
        # everyone else (and of the survivor) must not move.
        low = sorted((e for e in project.pseudonyms.entities(category="PERSON")), key=lambda e: e.id)
        source, target = low[0], low[1]
        project.pseudonyms.merge_entities(source.id, target.id)
        grace = project.pseudonyms.entity_id("Grace Bennett")
        new_id = project.pseudonyms.split_entity(grace, document="p3_int_family02.srt", label="Grace Williams")
        after = {e.id: e.replacement for e in project.pseudonyms.entities()}
        second = project.pseudonyms.pseudonymised("p1_int_sw01.txt")[0]
    untouched = set(before) - {source.id, grace}
    assert untouched and all(after[i] == before[i] for i in untouched), \
        [(i, before[i], after[i]) for i in untouched if after[i] != before[i]]
    assert after[target.id] == before[target.id] and after[grace] == before[grace]
    # The new entity gets the next number never used, not the merged one's.
    numbers = [int(m) for v in before.values() for m in re.findall(r"\[Person (\d+)\]", v)]
    assert after[new_id] == f"[Person {max(numbers) + 1}]"
    assert before[source.id] not in after.values()
    # The texts agree wherever the merged and split entities are not named.
    sw01_tags = set(re.findall(r"\[[A-Z][a-z]+(?: [a-z]+)? \d+\]", first))
    assert sw01_tags - {before[source.id], before[grace]} <= set(re.findall(r"\[[A-Z][a-z]+(?: [a-z]+)? \d+\]", second))


def test_redetection_and_upgrade_keep_pseudonyms(reviewed, nlp):
    with Project.open(reviewed) as project:
        before = {e.label: e.replacement for e in project.pseudonyms.entities()}
        project.pseudonyms.detect_entities(nlp=nlp, force=True)
        assert {e.label: e.replacement for e in project.pseudonyms.entities()} == before
        # A project from before stable tags (no tag stored) gets the tags it
        # showed then: numbered in entity id order.
        project.conn.execute("UPDATE entities SET tag = NULL")
        project.conn.execute("DELETE FROM pseudonym_numbers")
        assert {e.label: e.replacement for e in project.pseudonyms.entities()} == before


# -- classification -------------------------------------------------------------------


def test_every_column_is_classified(project):
    from fieldnotes.store import classification

    assert classification.unclassified(project.conn) == []
    for table, columns in classification.COLUMNS.items():
        real = [r[1] for r in project.conn.execute(f'PRAGMA table_info("{table}")')]
        assert set(columns) == set(real), table
        assert set(columns.values()) <= set(classification.POLICIES)
    every = {r[0] for r in project.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in every:
        assert (table in classification.COLUMNS or table in classification.DROPPED_TABLES
                or classification.is_internal(table)), f"table {table} is not classified"


def test_a_text_column_nobody_classified_stops_the_safe_copy(project, tmp_path):
    from fieldnotes.store import classification

    project.conn.execute("ALTER TABLE memos ADD COLUMN note TEXT")
    assert classification.unclassified(project.conn) == ["memos.note"]
    from fieldnotes.errors import FieldnotesError

    with pytest.raises(FieldnotesError, match="memos.note"):
        project.pseudonyms.safe_copy(tmp_path / "safe.fnp", project.pseudonyms.pseudonymised_view(ensure=False))
    assert not (tmp_path / "safe.fnp").exists()


# -- finding 7: the README tour --------------------------------------------------------


def test_readme_tour_reviews_by_name_and_is_true_for_the_demo(_sample_build, tmp_path, nlp):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    tour = [line.split("#")[0].split() for line in readme.splitlines()
            if re.match(r"fieldnotes pseudo (reject|merge|split|accept|set|allow) demo\.fnp", line)]
    assert tour, "the README tour shows review decisions"
    for words in tour:
        assert not any(re.fullmatch(r"E\d+", w) for w in words), f"position-dependent id in {' '.join(words)}"
    path = tmp_path / "demo.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as project:
        project.pseudonyms.detect_entities(nlp=nlp)
        hale, pat, jodie = (project.pseudonyms.entity_id(n) for n in ("Sarah Hale", "Patience Mensah", "Jodie Mensah"))
    import shlex

    for line in readme.splitlines():
        if re.match(r"fieldnotes pseudo (reject|merge|split|allow|set|accept) demo\.fnp", line):
            args = shlex.split(line.split("  #")[0])[1:]
            run(*[str(path) if a == "demo.fnp" else a for a in args])
    with Project.open(path) as project:
        status = {e.id: e.status for e in project.pseudonyms.entities()}
        assert status[hale] == "accepted"  # the police officer stays masked
        assert pat in status and jodie in status and pat != jodie  # the grandmother is not the mother
    run("export", "text", path, "-o", tmp_path / "out")
    assert leaked(tmp_path / "out", ["Sarah Hale", "Hale", "Nana Pat", "Jodie"]) == []


@pytest.mark.parametrize("strategy", ["surrogates", "roles"])
def test_surrogates_and_role_tags_survive_merges_and_splits(reviewed, strategy, nlp):
    with Project.open(reviewed) as project:
        project.set_setting("pseudo_strategy", strategy)
        if strategy == "roles":  # roles come with the register; give a few people one
            people = [e.id for e in project.pseudonyms.entities(category="PERSON")][:8]
            project.conn.executemany("UPDATE entities SET role = ? WHERE id = ?",
                                     [("social worker" if i % 2 else "parent", ent) for i, ent in enumerate(people)])
        before = {e.id: e.replacement for e in project.pseudonyms.entities()}
        low = sorted(project.pseudonyms.entities(category="PERSON"), key=lambda e: e.id)
        project.pseudonyms.merge_entities(low[0].id, low[1].id)
        grace = project.pseudonyms.entity_id("Grace Bennett")
        project.pseudonyms.split_entity(grace, document="p3_int_family02.srt", label="Grace Williams")
        after = {e.id: e.replacement for e in project.pseudonyms.entities()}
    untouched = set(before) - {low[0].id, grace}
    changed = [(i, before[i], after[i]) for i in untouched if after[i] != before[i]]
    assert changed == []
    if strategy == "roles":
        assert sum("[Social worker" in v for v in before.values()) == 4


def test_workspace_f6_on_a_project_never_detected_masks_names(fresh, nlp):
    import asyncio

    from fieldnotes.tui.app import FieldnotesApp
    from fieldnotes.tui.widgets.document_view import DocumentView

    async def main():
        app = FieldnotesApp(fresh, document="p1_int_sw01.txt")
        async with app.run_test(size=(140, 40)) as pilot:
            view = app.query_one(DocumentView)
            assert "Anita" in view.text
            await pilot.press("f6")
            for _ in range(200):  # detection runs first: wait for the view, bounded
                await pilot.pause(0.05)
                if "[Person" in view.text:
                    break
            assert "[Person" in view.text, "the pseudonymised view never appeared"
            assert "Anita" not in view.text and "Jodie" not in view.text
            await pilot.press("f6")
            await pilot.pause()
            assert "Anita" in view.text

    asyncio.run(main())
    with Project.open(fresh) as project:
        assert project.pseudonyms.stale_documents() == []


def test_documents_whose_names_scrub_alike_stay_apart(project, tmp_path):
    for i, name in enumerate(("Darren_interview.txt", "Kieran_interview.txt", "Kieran-interview.txt")):
        write(tmp_path / "in" / name, f"INTERVIEWER: Hello.\nR: This is interview {i} about work.\n")
    assert not project.intake.import_paths([tmp_path / "in"]).failed
    view = project.pseudonyms.pseudonymised_view()
    names = [view.document_name(n) for n in ("Darren_interview.txt", "Kieran_interview.txt", "Kieran-interview.txt")]
    assert len(set(names)) == 3 and not any("Darren" in n or "Kieran" in n for n in names), names
    written = project.pseudonyms.export_texts(tmp_path / "out", view)
    assert len(written) == 3 and not any("Darren" in w or "Kieran" in w for w in written)
    counts = project.pseudonyms.safe_copy(tmp_path / "safe.fnp", view)
    assert counts["documents"] == 3 and leaked(tmp_path / "safe.fnp", ["Darren", "Kieran"]) == []


def test_parts_of_names_that_are_ordinary_words_do_not_mask_free_text(project, tmp_path):
    """Found running the README tour: an entity 'And Sandra Hughes' (a
    sentence's 'And' caught in a person's span) made every 'and' of every code
    name read '[Person 24]' ("Leadership [Person 24] buy-in"), and a person
    called Will would do the same to every 'will'. Parts of a name that are
    function words never count; a name that is also an ordinary word counts
    only capitalised, as a name is written."""
    from conftest import write

    project.intake.import_paths([write(tmp_path / "t.txt", "Interviewer: Hello.\n\nSW: We met.\n")])
    for label, surfaces in (("And Sandra Hughes", ["And Sandra Hughes"]), ("Will Harper", ["Will", "Will Harper"])):
        project.conn.execute(
            "INSERT INTO entities(guid, category, label, status, created_at, surfaces) "
            "VALUES (?, 'PERSON', ?, 'suggested', '2026-01-01', ?)", [label, label, json.dumps(surfaces)])
    view = project.pseudonyms.pseudonymised_view(ensure=False)
    assert view.scrub("Leadership and buy-in") == "Leadership and buy-in"
    assert view.scrub("We will meet them") == "We will meet them"
    scrubbed = view.scrub("Will said Sandra Hughes will call")
    assert "Will" not in scrubbed and "Sandra" not in scrubbed and "Hughes" not in scrubbed
    assert scrubbed.endswith(" will call")

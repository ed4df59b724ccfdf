"""The residual-risk queue (what detection did not flag, ranked), turning an
item into a masking entity or allowing it, the review screen's queue, and
detection in worker processes."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from conftest import REPO, write
from fieldnotes.cli import load_commands
from fieldnotes.project import Project
from fieldnotes.pseudonymise.residual import residual_queue

cli = load_commands()

# "Vantrobe" is an invented surname in a name context (a kin term before it,
# a possessive after it); "ZK-44190" an identifier in a shape no rule knows;
# "Children" and "Education" ordinary capitalised words of report prose.
NOTE = (
    "Visit record.\n\n"
    "Fortnightly visits continue. The Children team met again. Ivy went to school. Her brother Vantrobe's bike was stolen, "
    "and the Education people came. The Children lead and the Education lead agreed. "
    "The worker logged ZK-44190 on the system. Gorsedene was quiet; Thistlewood said nothing. "
    "She stays at Quarrendon Pavilion now.\n"
)
SECOND = "Second visit.\n\nVantrobe was at home. The Children lead phoned.\n"
NO_PIPELINE = "fieldnotes_test_no_such_pipeline"  # rules and gazetteer only: deterministic, fast


def texts_of(items):
    return [i.text for i in items]


def test_queue_ranks_name_context_and_identifier_above_ordinary_words():
    items = residual_queue({"a.txt": NOTE, "b.txt": SECOND}, {"a.txt": [], "b.txt": []},
                           known_phrases=["Gorsedene", "Thistlewood"])
    found = texts_of(items)
    assert "Vantrobe" in found and "ZK-44190" in found, found
    vantrobe = next(i for i in items if i.text == "Vantrobe")
    assert vantrobe.category == "PERSON" and len(vantrobe.occurrences) == 2 and vantrobe.documents == 2
    assert any("kin" in r or "brother" in r or "possessive" in r for r in vantrobe.reasons), vantrobe.reasons
    ident = next(i for i in items if i.text == "ZK-44190")
    assert ident.kind == "identifier" and ident.category == "REFERENCE"
    # A capitalised word that is rare but ordinary English ("Fortnightly",
    # starting a sentence) is listed, below both; common ones are not listed.
    assert found.index("Fortnightly") > max(found.index("Vantrobe"), found.index("ZK-44190"))
    assert "Children" not in found and "Education" not in found
    # Allowlisted and register names never appear; covered spans neither.
    assert "Gorsedene" not in found and "Thistlewood" not in found
    start = NOTE.index("ZK-44190")
    covered = residual_queue({"a.txt": NOTE}, {"a.txt": [(start, start + 8)]})
    assert "ZK-44190" not in texts_of(covered)


def test_queue_lists_lower_case_use_of_a_detected_name_and_initials():
    text = "Naomi Achterberg (NA) visited. Later NA asks about andrei. Andrei Popescu was out.\n"
    spans = [(0, 16), (text.index("Andrei Popescu"), text.index("Andrei Popescu") + 14)]
    items = residual_queue({"d.txt": text}, {"d.txt": spans}, name_forms=["Naomi Achterberg", "Andrei", "Andrei Popescu"])
    by_text = {i.text: i for i in items}
    assert by_text["NA"].category == "PERSON" and len(by_text["NA"].occurrences) == 2
    assert by_text["andrei"].kind == "lowercase"


@pytest.fixture
def study(tmp_path):
    project = Project.create(tmp_path / "s.fnp")
    project.intake.import_paths([write(tmp_path / "in" / "note.txt", NOTE), write(tmp_path / "in" / "second.txt", SECOND)])
    project.pseudonyms.allow(["Gorsedene"])
    write(tmp_path / "register.csv", "real_name,category\nThistlewood,PERSON\n")
    project.pseudonyms.load_register(tmp_path / "register.csv")
    project.pseudonyms.detect_entities(pipeline=NO_PIPELINE)
    yield project
    project.close()


def exported(project, folder):
    project.pseudonyms.export_texts(folder)
    return " ".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))


def test_project_queue_excludes_allowlist_and_register(study):
    surfaces = {s for e in study.pseudonyms.entities() for s in e.surfaces}
    assert "Vantrobe" not in surfaces and "ZK-44190" not in surfaces, "precondition: detection missed both"
    found = texts_of(study.pseudonyms.residual_queue())
    assert "Vantrobe" in found and "ZK-44190" in found
    assert "Gorsedene" not in found and "Thistlewood" not in found


def test_accepting_an_item_masks_it_in_export_and_undo_restores(study, tmp_path):
    assert "Vantrobe" in exported(study, tmp_path / "before")
    ent_id = study.pseudonyms.accept_residual("Vantrobe", "PERSON")
    entity = next(e for e in study.pseudonyms.entities() if e.id == ent_id)
    assert entity.status == "accepted" and entity.category == "PERSON" and entity.mentions == 2
    text = exported(study, tmp_path / "after")
    assert "Vantrobe" not in text and entity.replacement in text
    assert "Vantrobe" not in texts_of(study.pseudonyms.residual_queue())
    # It stays masked when detection runs again over every document.
    study.pseudonyms.detect_entities(pipeline=NO_PIPELINE, force=True)
    assert "Vantrobe" not in exported(study, tmp_path / "again")
    ident = study.pseudonyms.accept_residual("ZK-44190", "REFERENCE")
    assert "ZK-44190" not in exported(study, tmp_path / "ident")
    assert study.history.undo().startswith("mask ZK-44190")
    assert "ZK-44190" in exported(study, tmp_path / "undone")
    assert ident not in {e.id for e in study.pseudonyms.entities()}
    assert "ZK-44190" in texts_of(study.pseudonyms.residual_queue())


def test_a_widening_item_masks_the_words_around_a_detected_part(study, tmp_path):
    study.pseudonyms.accept_residual("Quarrendon", "PLACE")
    widening = next(i for i in study.pseudonyms.residual_queue() if i.text == "Quarrendon Pavilion")
    assert any("widens" in r for r in widening.reasons), widening.reasons
    ent_id = study.pseudonyms.accept_residual("Quarrendon Pavilion", "ORG")
    text = exported(study, tmp_path / "out")
    assert "Quarrendon" not in text and "Pavilion" not in text
    assert "Quarrendon Pavilion" not in texts_of(study.pseudonyms.residual_queue())
    study.pseudonyms.detect_entities(pipeline=NO_PIPELINE, force=True)  # re-clustering keeps the decision
    assert "Pavilion" not in exported(study, tmp_path / "again")
    assert next(e for e in study.pseudonyms.entities() if e.id == ent_id).status == "accepted"


def test_allowing_an_item_removes_it_from_the_queue_and_undo_brings_it_back(study):
    study.pseudonyms.allow(["ZK-44190"])
    assert "ZK-44190" not in texts_of(study.pseudonyms.residual_queue())
    study.history.undo()
    assert "ZK-44190" in texts_of(study.pseudonyms.residual_queue())


def test_mask_refuses_unknown_category_and_text_found_nowhere(study):
    from fieldnotes.errors import FieldnotesError

    with pytest.raises(FieldnotesError, match="not one of"):
        study.pseudonyms.accept_residual("Vantrobe", "WIDGET")
    with pytest.raises(FieldnotesError, match="occurs nowhere"):
        study.pseudonyms.accept_residual("Zzyzzogram", "PERSON")


def test_cli_queue_and_mask(study, tmp_path):
    path = str(study.path)
    study.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["pseudo", "queue", path, "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    texts = [i["text"] for i in items]
    assert "Vantrobe" in texts and items[0]["rank"] == 1
    assert texts.index("ZK-44190") < texts.index("Fortnightly")
    result = runner.invoke(cli, ["pseudo", "queue", path, "--limit", "3"])
    assert result.exit_code == 0 and "pseudo mask" in result.output
    result = runner.invoke(cli, ["pseudo", "mask", path, "Vantrobe", "--category", "person"])
    assert result.exit_code == 0, result.output
    assert "Masked Vantrobe" in result.output
    result = runner.invoke(cli, ["pseudo", "queue", path, "--json"])
    assert "Vantrobe" not in [i["text"] for i in json.loads(result.output)]
    result = runner.invoke(cli, ["pseudo", "mask", path, "Vantrobe"])
    assert result.exit_code != 0 and "nowhere" in result.output
    for command in (["pseudo", "queue", "--help"], ["pseudo", "mask", "--help"], ["pseudo", "detect", "--help"]):
        help_text = runner.invoke(cli, command).output
        assert "Example" in help_text
    assert "--workers" in runner.invoke(cli, ["pseudo", "detect", "--help"]).output


# -- the review screen -------------------------------------------------------------


async def wait_until(pilot, condition, message: str, tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(message)


def test_review_screen_queue_masks_allows_and_undoes(study):
    from textual.app import App

    from fieldnotes.tui.screens.pseudo import PseudoScreen

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(PseudoScreen(study))

    def item_rows(screen):
        return [i.text for i in screen._items]

    async def main():
        app = Host()
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            screen = app.screen
            await pilot.press("Q")
            await wait_until(pilot, lambda: screen.mode == "queue" and "Vantrobe" in item_rows(screen),
                             "the queue did not show Vantrobe")
            table = screen.query_one("#entities")
            assert table.row_count == len(screen._items)
            table.move_cursor(row=item_rows(screen).index("Vantrobe"))
            await pilot.pause()
            assert "occurrence(s) of Vantrobe" in str(screen.query_one("#mentions-title").render())
            await pilot.press("a")  # mask as...: the dialog offers the suggested category first
            await wait_until(pilot, lambda: type(app.screen).__name__ == "ChoiceDialog", "no category dialog")
            await pilot.press("enter")
            await wait_until(pilot, lambda: "Vantrobe" not in item_rows(screen), "Vantrobe stayed in the queue")
            assert any("Vantrobe" in e.surfaces and e.status == "accepted" for e in study.pseudonyms.entities())
            await pilot.press("u")
            await wait_until(pilot, lambda: "Vantrobe" in item_rows(screen), "undo did not bring Vantrobe back")
            assert not any("Vantrobe" in e.surfaces for e in study.pseudonyms.entities())
            table.move_cursor(row=item_rows(screen).index("ZK-44190"))
            await pilot.pause()
            await pilot.press("r")  # not identifying: allow
            await wait_until(pilot, lambda: "ZK-44190" not in item_rows(screen), "allow did not remove the item")
            assert "ZK-44190" in study.pseudonyms.allowlist()
            await pilot.press("Q")
            await wait_until(pilot, lambda: screen.mode == "entities", "Q did not go back to entities")

    asyncio.run(main())


# -- worker processes ------------------------------------------------------------------


def test_two_workers_find_the_same_candidates_as_one(tmp_path, nlp):
    docs = [
        "Anita Shah: Jodie Mensah rang from 07700 900418. Kayden goes to St Mary's Primary School.\n",
        "Visit to 14 Mill Lane, Hadley. Mrs Mensah and Kayden were in. NHS number 943 476 5919.\n",
        "Supervision with Carys Hughes about the Telford CP team and Ludlow.\n",
        "Interviewer: And Grace? SW: Grace Bennett left for Wolverhampton in May.\n",
        "Email from tom.price@example.org about Tobi Adeyemi, DOB 3 March 2016. Quillon rang, ref ZZ-4471.\n",
    ]
    folder = tmp_path / "in"
    for i, text in enumerate(docs):
        write(folder / f"d{i}.txt", text)
    register = write(tmp_path / "register.csv", "real_name,category\nQuillon,PERSON\n")
    found = {}
    for workers in (1, 2):
        path = tmp_path / f"w{workers}.fnp"
        with Project.create(path) as project:
            project.intake.import_paths([folder])
            project.pseudonyms.load_register(register)  # the register and the project's own patterns reach the workers
            project.set_setting("reference_patterns", json.dumps([r"\bZZ-\d{4}\b"]))
        result = CliRunner().invoke(cli, ["pseudo", "detect", str(path), "--workers", str(workers),
                                          "--pipeline", nlp.meta["lang"] + "_" + nlp.meta["name"]])
        assert result.exit_code == 0, result.output
        with Project.open(path) as project:
            found[workers] = sorted(project.conn.execute(
                'SELECT d.name, c.start, c."end", c.text, c.category, c.detector FROM candidates c '
                "JOIN documents d ON d.id = c.document_id").fetchall())
    assert found[1] and found[1] == found[2]
    detectors = {row[5] for row in found[2]}
    assert {"ner", "register"} <= detectors and any(d.startswith("rule:") for d in detectors), detectors
    assert any(row[3] == "ZZ-4471" for row in found[2])


WORKER_SCRIPT = """
import sys, time
from fieldnotes.pseudonymise.workers import detect_in_workers

def chunks():
    while True:
        yield (["Ring Mrs Mensah on 07700 900418."] * 4, [()] * 4)

stream = detect_in_workers(chunks(), workers=2, pipeline=None)
next(stream)
import multiprocessing
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks /proc")
def test_workers_end_when_the_parent_is_killed():
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    parent = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = parent.stdout.readline()
        pids = [int(p) for p in line.split()]
        assert len(pids) >= 2, f"expected two workers, got {line!r}"
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [p for p in pids if _alive(p)]
        assert not left, f"workers {left} outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()

"""The workspace driven by Pilot on a real project built from sample_data/."""

import asyncio
import shutil

import pytest

from conftest import REPO
from fieldnotes.codebook.yaml_io import read_yaml
from fieldnotes.project import Project
from fieldnotes.tui.app import FieldnotesApp
from fieldnotes.tui.widgets.document_view import DocumentView


@pytest.fixture
def coded_project(_sample_build, tmp_path):
    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as project:
        project.import_codebook(read_yaml(REPO / "codebooks" / "social-care-workforce.yaml")[1])
    return path


def run(coro):
    return asyncio.run(coro)


def db(path):
    return Project.open(path)


def test_open_select_document_code_with_picker_and_undo(coded_project):
    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            view = app.query_one(DocumentView)
            assert view.document == "p1_int_eh01.txt"
            # Open another document from the documents pane.
            app.query_one("#documents-table").focus()
            await pilot.press("down", "down", "enter")
            await pilot.pause()
            assert view.document == "p1_int_sw01.txt"
            assert view.has_focus
            # Select the second turn's first sentence with the keyboard, code it.
            await pilot.press("]", "]", "s")
            selection = view.selection
            assert selection is not None
            await pilot.press("c")
            await pilot.pause()
            await pilot.press(*"caselod")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            with db(coded_project) as p:
                codings = p.codings(document="p1_int_sw01.txt")
            assert [(c.code, c.start, c.end) for c in codings] == [("Caseload and time/Caseload", *selection)]
            assert [s.label for s in view.spans] == ["Caseload"]
            assert str(app.query_one("#codebook-tree").root.children[2].children[0].label).endswith("Caseload 1")
            await pilot.press("u")
            await pilot.pause()
            with db(coded_project) as p:
                assert p.codings() == []
            assert view.spans == []
    run(main())


def test_pinned_key_codes_the_sentence_at_the_cursor(coded_project):
    async def main():
        app = FieldnotesApp(coded_project, document="p2_int_sw01.txt")
        async with app.run_test(size=(140, 40)) as pilot:
            tree = app.query_one("#codebook-tree")
            tree.focus()
            await pilot.press("down", "down", "down", "down")  # Management culture/Supervision quality ...
            chosen = app.query_one("#codebook").current
            await pilot.press("P")
            app.query_one(DocumentView).focus()
            await pilot.press("]", "1")
            await pilot.pause()
            with db(coded_project) as p:
                assert [c.code for c in p.codings()] == [chosen]
                assert p.setting("pinned_codes") != "[]"
    run(main())


def test_retrieval_jumps_to_the_passage(coded_project):
    with db(coded_project) as p:
        start, end = p.find_text("p3_int_sw02.txt", "It's not in my caseload weighting or anything.")
        p.apply_coding("p3_int_sw02.txt", "Caseload", start, end)

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            app.action_retrieve("Caseload and time")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            view = app.query_one(DocumentView)
            assert view.document == "p3_int_sw02.txt"
            assert view.selection == (start, end)
    run(main())


def test_search_jumps_to_the_hit(coded_project):
    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("slash")
            await pilot.pause()
            await pilot.press(*"hot-desking")
            await pilot.press("enter")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause()
            view = app.query_one(DocumentView)
            a, b = view.selection
            assert view.text[a:b].lower().startswith("hot")
    run(main())


def test_code_renamed_in_the_pane_is_renamed_everywhere(coded_project):
    with db(coded_project) as p:
        p.apply_coding("p1_int_eh01.txt", "Caseload", 0, 30)

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            pane = app.query_one("#codebook")
            app.query_one("#codebook-tree").focus()
            while pane.current != "Caseload and time/Caseload":
                await pilot.press("down")
            await pilot.press("r")
            await pilot.pause()
            await pilot.press(*["backspace"] * 10, *"Caseload size", "enter")
            await pilot.pause()
            with db(coded_project) as p:
                assert [c.code for c in p.codings()] == ["Caseload and time/Caseload size"]
            assert [s.label for s in app.query_one(DocumentView).spans] == ["Caseload size"]
            assert pane.current == "Caseload and time/Caseload size"
    run(main())


def test_errors_are_notifications_not_tracebacks(coded_project):
    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("x")  # nothing coded at the cursor
            await pilot.press("ctrl+r")  # nothing to redo
            await pilot.pause()
            messages = [n.message for n in app._notifications]
            assert "No coding at the cursor." in messages and "Nothing to redo." in messages
    run(main())


def test_mouse_drag_selects(coded_project):
    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            view = app.query_one(DocumentView)
            await pilot.mouse_down(view, offset=(3, 0))
            await pilot.hover(view, offset=(15, 2))
            await pilot.mouse_up(view, offset=(15, 2))
            await pilot.pause()
            assert view.selection is not None and view.selection[1] - view.selection[0] > 20
    run(main())


def test_import_from_the_tui_runs_in_a_worker(coded_project, tmp_path):
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "extra.txt").write_text("Interviewer: Hello?\nSW: Caseload again.\nInterviewer: Yes?\nSW: Yes.\n")

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            app.import_worker(str(tmp_path / "new"), None)
            await app.workers.wait_for_complete()
            await pilot.pause()
            table = app.query_one("#documents-table")
            assert "extra.txt" in [str(k.value) for k in table.rows]
    run(main())


def test_pseudonym_review_screen_and_pseudonymised_view(coded_project, nlp):
    with db(coded_project) as p:
        p.detect_entities(nlp=nlp)
        anita = p.entity_id("Anita Shah")

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("E")
            await pilot.pause()
            screen = app.screen
            assert type(screen).__name__ == "PseudoScreen"
            table = screen.query_one("#entities")
            while screen.current != anita:
                await pilot.press("down")
            await pilot.press("a")  # accept
            await pilot.pause()
            await pilot.press("e")
            await pilot.pause()
            await pilot.press(*["backspace"] * 20, *"Sophie", "enter")
            await pilot.pause()
            assert table.row_count > 10
            await pilot.press("escape")
            await pilot.pause()
            view = app.query_one(DocumentView)
            assert "Anita" in view.text
            await pilot.press("f6")
            await pilot.pause()
            assert "Anita" not in view.text and "Sophie" in view.text
            await pilot.press("f6")
            await pilot.pause()
            assert "Anita" in view.text
        with db(coded_project) as p:
            e = next(x for x in p.entities() if x.id == anita)
            assert e.status == "accepted" and e.replacement == "Sophie"
    run(main())


def test_matrix_screen_cell_lists_passages_and_jumps(coded_project):
    with db(coded_project) as p:
        p.autocode("Caseload", keywords=["caseload"], scope="sentence")
        expected = {(c.document, c.start, c.end) for c in p.codings()}

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.press("X")
            await pilot.pause()
            screen = app.screen
            assert type(screen).__name__ == "MatrixScreen"
            assert screen.table.columns[:3] == ["1", "2", "3"] or len(screen.table.columns) == 3
            grid = screen.query_one("#matrix")
            rows = [r.key for r in screen.table.rows]
            row = rows.index("Caseload and time/Caseload")
            column = next(i for i, v in enumerate(screen.table.values[row]) if v)
            grid.move_cursor(row=row, column=column + 1)
            await pilot.press("enter")
            await pilot.pause()
            assert type(app.screen).__name__ == "RetrievalScreen"
            await pilot.press("enter")
            await pilot.pause()
            view = app.query_one(DocumentView)
            assert (view.document, *view.selection) in expected
    run(main())


def test_passages_key_falls_back_to_the_code_last_applied(coded_project):
    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("]", "s", "c", *"caselod", "enter")
            await pilot.pause()
            # The cursor now sits just after the coded sentence, on no coding.
            assert app.query_one(DocumentView).spans_at(app.query_one(DocumentView).cursor) == []
            await pilot.press("R")
            await pilot.pause()
            assert type(app.screen).__name__ == "RetrievalScreen"
            assert app.screen.code_path == "Caseload and time/Caseload"
    run(main())

"""The workspace driven by Pilot on a real project built from sample_data/."""

import asyncio
import re
import shutil

import pytest
from textual.worker import WorkerState

from conftest import REPO, write
from fieldnotes.exchange.yaml_codebook import read_yaml
from fieldnotes.project import Project
from fieldnotes.tui.app import FieldnotesApp
from fieldnotes.tui.widgets.document_view import DocumentView
from waiting import wait_until


@pytest.fixture
def coded_project(_sample_build, tmp_path):
    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as project:
        project.codebook.import_codebook(read_yaml(REPO / "codebooks" / "social-care-workforce.yaml")[1])
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
                codings = p.coding.codings(document="p1_int_sw01.txt")
            assert [(c.code, c.start, c.end) for c in codings] == [("Caseload and time/Caseload", *selection)]
            assert [s.label for s in view.spans] == ["Caseload"]
            assert str(app.query_one("#codebook-tree").root.children[2].children[0].label).endswith("Caseload 1")
            await pilot.press("u")
            await pilot.pause()
            with db(coded_project) as p:
                assert p.coding.codings() == []
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
                assert [c.code for c in p.coding.codings()] == [chosen]
                assert p.study.pinned_codes() == [chosen]
    run(main())


def test_retrieval_jumps_to_the_passage(coded_project):
    with db(coded_project) as p:
        start, end = p.coding.find_text("p3_int_sw02.txt", "It's not in my caseload weighting or anything.")
        p.coding.apply_coding("p3_int_sw02.txt", "Caseload", start, end)

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
            await app.workers.wait_for_complete()
            await pilot.pause()
            hits = app.screen.query_one("OptionList")
            assert hits.option_count > 0
            await pilot.press("enter")
            await pilot.pause()
            view = app.query_one(DocumentView)
            a, b = view.selection
            assert view.text[a:b].lower().startswith("hot")
    run(main())


def test_code_renamed_in_the_pane_is_renamed_everywhere(coded_project):
    with db(coded_project) as p:
        p.coding.apply_coding("p1_int_eh01.txt", "Caseload", 0, 30)

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            pane = app.query_one("#codebook")
            app.query_one("#codebook-tree").focus()
            for _ in range(80):  # bounded: fails below instead of hanging
                if pane.current == "Caseload and time/Caseload":
                    break
                await pilot.press("down")
            assert pane.current == "Caseload and time/Caseload"
            await pilot.press("r")
            await pilot.pause()
            await pilot.press(*["backspace"] * 10, *"Caseload size", "enter")
            await pilot.pause()
            with db(coded_project) as p:
                assert [c.code for c in p.coding.codings()] == ["Caseload and time/Caseload size"]
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
            worker = app.import_worker(str(tmp_path / "new"), None)
            assert worker.group == "import"
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert worker.state == WorkerState.SUCCESS
            table = app.query_one("#documents-table")
            assert "extra.txt" in [str(k.value) for k in table.rows]
    run(main())


def test_pseudonym_review_screen_and_pseudonymised_view(coded_project, nlp):
    with db(coded_project) as p:
        p.pseudonyms.detect_entities(nlp=nlp)
        anita = p.pseudonyms.entity_id("Anita Shah")

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("E")
            await pilot.pause()
            screen = app.screen
            assert type(screen).__name__ == "PseudoScreen"
            table = screen.query_one("#entities")
            for _ in range(200):  # bounded: fails below instead of hanging
                if screen.current == anita:
                    break
                await pilot.press("down")
            assert screen.current == anita
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
            await wait_until(pilot, lambda: app.pseudonymised, "the pseudonymised view shown")
            assert "Anita" not in view.text and "Sophie" in view.text
            await pilot.press("f6")
            await pilot.pause()
            assert "Anita" in view.text
        with db(coded_project) as p:
            e = next(x for x in p.pseudonyms.entities() if x.id == anita)
            assert e.status == "accepted" and e.replacement == "Sophie"
    run(main())


def test_matrix_screen_cell_lists_passages_and_jumps(coded_project):
    with db(coded_project) as p:
        p.coding.autocode("Caseload", keywords=["caseload"], scope="sentence")
        expected = {(c.document, c.start, c.end) for c in p.coding.codings()}

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.press("X")
            await pilot.pause()
            screen = app.screen
            assert type(screen).__name__ == "MatrixScreen"
            await wait_until(pilot, lambda: screen.table is not None, "the matrix shown")
            assert screen.table.columns[:3] == ["1", "2", "3"]
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
            # The status line says what was done (the selection's end posts its own change after).
            status = str(app.query_one("#status").render())
            assert "Coded Caseload and time/Caseload (u undoes)" in status, status
            # The cursor now sits just after the coded sentence, on no coding.
            assert app.query_one(DocumentView).spans_at(app.query_one(DocumentView).cursor) == []
            await pilot.press("R")
            await pilot.pause()
            assert type(app.screen).__name__ == "RetrievalScreen"
            assert app.screen.code_path == "Caseload and time/Caseload"
    run(main())


# -- issue 12: coding in the pseudonymised view, selections, layout ------------------


async def _code_second_sentence_of_anitas_turn(pilot, app):
    """From the top: second turn, its second sentence, select it, code it Caseload."""
    view = app.query_one(DocumentView)
    await pilot.press("g", "]", "]", ")", "s")
    shown = view.text[slice(*view.selection)]
    await pilot.press("c")
    await pilot.pause()
    await pilot.press(*"Caseload", "enter")
    await pilot.pause()
    return shown


def test_coding_in_the_pseudonymised_view_covers_the_same_original_characters(coded_project, nlp):
    with db(coded_project) as p:
        p.pseudonyms.detect_entities(nlp=nlp)

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DocumentView)
            original_words = await _code_second_sentence_of_anitas_turn(pilot, app)
            with db(coded_project) as p:
                [in_original] = [(c.start, c.end) for c in p.coding.codings()]
            await pilot.press("u")
            await pilot.pause()
            await pilot.press("f6")
            await wait_until(pilot, lambda: app.pseudonymised, "the pseudonymised view shown")
            assert app.pseudonymised and "Anita" not in view.text
            pseudonymised_words = await _code_second_sentence_of_anitas_turn(pilot, app)
            with db(coded_project) as p:
                [coding] = p.coding.codings()
                original_text = p.document("p1_int_sw01.txt").text
            # Same original characters, though the words shown differed.
            assert "Anita" in original_words and "Anita" not in pseudonymised_words
            assert (coding.start, coding.end) == in_original
            assert coding.text == original_text[slice(*in_original)]
            # The coding is drawn over the pseudonymised words, and the margin names it.
            [span] = view.spans
            assert view.text[span.start:span.end] == pseudonymised_words
            # Memo and uncode work on it from the pseudonymised view.
            view.cursor = span.start + 1
            await pilot.press("m")
            await pilot.pause()
            await pilot.press(*"Heavy week", "f2")
            await pilot.pause()
            with db(coded_project) as p:
                assert [m.text for m in p.memos.list("coding", coding.id)] == ["Heavy week"]
            await pilot.press("x")
            await pilot.pause()
            with db(coded_project) as p:
                assert p.coding.codings() == []
            assert view.spans == []
    run(main())


def test_project_setting_keeps_the_workspace_pseudonymised(coded_project, nlp):
    with db(coded_project) as p:
        p.pseudonyms.detect_entities(nlp=nlp)
        p.reading.set_text_view("pseudonymised")
        start, end = p.coding.find_text("p1_int_sw01.txt", "So I'm Anita, Anita Shah")
        p.coding.apply_coding("p1_int_sw01.txt", "Caseload", start, end)
        p.codebook.add_code("Anita Shah story")   # a code named after a participant
        p.coding.apply_coding("p1_int_sw01.txt", "Anita Shah story", start, end)

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DocumentView)
            await wait_until(pilot, lambda: view.document, "the document open")
            assert app.pseudonymised and "Anita" not in view.text
            # Code names are text too: in the codebook pane and in the margin.
            labels = [str(node.label) for node in app.query_one("#codebook-tree").root.children]
            assert labels and not any("Anita" in label for label in labels), labels
            assert view.spans and not any("Anita" in s.label for s in view.spans)
            await pilot.press("f6")
            await pilot.pause()
            assert app.pseudonymised and "Anita" not in view.text
            await pilot.press("E")
            await pilot.pause()
            assert type(app.screen).__name__ != "PseudoScreen"
            # Attributes beside the documents (site "Telford") are pseudonymised too.
            sites = {d.attributes.get("site") for d in app.query_one("#documents")._rows}
            assert "Telford" not in sites and any(s and s.startswith("[") for s in sites), sites
            # Another document opens pseudonymised too.
            app.open_document("p3_int_sw01.txt")
            await pilot.pause()
            assert app.pseudonymised
            # Retrieval lists the passage in pseudonymised words.
            app.action_retrieve("Caseload")
            await pilot.pause()
            screen = app.screen
            assert type(screen).__name__ == "RetrievalScreen"
            texts = [p.text for p in screen._passages]
            assert texts and not any("Anita" in t for t in texts)
            await pilot.press("enter")
            await pilot.pause()
            assert view.document == "p1_int_sw01.txt" and app.pseudonymised
            assert view.selection and "Anita" not in view.text[slice(*view.selection)]
            # Search never shows the name, nor reveals where it is.
            await pilot.press("slash")
            await pilot.pause()
            await pilot.press(*"Anita", "enter")
            await pilot.pause()
            assert app.screen._hits == []
    run(main())


def test_selection_units_leave_out_labels_and_time_codes(coded_project, tmp_path):
    source = tmp_path / "timed.txt"
    source.write_text("[00:00:05] Interviewer: Okay, it's recording. Tell me about the week.\n"
                      "[00:00:09] SW: Okay. It was busy. Very busy.\n"
                      "[00:00:15] Interviewer: Right.\n[00:00:17] SW: Yes.\n", encoding="utf-8")
    with db(coded_project) as p:
        p.intake.import_paths([source])

    async def main():
        app = FieldnotesApp(coded_project, document="timed.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DocumentView)
            seen = {}
            for unit in "spt":
                await pilot.press("g", unit)  # the cursor on the time code at offset 0
                seen[unit] = view.text[slice(*view.selection)]
                await pilot.press("escape")
            await pilot.press("g", "down", "p")
            seen["p2"] = view.text[slice(*view.selection)]
            await pilot.press("escape", "g", "c")  # no selection: the sentence at the cursor
            await pilot.pause()
            seen["c"] = view.text[slice(*view.selection)]
            await pilot.press("escape")
            await pilot.pause()
            # A drag from the start of the second line into the third line's label.
            await pilot.mouse_down(view, offset=(1, 1))
            await pilot.hover(view, offset=(8, 2))
            await pilot.mouse_up(view, offset=(8, 2))
            seen["drag"] = view.text[slice(*view.selection)]
        return seen

    seen = run(main())
    assert seen["s"] == "Okay, it's recording."
    assert seen["p"] == seen["t"] == "Okay, it's recording. Tell me about the week."
    assert seen["p2"] == "Okay. It was busy. Very busy."
    assert seen["c"] == "Okay, it's recording."
    assert seen["drag"] == "Okay. It was busy. Very busy."


def test_codebook_names_end_in_an_ellipsis_and_keep_their_counts_at_80_columns(coded_project):
    with db(coded_project) as p:
        code = p.codebook.code("Cover and relief arrangements")
        start, end = p.coding.find_text("p1_int_sw01.txt", "Okay, that's recording now.")
        p.coding.apply_coding("p1_int_sw01.txt", code.path, start, end)

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            pane = app.query_one("#codebook")
            node = pane._tree_nodes[code.path]
            tree = app.query_one("#codebook-tree")
            indent = code.path.count("/") * tree.guide_depth
            return str(node.label), indent, tree.scrollable_content_region.width

    label, indent, width = run(main())
    assert label.endswith(" 1"), label
    assert "…" in label and indent + len(label) <= width, (label, width)


def test_margin_opens_only_once_something_is_coded(coded_project):
    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DocumentView)
            before = (view.margin_width, view.text_width)
            await pilot.press("]", "s", "1")  # nothing pinned: no coding
            app.apply_code("Caseload", *view.selection)
            await pilot.pause()
            return before, (view.margin_width, view.text_width), view.scrollable_content_region.width

    (margin0, text0), (margin1, text1), width = run(main())
    assert margin0 == 0 and text0 >= width - 1
    assert margin1 > 0 and text1 < text0


def test_search_hit_and_jumps_land_in_the_upper_third(coded_project):
    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DocumentView)
            height = view.scrollable_content_region.height
            await pilot.press("slash")
            await pilot.pause()
            await pilot.press(*"\"Walker Street\"", "enter")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert view.text[slice(*view.selection)] == "Walker Street"
            rows = [view.line_of(view.selection[0]) - int(view.scroll_offset.y)]
            for _ in range(12):  # turn by turn down the document
                await pilot.press("]")
                rows.append(view.cursor_row)
            return height, rows

    height, rows = run(main())
    assert all(0 <= row < height for row in rows), rows
    assert rows[0] <= height // 3 + 1
    assert max(rows) < height - 2, rows  # never parked on the bottom line


def test_f2_shows_the_documents_pane_and_focuses_it(coded_project):
    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            assert not app.query_one("#documents").display
            await pilot.press("f2")
            await pilot.pause()
            shown = (app.query_one("#documents").display, app.focused.id)
            await pilot.press("f2")
            await pilot.pause()
            return shown, (app.query_one("#documents").display, isinstance(app.focused, DocumentView))

    assert run(main()) == ((True, "documents-table"), (False, True))


def test_f6_keeps_the_reading_position(coded_project, nlp):
    with db(coded_project) as p:
        p.pseudonyms.detect_entities(nlp=nlp)

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DocumentView)
            await pilot.press(*"]" * 15, "w", "w")
            word = view.text[view.cursor:view.cursor + 12]
            before = (view.cursor_row, int(view.scroll_offset.y))
            await pilot.press("f6")
            await wait_until(pilot, lambda: app.pseudonymised, "the pseudonymised view shown")
            after = (view.cursor_row, view.text[view.cursor:view.cursor + 12])
            await pilot.press("f6")
            await pilot.pause()
            back = (view.cursor_row, int(view.scroll_offset.y), view.text[view.cursor:view.cursor + 12])
            return word, before, after, back

    word, before, after, back = run(main())
    assert before[1] > 0  # far enough down to have scrolled
    assert after == (before[0], word)
    assert back == (*before, word)


def test_review_screen_fits_and_reads_cleanly(coded_project, nlp):
    with db(coded_project) as p:
        p.pseudonyms.detect_entities(nlp=nlp)
        anita = p.pseudonyms.entity_id("Anita Shah")
        p.pseudonyms.set_entity_status([anita], "rejected")
        contexts = [(m.text, m.context) for e in p.pseudonyms.entities() for m in p.pseudonyms.mentions_of(e.id)]

    async def main(size):
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=size) as pilot:
            await pilot.press("E")
            await pilot.pause()
            screen = app.screen
            table = screen.query_one("#entities")
            row = table.get_row(str(anita))
            columns = [str(c.label) for c in table.columns.values()]
            widths = {str(c.label): c.get_render_width(table) for c in table.columns.values()}
            footer = " ".join(str(k.description) for k in screen.query("FooterKey") if k.region.width)
            return row, columns, widths, table.region.width, footer

    row, columns, widths, table_width, footer = run(main((120, 40)))
    # Status and replacement sit within the table's width on screen.
    assert sum(widths[c] for c in columns[: columns.index("replacement") + 1]) <= table_width
    assert row[columns.index("status")] == "rejected"
    assert str(row[columns.index("replacement")]) == "as written"
    # No space before punctuation beside a mention ("[Anita]," not "[Anita] ,").
    spaced = [c for text, c in contexts if re.search(re.escape(f"[{text}]") + r" [,.;:!?'’]", c)]
    assert not spaced, spaced[:5]
    assert any(re.search(r"\][,.;:!?'’]", c) for _, c in contexts)
    row, columns, widths, table_width, footer80 = run(main((80, 24)))
    assert sum(widths[c] for c in columns[: columns.index("replacement") + 1]) <= table_width
    assert "Detect" in footer80


# -- issue 13: the workspace asks the API; work off the UI thread -------------------


def test_pins_are_kept_per_coder_and_survive_reopening(coded_project, monkeypatch):
    monkeypatch.setenv("FIELDNOTES_CODER", "anna")

    async def pin_the_focused_code():
        app = FieldnotesApp(coded_project, document="p2_int_sw01.txt")
        async with app.run_test(size=(140, 40)) as pilot:
            pane = app.query_one("#codebook")
            app.query_one("#codebook-tree").focus()
            await pilot.press("down", "down", "down")
            chosen = pane.current
            await pilot.press("P")
            await pilot.pause()
            return chosen

    async def reopen():
        app = FieldnotesApp(coded_project, document="p2_int_sw01.txt")
        async with app.run_test(size=(140, 40)) as pilot:
            pinned = list(app.query_one("#codebook").pinned)
            app.query_one(DocumentView).focus()
            await pilot.press("]", "1")
            await pilot.pause()
            return pinned

    chosen = run(pin_the_focused_code())
    assert chosen
    assert run(reopen()) == [chosen]
    with db(coded_project) as p:
        assert p.study.pinned_codes() == [chosen]
        assert [c.code for c in p.coding.codings()] == [chosen]
    # Another coder on the same project has pins of their own.
    monkeypatch.setenv("FIELDNOTES_CODER", "ben")
    assert run(reopen()) == []
    with db(coded_project) as p:
        assert p.study.pinned_codes() == [] and p.study.pinned_codes(coder="anna") == [chosen]


def test_matrix_is_computed_in_a_worker_while_the_table_shows_it_is_loading(coded_project):
    with db(coded_project) as p:
        p.coding.autocode("Caseload", keywords=["caseload"], scope="sentence")

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.press("X")
            screen = app.screen
            grid = screen.query_one("#matrix")
            await wait_until(pilot, lambda: screen.table is not None and not grid.loading, "the first matrix shown")
            first = screen.table
            # reload() returns at once: no handler can run until this test yields
            # to the event loop, so whatever is on screen now was drawn by reload itself.
            screen.action_cycle_measure()
            during = (grid.loading, screen.table is first, str(screen.query_one("#matrix-settings").render()))
            await wait_until(pilot, lambda: screen.table is not first and not grid.loading,
                             "the matrix for the new measure shown")
            return during, screen.measure, str(screen.query_one("#matrix-settings").render()), grid.row_count

    (loading, old_table_kept, settings_line), measure, after, rows = run(main())
    assert loading and old_table_kept, "reload() computed the matrix on the UI thread"
    assert settings_line.startswith("Computing the matrix")
    assert measure == "documents" and "measure: documents" in after and rows > 0


def test_key_attributes_in_the_panes_title_and_matrix_come_from_the_project(coded_project):
    with db(coded_project) as p:
        p.set_setting("key_attributes", "site, years_qualified")  # as 'fieldnotes config' sets it

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(140, 40)) as pilot:
            table = app.query_one("#documents-table")
            columns = [str(c.label) for c in table.columns.values()]
            row = table.get_row("p1_int_sw01.txt")
            title = str(app.query_one("#doc-title").render())
            await pilot.press("X")
            await pilot.pause()
            return columns, row, title, app.screen.col_choices[:3]

    columns, row, title, matrix_columns = run(main())
    assert columns == ["document", "kind", "case", "site", "years_qualified", "words", "codings"]
    assert [str(row[3]), str(row[4])] == ["Telford", "5"]
    assert title.endswith("· site Telford, years_qualified 5"), title
    assert matrix_columns == ["attr:site", "attr:years_qualified", "documents"]


def test_import_prompt_takes_a_manifest(coded_project, tmp_path):
    folder = tmp_path / "phase 4 transcripts"
    folder.mkdir()
    (folder / "p4_int_sw09.txt").write_text("Interviewer: Hello?\nSW: Caseload again.\n")
    (tmp_path / "p4.csv").write_text("file,kind,phase,role\np4_int_sw09.txt,interview,4,SW CP\n")

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            app.action_import()
            await pilot.pause()
            await pilot.press(*f"{folder} --manifest {tmp_path / 'p4.csv'}", "enter")
            await wait_until(pilot, lambda: "p4_int_sw09.txt" in [str(k.value) for k in
                                                                  app.query_one("#documents-table").rows],
                             "the imported document listed")

    run(main())
    with db(coded_project) as p:
        assert p.document("p4_int_sw09.txt").attributes == {"phase": 4, "role": "SW CP"}


def test_a_burst_of_changes_and_of_progress_is_handled_once(coded_project):
    from fieldnotes.tui.messages import ProjectChanged, WorkProgress

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            handled = []
            app.message_signal.subscribe(app, handled.append, immediate=True)
            # Posted without yielding, as a worker posts faster than the screen draws.
            for n in range(1, 51):
                app.post_message(WorkProgress(n, 50))
            app.project_changed("Coded Caseload (u undoes)")
            app.project_changed()
            await pilot.pause()
            status = str(app.query_one("#status").render())
            bar = app.query_one("#progress")
            return [type(m).__name__ for m in handled], bar.progress, status

    handled, progress, status = run(main())
    assert handled.count("WorkProgress") == 1 and progress == 50
    assert handled.count("ProjectChanged") == 1
    assert status == "@0 · Coded Caseload (u undoes)", status


def test_a_change_by_another_process_redraws_the_workspace(coded_project):
    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DocumentView)
            assert view.spans == []
            with db(coded_project) as p:
                start, end = p.coding.find_text("p1_int_sw01.txt", "Okay, that's recording now.")
                p.coding.apply_coding("p1_int_sw01.txt", "Caseload", start, end)
            assert app.check_external_changes()
            await wait_until(pilot, lambda: view.spans, "the other process's coding drawn")
            return [(s.start, s.end, s.label) for s in view.spans], (start, end)

    spans, (start, end) = run(main())
    assert spans == [(start, end, "Caseload")]


def test_f6_detects_names_in_a_new_document_in_a_worker_before_showing_it(coded_project, nlp, tmp_path):
    with db(coded_project) as p:
        p.pseudonyms.detect_entities(nlp=nlp)
        p.intake.import_paths([write(tmp_path / "p9_int_sw09.txt",
                              "Interviewer: Who supervises you?\nSW: Anita Shah does, every month.\n")])
        assert [name for _, name, _ in p.pseudonyms.stale_documents()] == ["p9_int_sw09.txt"]

    async def main():
        app = FieldnotesApp(coded_project, document="p9_int_sw09.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DocumentView)
            app.action_toggle_pseudonymised()
            # Returned at once: the original is still shown, detection runs in a worker.
            during = (app.pseudonymised, "Anita Shah" in view.text,
                      [w.group for w in app.workers if w.is_running or w.is_finished])
            await wait_until(pilot, lambda: app.pseudonymised, "the pseudonymised view shown")
            return during, view.text

    (pseudonymised, original_shown, groups), text = run(main())
    assert not pseudonymised and original_shown, "F6 detected names on the UI thread"
    assert "detection" in groups
    assert "Anita" not in text and "Shah" not in text
    with db(coded_project) as p:
        assert p.pseudonyms.stale_documents() == []


def test_a_jump_to_a_new_document_in_the_pseudonymised_view_waits_for_detection(coded_project, nlp, tmp_path):
    from fieldnotes.tui.messages import Jump

    with db(coded_project) as p:
        p.pseudonyms.detect_entities(nlp=nlp)

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DocumentView)
            await pilot.press("f6")
            await wait_until(pilot, lambda: app.pseudonymised, "the pseudonymised view shown")
            # Another process imports a document naming someone, and codes in it.
            with db(coded_project) as p:
                p.intake.import_paths([write(tmp_path / "p9_int_sw09.txt",
                                      "Interviewer: Who supervises you?\nSW: Anita Shah does, every month.\n")])
                start, end = p.coding.find_text("p9_int_sw09.txt", "Anita Shah does, every month.")
            app.jump(Jump("p9_int_sw09.txt", start, end))
            during = view.document
            await wait_until(pilot, lambda: view.document == "p9_int_sw09.txt", "the new document open")
            return during, app.pseudonymised, view.text, view.text[slice(*view.selection)]

    during, pseudonymised, text, selected = run(main())
    assert during == "p1_int_sw01.txt", "the jump detected names on the UI thread"
    assert pseudonymised and "Anita" not in text
    assert selected.endswith(" does, every month.") and selected.startswith("[")


def test_pseudonymised_only_documents_pane_shows_names_as_exports_do(coded_project, tmp_path, nlp):
    """A file named after a participant is listed under the name exports
    give it; filtering by the real name finds nothing either."""
    source = write(tmp_path / "Jodie_Mensah_interview.txt",
                   "Interviewer: Thanks for seeing me.\n\nJodie Mensah: That's fine, Jodie Mensah here.\n")
    with db(coded_project) as p:
        p.intake.import_paths([source])
        p.pseudonyms.detect_entities(nlp=nlp)
        p.reading.set_text_view("pseudonymised")

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(160, 40)) as pilot:
            table = app.query_one("#documents-table")
            await wait_until(pilot, lambda: table.row_count > 0, "the documents listed")
            names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            assert len(names) == 17 and not any("Mensah" in n or "Jodie" in n for n in names), names
            app.query_one("#documents-filter").value = "Mensah"
            await wait_until(pilot, lambda: table.row_count == 0, "nothing found by the real name")
    run(main())


def test_pseudonymised_only_code_panel_and_retrieval_show_the_code_as_read(coded_project, nlp):
    """Found reviewing tui/: under 'view pseudonymised' the codebook pane's
    panel under the tree printed the highlighted code's path and notes as
    recorded (the tree itself showed them pseudonymised), and the passages
    screen its title and sub-code labels."""
    from textual.widgets import Label, OptionList, Static

    code = "Stories/Anita Shah story"
    with db(coded_project) as p:
        p.pseudonyms.detect_entities(nlp=nlp)
        p.codebook.add_code(code, description="What Anita Shah says about her caseload")
        start, end = p.coding.find_text("p1_int_sw01.txt", "I qualified five years ago")
        p.coding.apply_coding("p1_int_sw01.txt", code, start, end)
        p.reading.set_text_view("pseudonymised")

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            pane = app.query_one("#codebook")
            app.query_one("#codebook-tree").focus()
            for _ in range(80):  # bounded: fails below instead of hanging
                if pane.current == code:
                    break
                await pilot.press("down")
            assert pane.current == code
            await pilot.pause()
            panel = str(app.query_one("#code-description", Static).render())
            assert "story" in panel and "about her caseload" in panel, panel
            assert "Anita" not in panel and "Shah" not in panel, panel
            for retrieved in ("Stories", code):   # the code itself, and as a sub-code of its parent
                app.action_retrieve(retrieved)
                await wait_until(pilot, lambda: type(app.screen).__name__ == "RetrievalScreen", "the passages screen")
                screen = app.screen
                await wait_until(pilot, lambda: screen._passages, "the passage listed")
                title = str(screen.query_one("#retrieval-title", Label).render())
                prompts = [str(o.prompt) for o in screen.query_one(OptionList).options]
                assert title.startswith("Stories") and prompts, (title, prompts)
                assert not [t for t in [title, *prompts] if "Anita" in t or "Shah" in t], (title, prompts)
                if retrieved == code:
                    assert "] story" in title, title            # the title names the code as read
                else:
                    assert "] story" in prompts[0], prompts     # the sub-code's label, as read
                await pilot.press("escape")
                await wait_until(pilot, lambda: type(app.screen).__name__ != "RetrievalScreen", "back")
    run(main())


def test_pseudonymised_only_search_names_a_document_as_read(coded_project, nlp, tmp_path):
    """Found reviewing tui/: the search screen headed each hit with the
    document's name as recorded, though the documents pane shows it
    pseudonymised (a file named after a participant)."""
    from textual.widgets import Input, OptionList

    source = tmp_path / "Anita Shah follow-up.txt"
    write(source, "Interviewer: And now?\nSW: Anita Shah here again. The rota is still a problem.\n")
    with db(coded_project) as p:
        p.intake.import_paths([source])
        p.pseudonyms.detect_entities(nlp=nlp)
        p.reading.set_text_view("pseudonymised")
        assert "Anita" not in p.reading.names_as_read(pseudonymised=True)("document", source.name)

    async def main():
        app = FieldnotesApp(coded_project)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("slash")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "SearchScreen", "the search screen")
            screen = app.screen
            await wait_until(pilot, lambda: isinstance(screen.focused, Input), "the query box focused")
            await pilot.press(*"rota", "enter")
            await wait_until(pilot, lambda: screen._hits, "a hit")
            prompts = [str(o.prompt) for o in screen.query_one(OptionList).options]
            assert any("follow-up" in t for t in prompts), prompts
            assert not [t for t in prompts if "Anita" in t or "Shah" in t], prompts
    run(main())


def test_pseudonymised_only_code_picker_and_dialogs_show_code_names_as_read(coded_project, nlp):
    """Found checking issue 13: the code picker, the move/merge/delete
    dialogs and the notifications named a code after a participant as
    recorded. Now listed, matched and said as the coder may read them; a
    pick still applies the real code; renaming it is refused."""
    from textual.widgets import OptionList

    from fieldnotes.tui.screens.picker import CodePicker

    with db(coded_project) as p:
        p.pseudonyms.detect_entities(nlp=nlp)
        p.codebook.add_code("Anita Shah story")
        p.reading.set_text_view("pseudonymised")

    async def main():
        app = FieldnotesApp(coded_project, document="p1_int_sw01.txt")
        async with app.run_test(size=(140, 40)) as pilot:
            view = app.query_one(DocumentView)
            await wait_until(pilot, lambda: view.document, "the document open")
            picker = CodePicker(app.project)
            await app.push_screen(picker)
            await pilot.pause()
            listed = [str(o.prompt) for o in picker.query_one(OptionList).options]
            assert any("story" in s for s in listed) and not any("Anita" in s for s in listed), listed
            picker.query_one("#picker-query").value = "Anita"
            await wait_until(pilot, lambda: not any("story" in str(o.prompt)
                                                    for o in picker.query_one(OptionList).options),
                             "the real name finds nothing")
            picker.query_one("#picker-query").value = "story"
            await wait_until(pilot, lambda: "Anita Shah story" in [c.path for c in picker._choices],
                             "the code found by the name as shown")
            index = [c.path for c in picker._choices].index("Anita Shah story")   # the pick names the real code
            prompt = str(picker.query_one(OptionList).get_option_at_index(index).prompt)
            assert "story" in prompt and "Anita" not in prompt, prompt
            picker.dismiss(None)
            await pilot.pause()
            assert app._named("Anita Shah story") != "Anita Shah story"
            assert app._hidden_words("Anita Shah story", "Anita Shah story")    # renaming it is refused
            assert not app._hidden_words("Caseload", "Caseload")
    run(main())

"""The disagreement review screen, driven by Pilot on a real project."""

import asyncio
import shutil

from textual.widgets import OptionList, Static

from fieldnotes.project import Project
from fieldnotes.tui.app import FieldnotesApp
from fieldnotes.tui.screens.disagreements import DisagreementScreen


def test_settle_disagreements_in_the_workspace(_sample_build, tmp_path):
    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as proj:
        proj.codebook.add_code("Caseload")
        proj.coding.apply_coding("p1_int_sw01.txt", "Caseload", 100, 200, coder="anna")
        proj.coding.apply_coding("p1_int_sw01.txt", "Caseload", 150, 260, coder="ben")
        proj.coding.apply_coding("p1_int_sw01.txt", "Caseload", 400, 450, coder="anna")

    async def main():
        app = FieldnotesApp(path)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("A")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, DisagreementScreen)
            options = screen.query_one(OptionList)
            assert options.option_count == 2
            left = str(screen.query_one("#side-first", Static).render())
            assert "anna" in left
            # Take ben's coding (the right side) with a memo.
            await pilot.press("2")
            await pilot.pause()
            await pilot.press(*"fuller", "enter")
            await pilot.pause()
            # The second one: neither, without a memo (Escape in the memo line).
            await pilot.press("n")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert [d.settled for d in screen.items] == ["took ben's coding", "coded neither"]
            await pilot.press("u")          # undo "neither"
            await pilot.pause()
            assert [d.settled for d in screen.items] == ["took ben's coding", None]

    asyncio.run(main())
    with Project.open(path) as proj:
        rows = proj.conn.execute(
            'SELECT c.start, c."end" FROM codings c JOIN coders k ON k.id = c.coder_id WHERE k.name = ?',
            ["consensus"]).fetchall()
        assert rows == [(150, 260)]
        memo = proj.conn.execute("SELECT text FROM memos WHERE title LIKE 'Consensus:%'").fetchall()
        assert memo == [("fuller",)]

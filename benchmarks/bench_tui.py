"""TUI benchmark (headless, Textual Pilot).

For a 50,000-word transcript with 2,000 codings, and for a 300,000-character
document with 2,000 codings:

- start: from creating the app to the document shown (first screen painted);
  target under 0.3 s;
- apply a code through the workspace (what the code picker does after Enter:
  write the coding, reshade the view, update the counts); target under 30 ms;
- page through the whole document with PageDown, each step timed until the
  screen has repainted; no step over 100 ms.

The bare baseline for loading is the project API alone (open the file, read the
document and its codings), printed beside the workspace figures.

    python benchmarks/bench_tui.py
"""

from __future__ import annotations

import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import VOCABULARY  # noqa: E402


def make_transcript(words: int = 0, chars: int = 0, seed: int = 5) -> str:
    rng = random.Random(seed)
    parts, count, size, turn = [], 0, 0, 0
    while (words and count < words) or (chars and size < chars):
        n = rng.randint(10, 160)
        speaker = "Interviewer" if turn % 2 == 0 else "SW"
        sentence_words = rng.choices(VOCABULARY, k=n)
        body = []
        for i in range(0, n, rng.randint(8, 20)):
            chunk = sentence_words[i:i + 14]
            body.append(" ".join(chunk).capitalize() + ".")
        line = f"{speaker}: " + " ".join(body)
        parts.append(line)
        count += n
        size += len(line) + 2
        turn += 1
    return "\n\n".join(parts) + "\n"


def build(root: Path, name: str, text: str, codings: int = 2000):
    from fieldnotes.project import Project

    (root / name).write_text(text, encoding="utf-8")
    project = Project.create(root / f"{Path(name).stem}.fnp", coder="bench")
    project.intake.import_paths([root / name])
    for g in range(2):
        for k in range(5):
            project.codebook.add_code(f"Theme {g}/Code {k}")
    codes = [c.id for c in project.codebook.codes() if c.parent_id is not None]
    doc_id = project.documents()[0].id
    rng = random.Random(9)
    items = []
    for _ in range(codings):
        start = rng.randrange(0, len(text) - 600)
        items.append((doc_id, rng.choice(codes), start, start + rng.randint(30, 600)))
    project.coding.apply_codings(items)
    project.close()
    return root / f"{Path(name).stem}.fnp"


async def measure(path: Path, label: str) -> None:
    from fieldnotes.project import Project
    from fieldnotes.tui.app import FieldnotesApp
    from fieldnotes.tui.widgets.document_view import DocumentView

    t = time.perf_counter()
    with Project.open(path) as project:
        name = project.documents()[0].name
        doc = project.document(name)
        project.coding.codings(document=name)
    bare = time.perf_counter() - t

    t = time.perf_counter()
    app = FieldnotesApp(path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        start = time.perf_counter() - t
        view = app.query_one(DocumentView)
        assert view.document == name and len(view.spans) >= 1900

        applies, handler = [], []
        rng = random.Random(1)
        height = view.scrollable_content_region.height
        for _ in range(30):
            a = rng.randrange(0, len(doc.text) - 200)
            t = time.perf_counter()
            app.apply_code("Theme 1/Code 4", a, a + 150)
            for y in range(height):
                view.render_line(y)
            handler.append((time.perf_counter() - t) * 1000)
            await pilot.pause()
            applies.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        app.open_document(name)
        for y in range(height):
            view.render_line(y)
        reload = (time.perf_counter() - t) * 1000

        view.focus()
        # Pilot's own cost for a key press that does nothing, on this app.
        idle = []
        for _ in range(20):
            t = time.perf_counter()
            await pilot.press("f12")
            await pilot.pause()
            idle.append((time.perf_counter() - t) * 1000)
        steps, direct = [], []
        pages = 0
        height = view.scrollable_content_region.height
        while view.cursor < len(view.text) and pages < 5000:
            t = time.perf_counter()
            await pilot.press("pagedown")
            await pilot.pause()
            steps.append((time.perf_counter() - t) * 1000)
            pages += 1
        # The same paging without Pilot: the key's action plus drawing every
        # visible line of the reading pane (what a frame costs this widget).
        view.action_move("top", 0)
        while view.cursor < len(view.text):
            t = time.perf_counter()
            view.action_move("page", 1)
            for y in range(height):
                view.render_line(y)
            direct.append((time.perf_counter() - t) * 1000)
    print(f"{label}: {len(doc.text):,} characters, {doc.words:,} words, {len(view.spans):,} codings")
    print(f"  {'project API: open + read document and codings (bare)':<58}{bare * 1000:8.0f} ms")
    print(f"  {'workspace: start and show the document':<58}{start * 1000:8.0f} ms   (target < 300 ms)")
    print(f"  {'  of which opening the document in the pane (load + draw)':<58}{reload:8.0f} ms")
    print(f"  {'apply a code: write, reshade, counts, redraw (median / max)':<58}"
          f"{statistics.median(handler):8.1f} ms / {max(handler):.1f} ms   (target < 30 ms)")
    print(f"  {'  the same plus one Pilot pause (median / max)':<58}{statistics.median(applies):8.1f} ms / {max(applies):.1f} ms")
    print(f"  {f'page through the document ({pages} PageDowns via Pilot): median / max':<58}"
          f"{statistics.median(steps):8.1f} ms / {max(steps):.1f} ms   (target: no step over 100 ms)")
    print(f"  {'  of which Pilot itself (a key bound to nothing): median':<58}{statistics.median(idle):8.1f} ms")
    direct.sort()
    print(f"  {'  the step without Pilot (action + draw the pane): median / p95 / max':<58}"
          f"{statistics.median(direct):8.1f} ms / {direct[int(len(direct) * 0.95)]:.1f} ms / {direct[-1]:.1f} ms")


async def empty_start() -> float:
    """How long the harness takes to start an app showing one line: the floor
    under 'start and show'."""
    from textual.app import App
    from textual.widgets import Static

    class Empty(App):
        def compose(self):
            yield Static("hello")

    t = time.perf_counter()
    async with Empty().run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        return (time.perf_counter() - t) * 1000


def main() -> None:
    t = time.perf_counter()
    import fieldnotes.tui.app  # noqa: F401

    print(f"importing the workspace (textual and fieldnotes.tui): {(time.perf_counter() - t) * 1000:.0f} ms "
          "(paid once per process, before the figures below)")
    root = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-tui-"))
    try:
        big = build(root, "long_transcript.txt", make_transcript(words=50_000))
        huge = build(root, "huge_document.txt", make_transcript(chars=300_000, seed=6))
        asyncio.run(empty_start())  # warm up
        print(f"an empty Textual app, started the same way (the floor): {asyncio.run(empty_start()):.0f} ms")
        asyncio.run(measure(big, "50,000-word transcript"))
        asyncio.run(measure(huge, "300,000-character document"))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

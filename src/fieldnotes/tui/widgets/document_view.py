"""The reading pane: a document with speaker turns, a cursor, a selection, and
coded passages shaded by code colour and labelled in a right-hand margin.

Built on Textual's line API (a ``ScrollView`` that renders only the visible
lines), so a 300,000-character document scrolls and codes as fast as a short
one: wrapping is done once per width, and coded spans are found by bisecting a
sorted list of boundaries rather than scanning every coding on every line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from fieldnotes import passages

_WORD = re.compile(r"\w+(?:['’]\w+)*")


@dataclass(frozen=True, slots=True)
class Span:
    """A coding as the view draws it."""

    start: int
    end: int
    coding_id: int
    code_id: int
    label: str
    colour: str


class DocumentView(ScrollView, can_focus=True):
    """Read and select text; the app applies codes to :attr:`selection`."""

    DEFAULT_CSS = """
    DocumentView {
        background: $surface;
        color: $foreground;
        padding: 0 1;
    }
    DocumentView:focus {
        background-tint: $foreground 3%;
    }
    """

    BINDINGS = [
        Binding("left", "move('char', -1)", "Left", show=False, id="doc.left"),
        Binding("right", "move('char', 1)", "Right", show=False, id="doc.right"),
        Binding("up", "move('line', -1)", "Up", show=False, id="doc.up"),
        Binding("down", "move('line', 1)", "Down", show=False, id="doc.down"),
        Binding("shift+left", "move('char', -1, True)", "Extend left", show=False, id="doc.sel_left"),
        Binding("shift+right", "move('char', 1, True)", "Extend right", show=False, id="doc.sel_right"),
        Binding("shift+up", "move('line', -1, True)", "Extend up", show=False, id="doc.sel_up"),
        Binding("shift+down", "move('line', 1, True)", "Extend down", show=False, id="doc.sel_down"),
        Binding("ctrl+left,b", "move('word', -1)", "Word back", show=False, id="doc.word_back"),
        Binding("ctrl+right,w", "move('word', 1)", "Word forward", show=False, id="doc.word_forward"),
        Binding("ctrl+shift+left,B", "move('word', -1, True)", "Extend word back", show=False, id="doc.sel_word_back"),
        Binding("ctrl+shift+right,W", "move('word', 1, True)", "Extend word forward", show=False, id="doc.sel_word_forward"),
        Binding("(", "move('sentence', -1)", "Sentence back", show=False, id="doc.sentence_back"),
        Binding(")", "move('sentence', 1)", "Sentence forward", show=False, id="doc.sentence_forward"),
        Binding("{", "move('paragraph', -1)", "Paragraph back", show=False, id="doc.paragraph_back"),
        Binding("}", "move('paragraph', 1)", "Paragraph forward", show=False, id="doc.paragraph_forward"),
        Binding("[", "move('turn', -1)", "Turn back", show=False, id="doc.turn_back"),
        Binding("]", "move('turn', 1)", "Turn forward", show=False, id="doc.turn_forward"),
        Binding("home", "move('home', 0)", "Line start", show=False, id="doc.home"),
        Binding("end", "move('end', 0)", "Line end", show=False, id="doc.end"),
        Binding("pageup", "move('page', -1)", "Page up", show=False, id="doc.page_up"),
        Binding("pagedown,space", "move('page', 1)", "Page down", show=False, id="doc.page_down"),
        Binding("ctrl+home,g", "move('top', 0)", "Top", show=False, id="doc.top"),
        Binding("ctrl+end,G", "move('bottom', 0)", "Bottom", show=False, id="doc.bottom"),
        Binding("v", "toggle_select_mode", "Select mode", id="doc.select_mode"),
        Binding("s", "select_unit('sentence')", "Sentence", id="doc.select_sentence"),
        Binding("p", "select_unit('paragraph')", "Paragraph", show=False, id="doc.select_paragraph"),
        Binding("t", "select_unit('turn')", "Turn", show=False, id="doc.select_turn"),
        Binding("escape", "clear_selection", "Clear", show=False, id="doc.clear"),
    ]

    cursor: reactive[int] = reactive(0, repaint=False)
    select_mode: reactive[bool] = reactive(False)

    class SelectionChanged(Message):
        def __init__(self, view: DocumentView) -> None:
            self.view = view
            super().__init__()

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.document: str | None = None
        self.text = ""
        self.turns: list = []
        self.spans: list[Span] = []
        self.anchor: int | None = None
        self._lines: list[tuple[int, int]] = [(0, 0)]
        self._line_starts: list[int] = [0]
        self._wrap_width = 0
        self._labels: list[tuple[int, int]] = []
        self._label_starts: list[int] = []
        self._bounds: list[int] = []
        self._active: list[tuple[Span, ...]] = []
        self._drag_from: int | None = None
        self._tints: dict = {}
        self._strips: dict = {}
        self._version = 0

    # -- content -------------------------------------------------------------

    def load(self, document: str, text: str, turns, spans: list[Span], *, cursor: int = 0,
             row: int | None = None) -> None:
        """Show a document; the cursor goes to ``cursor`` (its start by
        default), drawn on screen row ``row`` when given (so switching to the
        same document in another text keeps the reader's place)."""
        from fieldnotes.terminal import visible_controls

        self.document = document
        # Control characters from the file shown as symbols (same length, so
        # offsets hold): a transcript cannot drive the terminal.
        self.text = visible_controls(text)
        self.turns = list(turns)
        self._labels = passages.label_ranges(text, self.turns)
        self._label_starts = [a for a, _ in self._labels]
        self.anchor = None
        cursor = max(0, min(cursor, len(text)))
        self.set_reactive(DocumentView.cursor, cursor)
        self._wrap_width = 0  # new text: set_spans wraps it afresh
        self.set_spans(spans)
        if row is None:
            self.scroll_to(0, 0, animate=False)
            if cursor:
                self._scroll_to_offset(cursor, center=True)
        else:
            self.scroll_to(y=max(0, self.line_of(cursor) - row), animate=False)
        self.post_message(self.SelectionChanged(self))

    @property
    def cursor_row(self) -> int:
        """The screen row of the cursor's line (0 at the top of the pane)."""
        return self.line_of(self.cursor) - int(self.scroll_offset.y)

    def set_spans(self, spans: list[Span]) -> None:
        """Replace the coded spans (after coding, undo, a code's new colour)."""
        self.spans = sorted(spans, key=lambda s: (s.start, -s.end))
        bounds = sorted({b for s in self.spans for b in (s.start, s.end)})
        starting: dict[int, list[Span]] = {}
        ending: dict[int, list[Span]] = {}
        for span in self.spans:
            starting.setdefault(span.start, []).append(span)
            ending.setdefault(span.end, []).append(span)
        # Sweep the boundaries once: for each run between two of them, the
        # spans covering it, shortest (innermost) first so its colour wins.
        active: list[tuple[Span, ...]] = []
        current: set[Span] = set()
        for left in bounds[:-1]:
            current.difference_update(ending.get(left, ()))
            current.update(starting.get(left, ()))
            active.append(tuple(sorted(current, key=lambda s: (s.end - s.start, s.start))))
        self._bounds = bounds
        self._active = active
        self._version += 1
        # The first coding opens the margin (the last one closes it): rewrap.
        self._rewrap()
        self.refresh()

    def spans_at(self, offset: int) -> list[Span]:
        return [s for s in self.spans if s.start <= offset < s.end]

    @property
    def selection(self) -> tuple[int, int] | None:
        """The selected range, or None."""
        if self.anchor is None or self.anchor == self.cursor:
            return None
        return min(self.anchor, self.cursor), max(self.anchor, self.cursor)

    def trim_selection(self) -> tuple[int, int] | None:
        """Keep speaker labels and time codes out of the selection (the rule
        is :func:`fieldnotes.passages.trim_labels`); returns the selection."""
        selection = self.selection
        if selection is None:
            return None
        a, b = passages.trim_labels(self.text, *selection, self.turns)
        if (a, b) != selection:
            forward = self.cursor >= (self.anchor or 0)
            self.anchor, self.cursor = (a, b) if forward else (b, a)
            self.refresh()
        return self.selection

    def select(self, start: int, end: int) -> None:
        """Select ``[start, end)`` and bring it into view."""
        start = max(0, min(start, len(self.text)))
        end = max(start, min(end, len(self.text)))
        self.anchor = start
        self.cursor = end
        self._scroll_to_offset(start, center=True)
        self.refresh()
        self.post_message(self.SelectionChanged(self))

    # -- layout --------------------------------------------------------------

    @property
    def margin_width(self) -> int:
        width = self.scrollable_content_region.width
        # A margin as soon as anything is coded: code names there mean no
        # meaning rests on colour. Until then its width is the text's.
        if not self.spans:
            return 0
        return 0 if width < 20 else min(26, max(8, width // 4))

    @property
    def text_width(self) -> int:
        return max(10, self.scrollable_content_region.width - self.margin_width - 1)

    def on_resize(self, event: events.Resize) -> None:
        self._rewrap()

    def _rewrap(self) -> None:
        width = self.text_width
        if width == self._wrap_width and self._lines:
            return
        self._wrap_width = width
        lines: list[tuple[int, int]] = []
        text = self.text
        pos = 0
        length = len(text)
        while True:
            newline = text.find("\n", pos)
            stop = length if newline < 0 else newline
            start = pos
            while stop - start > width:
                cut = text.rfind(" ", start, start + width + 1)
                if cut <= start:
                    cut = start + width
                    lines.append((start, cut))
                    start = cut
                else:
                    lines.append((start, cut))
                    start = cut + 1
            lines.append((start, stop))
            if newline < 0:
                break
            pos = newline + 1
        self._lines = lines
        self._version += 1
        self._line_starts = [s for s, _ in lines]
        self.virtual_size = Size(self.scrollable_content_region.width, len(lines))
        self.refresh()

    def line_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self._line_starts, offset) - 1)

    def offset_at(self, line: int, column: int) -> int:
        line = max(0, min(line, len(self._lines) - 1))
        start, end = self._lines[line]
        return max(start, min(start + column, end))

    def _scroll_to_offset(self, offset: int, center: bool = False) -> None:
        """Bring ``offset`` into view. A step of one line scrolls one line; a
        jump (a search hit, the next turn, a passage) puts the line in the
        upper third, with the text after it in view rather than under the
        bottom edge."""
        line = self.line_of(offset)
        height = self.scrollable_content_region.height
        top = int(self.scroll_offset.y)
        if height <= 0:
            return
        visible = top <= line < top + height
        if visible and not (center and line >= top + height - max(1, height // 4)):
            return
        if line == top - 1 and not center:
            self.scroll_to(y=line, animate=False)
        elif line == top + height and not center:
            self.scroll_to(y=top + 1, animate=False)
        else:
            self.scroll_to(y=max(0, line - height // 3), animate=False)

    # -- drawing -------------------------------------------------------------

    def _styles(self):
        base = self.rich_style
        background = self.background_colors[1]
        return base, background

    def _tint(self, colour: str, background: Color, alpha: float = 0.38) -> Style:
        key = (colour, background, alpha)
        style = self._tints.get(key)
        if style is None:
            try:
                style = Style(bgcolor=background.blend(Color.parse(colour), alpha).rich_color)
            except Exception:
                style = Style()
            self._tints[key] = style
        return style

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index < len(self._lines):
            start, end = self._lines[index]
            selection = self.selection
            busy = (start <= self.cursor <= end) or (selection and selection[0] <= end and selection[1] >= start)
            if not busy:
                key = (index, width, self._version, self.has_focus)
                strip = self._strips.get(key)
                if strip is None:
                    if len(self._strips) > 4000:
                        self._strips.clear()
                    strip = self._strips[key] = self._render_line(index)
                return strip
        return self._render_line(index)

    def _render_line(self, index: int) -> Strip:
        width = self.scrollable_content_region.width
        base, background = self._styles()
        if index >= len(self._lines) or not self.text and index > 0:
            return Strip.blank(width, base)
        start, end = self._lines[index]
        text_width = self.text_width
        cuts = {start, end}
        i = bisect.bisect_right(self._bounds, start)
        while i < len(self._bounds) and self._bounds[i] < end:
            cuts.add(self._bounds[i])
            i += 1
        labels = self._labels_in(start, end)
        for a, b in labels:
            cuts.update((a, b))
        selection = self.selection
        if selection:
            cuts.update(x for x in selection if start < x < end)
        if start <= self.cursor < end or (self.cursor == end and self.has_focus):
            cuts.update((self.cursor, min(self.cursor + 1, end)))
        ordered = sorted(c for c in cuts if start <= c <= end)
        segments: list[Segment] = []
        label_style = Style(bold=True, color=self._accent())
        on_line: list[Span] = []
        for a, b in zip(ordered, ordered[1:]):
            if a == b:
                continue
            style = base
            spans = self._active_at(a)
            if spans:
                style = style + self._tint(spans[0].colour, background)
                for span in spans:
                    if span not in on_line:
                        on_line.append(span)
                if len(spans) > 1:
                    style = style + Style(underline=True)
            if any(la <= a < lb for la, lb in labels):
                style = style + label_style
            if selection and selection[0] <= a < selection[1]:
                style = style + Style(reverse=True)
            if a == self.cursor and self.has_focus:
                style = style + Style(reverse=not (selection and selection[0] <= a < selection[1]), underline=True)
            segments.append(Segment(self.text[a:b].replace("\t", " "), style))
        used = sum(len(s.text) for s in segments)
        if self.cursor == end and self.has_focus and start <= self.cursor and used < text_width:
            segments.append(Segment(" ", base + Style(reverse=True)))
            used += 1
        if used < text_width:
            segments.append(Segment(" " * (text_width - used), base))
        segments.extend(self._margin(on_line, start, end, base, background, width - text_width))
        return Strip(segments).crop(0, width)

    def _accent(self):
        try:
            return self.app.current_theme.primary
        except Exception:
            return None

    def notify_style_update(self) -> None:
        # A theme change alters colours: drop the cached lines and tints.
        self._strips.clear()
        self._tints.clear()
        super().notify_style_update()

    def _labels_in(self, start: int, end: int):
        i = bisect.bisect_right(self._label_starts, end) - 1
        found = []
        while i >= 0 and self._labels[i][1] > start:
            a, b = self._labels[i]
            if a < end:
                found.append((max(a, start), min(b, end)))
            i -= 1
        return found

    def _active_at(self, offset: int) -> tuple[Span, ...]:
        i = bisect.bisect_right(self._bounds, offset) - 1
        if 0 <= i < len(self._active):
            return self._active[i]
        return ()

    def _margin(self, spans: list[Span], start: int, end: int, base: Style, background: Color, width: int) -> list[Segment]:
        if width <= 1:
            return [Segment(" " * max(0, width), base)]
        segments = [Segment(" │", Style(color="grey50") + Style(bgcolor=base.bgcolor))]
        room = width - 2
        if not spans:
            return segments + [Segment(" " * room, base)]
        parts: list[Segment] = []
        ordered = sorted(spans, key=lambda s: s.start)
        per = max(4, (room - 2 * len(spans)) // len(spans))
        more = ""
        if per < 8 and len(ordered) > 1:
            # Too narrow for every name to be legible: the first one, and how
            # many more ("Time for di… +1"); x or m at the cursor lists them.
            more = f"+{len(ordered) - 1}"
            ordered = ordered[:1]
            per = room - 2 - len(more)
        for span in ordered:
            if room <= 1:
                break
            marker = "▶" if start <= span.start < end else "▏"
            fit = max(1, min(per, room - 1))
            label = span.label if len(span.label) <= fit else span.label[: max(1, fit - 1)] + "…"
            parts.append(Segment(marker, Style(color=span.colour, bold=True)))
            parts.append(Segment(label, base + self._tint(span.colour, background, 0.25)))
            room -= 1 + len(label)
            if room > 1:
                parts.append(Segment(" ", base))
                room -= 1
        if more and room >= len(more):
            parts.append(Segment(more, base + Style(bold=True)))
            room -= len(more)
        parts.append(Segment(" " * max(0, room), base))
        return segments + parts

    # -- movement ----------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        # A move of more than a line (a word onto the next line aside) is a
        # jump: it lands in the upper third rather than on the bottom edge.
        jump = abs(self.line_of(new) - self.line_of(old)) > 1
        self._scroll_to_offset(new, center=jump)
        self.refresh()

    def action_toggle_select_mode(self) -> None:
        self.select_mode = not self.select_mode
        if self.select_mode and self.anchor is None:
            self.anchor = self.cursor
        self.notify("Selection mode: move to extend, c to code, Esc to stop" if self.select_mode else "Selection mode off",
                    timeout=2)

    def action_clear_selection(self) -> None:
        self.select_mode = False
        self.anchor = None
        self.refresh()
        self.post_message(self.SelectionChanged(self))

    def action_select_unit(self, unit: str) -> None:
        start, end = self.selection or (self.cursor, min(self.cursor + 1, len(self.text)))
        a, b = passages.expand(self.text, start, max(end, start + 1) if start < len(self.text) else end, unit, self.turns)
        self.anchor, self.cursor = a, b
        self.refresh()
        self.post_message(self.SelectionChanged(self))

    def action_move(self, unit: str, direction: int, extend: bool = False) -> None:
        extend = extend or self.select_mode
        if extend and self.anchor is None:
            self.anchor = self.cursor
        elif not extend:
            self.anchor = None
        self.cursor = self._target(unit, direction)
        self.refresh()
        self.post_message(self.SelectionChanged(self))

    def _target(self, unit: str, direction: int) -> int:
        text, cursor, length = self.text, self.cursor, len(self.text)
        if unit == "char":
            return max(0, min(length, cursor + direction))
        if unit in {"line", "page"}:
            line = self.line_of(cursor)
            column = cursor - self._lines[line][0]
            step = direction * (max(1, self.scrollable_content_region.height - 1) if unit == "page" else 1)
            if unit == "page":
                self.scroll_to(y=max(0, self.scroll_offset.y + step), animate=False)
            return self.offset_at(line + step, column)
        if unit == "home":
            return self._lines[self.line_of(cursor)][0]
        if unit == "end":
            return self._lines[self.line_of(cursor)][1]
        if unit == "top":
            return 0
        if unit == "bottom":
            return length
        if unit == "word":
            if direction > 0:
                m = _WORD.search(text, min(length, cursor + 1))
                return m.start() if m else length
            starts = [m.start() for m in _WORD.finditer(text, max(0, cursor - 200), cursor)]
            return starts[-1] if starts else max(0, cursor - 200) if cursor > 200 else 0
        if unit == "sentence":
            here = passages.sentence_at(text, min(cursor, max(0, length - 1)))
            if direction > 0:
                nxt = here[1]
                while nxt < length and text[nxt].isspace():
                    nxt += 1
                return min(length, nxt)
            if cursor > here[0]:
                return here[0]
            return passages.sentence_at(text, max(0, here[0] - 2))[0]
        if unit == "paragraph":
            here = passages.paragraph_at(text, min(cursor, max(0, length - 1)))
            if direction > 0:
                m = re.compile(r"\n[ \t]*\n\s*").search(text, here[1])
                return m.end() if m else length
            if cursor > here[0]:
                return here[0]
            return passages.paragraph_at(text, max(0, here[0] - 3))[0]
        if unit == "turn":
            starts = [t.start for t in self.turns]
            if not starts:
                return self._target("paragraph", direction)
            if direction > 0:
                i = bisect.bisect_right(starts, cursor)
                return starts[i] if i < len(starts) else length
            i = bisect.bisect_left(starts, cursor) - 1
            return starts[i] if i >= 0 else 0
        return cursor

    # -- mouse ----------------------------------------------------------------------

    def _offset_from_event(self, event) -> int:
        x, y = event.x - self.styles.padding.left, event.y
        return self.offset_at(self.scroll_offset.y + y, max(0, x))

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.focus()
        offset = self._offset_from_event(event)
        self._drag_from = offset
        self.anchor = None
        self.cursor = offset
        self.capture_mouse()
        self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._drag_from is not None and event.button:
            self.anchor = self._drag_from
            self.cursor = self._offset_from_event(event)
            self.refresh()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._drag_from is not None:
            self.release_mouse()
            self._drag_from = None
            self.trim_selection()
            self.post_message(self.SelectionChanged(self))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


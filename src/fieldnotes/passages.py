"""Passages in a text: expanding a selection, and finding hits for autocoding.

Pure functions over a document's text (and its speaker turns); no database.
Offsets are Python string indices, ranges are half-open ``[start, end)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fieldnotes.errors import FieldnotesError

#: The units of text a selection grows to (``--expand``), and that
#: intercoder agreement rates (with single characters: see
#: :data:`fieldnotes.analysis.agreement.UNITS`).
UNITS = ("word", "sentence", "paragraph", "turn")
SCOPES = ("match", "sentence", "paragraph", "turn")

#: A word: letters or digits, with inner apostrophes ("don't", "social worker's").
#: The one definition: selection by word, the words a document has on import,
#: and the matrix's "words coded" all count with it, so they agree.
WORD = re.compile(r"\w+(?:['’]\w+)*")


def count_words(text: str) -> int:
    """The number of words in ``text``, as :data:`WORD` counts them."""
    return len(WORD.findall(text))  # a list, but ~20% faster than counting an iterator
# A sentence ends at . ! ? or … (with closing quotes/brackets) before
# whitespace, or at a line break.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The paragraphs of a text: ``(start, end)`` of each block between blank
    lines, not trimmed (a block may start or end with spaces)."""
    spans, last = [], 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        if m.start() > last:
            spans.append((last, m.start()))
        last = m.end()
    if last < len(text):
        spans.append((last, len(text)))
    return spans


def segments(text: str, unit: str, turns: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Every ``unit`` of a text (one of :data:`UNITS`) as ``(start, end)``
    character ranges, in order: the same words, sentences and paragraphs a
    selection expands to, trimmed, none empty. ``turn`` gives ``turns``, or
    the paragraphs of a text without turns."""
    if unit == "word":
        return [m.span() for m in WORD.finditer(text)]
    if unit == "turn" and turns:
        return [(s, e) for s, e in turns if e > s]
    blocks = [_strip(text, s, e) for s, e in paragraphs(text)]
    blocks = [(s, e) for s, e in blocks if e > s]
    if unit in ("paragraph", "turn"):
        return blocks
    sentences = []
    for p_start, p_end in blocks:
        start = p_start
        for m in _SENTENCE_END.finditer(text, p_start, p_end):
            end = m.start() if m.group() == "\n" else m.end()
            sentences.append(_strip(text, start, end))
            start = m.end()
        sentences.append(_strip(text, start, p_end))
    return [(s, e) for s, e in sentences if e > s]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraph_at(text: str, offset: int) -> tuple[int, int]:
    """The paragraph (block between blank lines) around ``offset``.

    Scans outwards from ``offset`` only, so the cost is the paragraph's
    length, not the document's.
    """
    start, pos = 0, offset
    while True:
        newline = text.rfind("\n", 0, pos)
        if newline < 0:
            break
        previous = text.rfind("\n", 0, newline)
        if not text[previous + 1:newline].strip() and previous >= 0:
            start = newline + 1
            break
        pos = newline
    m = _PARAGRAPH_BREAK.search(text, offset)
    end = m.start() if m else len(text)
    return _strip(text, start, end)


def sentence_at(text: str, offset: int) -> tuple[int, int]:
    """The sentence around ``offset``, never crossing its paragraph."""
    p_start, p_end = paragraph_at(text, offset)
    start = p_start
    for m in _SENTENCE_END.finditer(text, p_start, min(offset, p_end)):
        if m.end() <= offset:
            start = m.end()
    m = _SENTENCE_END.search(text, max(offset, start), p_end)
    end = m.end() if m else p_end
    if m and m.group() == "\n":
        end = m.start()
    return _strip(text, start, end)


def word_at(text: str, offset: int) -> tuple[int, int]:
    for m in WORD.finditer(text, max(0, offset - 64), min(len(text), offset + 64)):
        if m.start() <= offset < m.end() or m.end() == offset:
            return m.start(), m.end()
    return offset, offset


def turn_at(turns: Sequence, offset: int) -> tuple[int, int] | None:
    """The speaker turn containing ``offset`` (``turns``: objects with start/end)."""
    for turn in turns:
        if turn.start <= offset < turn.end or (offset == turn.end and turn.end > turn.start):
            return turn.start, turn.end
    return None


def label_ranges(text: str, turns: Sequence) -> list[tuple[int, int]]:
    """Where the speaker labels are: for each turn, from the start of its line
    (any time code included, "[00:00:05] Interviewer: ") to the first
    character of what was said. Sorted; empty for a text without turns."""
    found = []
    for turn in turns:
        line_start = text.rfind("\n", 0, turn.start) + 1
        if line_start < turn.start:
            found.append((line_start, turn.start))
    return found


def trim_labels(text: str, start: int, end: int, turns: Sequence) -> tuple[int, int]:
    """``[start, end)`` without a speaker label or time code at either end.

    A range starting in a label starts at the words after it; a range ending
    in a label (the next speaker's) ends where the previous turn's words end.
    One rule for every way of selecting (a unit, a drag, shift+arrows), so no
    coding or quote begins "SW: ..." or ends "... Interviewer:". A range lying
    wholly inside one label is returned unchanged (there is nothing else to
    keep); labels in the middle of a range spanning turns stay, as the range
    is one stretch of text.
    """
    if not turns or start >= end:
        return start, end
    labels = label_ranges(text, turns)
    a, b = start, end
    for la, lb in labels:
        if la <= a < lb:
            a = lb
        if la < b <= lb:
            b = la
    while b > a and text[b - 1].isspace():
        b -= 1
    while a < b and text[a].isspace():
        a += 1
    return (a, b) if a < b else (start, end)


def _out_of_label(offset: int, labels: Sequence[tuple[int, int]]) -> int:
    for la, lb in labels:
        if la <= offset < lb:
            return lb
    return offset


def expand(text: str, start: int, end: int, unit: str, turns: Sequence = ()) -> tuple[int, int]:
    """Grow ``[start, end)`` to whole words, sentences, paragraphs or speaker
    turns. A turn falls back to the paragraph where the text has no turns.
    Speaker labels and time codes stay out (:func:`trim_labels`): a cursor on
    a label selects from the words of its turn."""
    if unit not in UNITS:
        raise FieldnotesError(f"Unknown unit '{unit}'; use one of {', '.join(UNITS)}.")
    labels = label_ranges(text, turns) if turns else []
    if labels:
        trimmed = trim_labels(text, start, end, turns)
        if trimmed == (start, end):
            # Nothing trimmed, or only a label is selected (the cursor on
            # "Interviewer:"): start from the first word of its turn.
            moved = min(_out_of_label(start, labels), len(text))
            if moved != start:
                trimmed = (moved, min(max(end, moved + 1), len(text)))
        start, end = trimmed
    last = max(start, end - 1)
    if unit == "word":
        a, b = word_at(text, start)[0], word_at(text, last)[1]
    elif unit == "sentence":
        a, b = sentence_at(text, start)[0], sentence_at(text, last)[1]
    elif unit == "paragraph":
        a, b = paragraph_at(text, start)[0], paragraph_at(text, last)[1]
    else:
        first, final = turn_at(turns, start), turn_at(turns, last)
        a = first[0] if first else paragraph_at(text, start)[0]
        b = final[1] if final else paragraph_at(text, last)[1]
    if unit in {"sentence", "paragraph"}:
        # Keep the speaker label ("SW:") out of a passage that starts a turn.
        first, final = turn_at(turns, start), turn_at(turns, last)
        if first and a < first[0] <= start:
            a = first[0]
        if final and end <= final[1] < b:
            b = final[1]
    a, b = min(a, start), (max(b, end) if b > a else end)
    return trim_labels(text, a, b, turns) if labels else (a, b)


# -- finding hits ------------------------------------------------------------------

def keyword_pattern(keywords: Sequence[str]) -> re.Pattern:
    """Whole words or phrases, case-insensitive; a phrase matches across any
    run of whitespace ("time for  direct work")."""
    parts = []
    for keyword in keywords:
        words = keyword.split()
        if not words:
            continue
        body = r"\s+".join(re.escape(w) for w in words)
        left = r"\b" if re.match(r"\w", words[0]) else ""
        right = r"\b" if re.search(r"\w$", words[-1]) else ""
        parts.append(f"{left}{body}{right}")
    if not parts:
        raise FieldnotesError("Give a keyword or phrase to look for.")
    return re.compile("|".join(parts), re.IGNORECASE)


def compile_regex(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise FieldnotesError(f"The regular expression {pattern!r} is not valid: {exc}.") from None


def fuzzy_hits(text: str, phrase: str, threshold: float = 85.0) -> list[tuple[int, int, float]]:
    """Places where ``phrase`` occurs approximately: misspellings ("casload"),
    split or joined words ("case load" for "caseload"), case and punctuation.

    Compares the phrase, with spaces removed, against runs of 1 to n+1 words
    of the text (also with spaces removed) using rapidfuzz's ratio, and keeps
    the best non-overlapping runs scoring at least ``threshold`` (0-100).
    """
    from rapidfuzz.distance import Indel

    target = re.sub(r"\W+", "", phrase).lower()
    if not target:
        raise FieldnotesError("Give a phrase to look for.")
    n = max(1, len(phrase.split()))
    words = [(m.start(), m.end(), m.group().lower()) for m in WORD.finditer(text)]
    cutoff = threshold / 100.0
    found: list[tuple[int, int, float]] = []
    tlen = len(target)
    for i in range(len(words)):
        best = None
        joined = ""
        for k in range(i, min(len(words), i + n + 1)):
            joined += words[k][2]
            # The normalised similarity cannot reach the cutoff when the
            # lengths differ too much; skip the comparison.
            if abs(len(joined) - tlen) > (1 - cutoff) * (len(joined) + tlen):
                if len(joined) > tlen:
                    break
                continue
            score = Indel.normalized_similarity(target, joined)
            if score >= cutoff and (best is None or score > best[2]):
                best = (words[i][0], words[k][1], score)
        if best:
            found.append(best)
    # Keep the best of overlapping candidates.
    found.sort(key=lambda h: (-h[2], h[0]))
    chosen: list[tuple[int, int, float]] = []
    for hit in found:
        if all(hit[1] <= c[0] or hit[0] >= c[1] for c in chosen):
            chosen.append(hit)
    return sorted((a, b, round(s * 100, 1)) for a, b, s in chosen)


def merge_ranges(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping ranges become one (a sentence with two hits is one passage)."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]

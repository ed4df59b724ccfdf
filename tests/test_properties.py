"""Property-based tests (issue 11): whatever a file holds, the importers
(txt, vtt, srt, docx), the manifest reader and the .qdc/.qdpx readers end in a
result or in a FieldnotesError whose message is one line; never another
exception, and never a hang (each example has a deadline far above its real
cost, so only a runaway fails it).

Example counts stay modest so the suite stays fast; raise them locally with
``HYPOTHESIS_PROFILE=thorough``.
"""

from __future__ import annotations

import atexit
import csv
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldnotes.exchange.qdc import read_qdc
from fieldnotes.errors import FieldnotesError
from fieldnotes.exchange.qdpx import import_qdpx
from fieldnotes.importers import parse
from fieldnotes.manifest import read_manifest
from makefiles import make_docx

settings.register_profile("suite", max_examples=40, deadline=timedelta(seconds=20),
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=timedelta(seconds=20),
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def ends_well(function, *args):
    """``function(*args)``, or None when it raised a one-line FieldnotesError."""
    try:
        return function(*args)
    except FieldnotesError as exc:
        assert "\n" not in str(exc).strip(), str(exc)
        assert str(exc).strip()
        return None


_ROOT = Path(tempfile.mkdtemp(prefix="fieldnotes-properties-"))
atexit.register(shutil.rmtree, _ROOT, True)


def in_file(name: str, data: bytes | str) -> Path:
    folder = Path(tempfile.mkdtemp(dir=_ROOT))
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# -- text and subtitles -----------------------------------------------------------------

@given(st.binary(max_size=3000))
def test_any_bytes_as_txt(data):
    ends_well(parse, in_file("a.txt", data))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=2000))
def test_any_text_as_txt_keeps_every_word(text):
    parsed = ends_well(parse, in_file("a.txt", text))
    if parsed is not None:
        assert Counter(parsed.text.split()) == Counter(text.replace("\r\n", "\n").replace("\r", "\n").split())


_WORD = st.text(alphabet="abcdefghij", min_size=1, max_size=8)
_STAMP = st.builds(lambda h, m, s, ms, sep: f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}",
                   st.integers(0, 99), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999),
                   st.sampled_from([".", ","]))
_TIMING = st.one_of(
    st.builds(lambda a, b: f"{a} --> {b}", _STAMP, _STAMP),
    st.builds(lambda a, b, typo: f"{a} {typo} {b}", _STAMP, _STAMP, st.sampled_from(["->", "-- >", "—>", "-->"])),
    st.builds(lambda a: a.replace("0", "O", 1) + " --> 00:00:01.000", _STAMP),
    st.text(alphabet="0123456789:.,-> O", max_size=30),
)
_PAYLOAD = st.one_of(
    st.builds(lambda ws: " ".join(ws), st.lists(_WORD, min_size=1, max_size=8)),
    st.builds(lambda n, ws: f"<v {n}>{' '.join(ws)}</v>", _WORD, st.lists(_WORD, min_size=1, max_size=6)),
    st.builds(lambda n, ws: f"{n.title()}: {' '.join(ws)}", _WORD, st.lists(_WORD, min_size=1, max_size=6)),
    st.text(max_size=40),
)
_CUE = st.builds(lambda ident, timing, lines: "\n".join(([ident] if ident else []) + [timing] + lines),
                 st.one_of(st.none(), st.integers(1, 999).map(str), _WORD),
                 _TIMING, st.lists(_PAYLOAD, min_size=0, max_size=3))


@given(st.lists(_CUE, max_size=12), st.booleans(), st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n \n"]))
def test_any_subtitle_file(cues, header, separator):
    body = separator.join(cues)
    ends_well(parse, in_file("a.vtt", ("WEBVTT\n\n" if header else "") + body))
    ends_well(parse, in_file("a.srt", body))


@given(st.lists(st.tuples(_STAMP, _STAMP, st.lists(_WORD, min_size=1, max_size=8)), min_size=1, max_size=10),
       st.sets(st.integers(0, 9), max_size=5))
def test_vtt_keeps_every_spoken_word_whatever_time_codes_are_broken(cues, broken):
    blocks = []
    for i, (a, b, words) in enumerate(cues):
        timing = f"{a} --> {b}" if i not in broken else f"{a.replace('0', 'O', 1)} -> {b}"
        blocks.append(f"{i + 1}\n{timing}\n{' '.join(words)}")
    parsed = parse(in_file("a.vtt", "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"))
    assert Counter(parsed.text.split()) == Counter(w for _, _, words in cues for w in words)
    assert bool(parsed.warnings) == any(i in broken for i in range(len(cues)))


# -- docx -----------------------------------------------------------------------------

_XML_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80)


@given(st.lists(_XML_TEXT, min_size=1, max_size=8))
def test_any_paragraphs_as_docx(paragraphs):
    path = in_file("a.docx", b"")
    make_docx(path, paragraphs)
    parsed = ends_well(parse, path)
    if parsed is not None:
        assert Counter(parsed.text.split()) == Counter(" ".join(paragraphs).split())


_TEMPLATE: dict[str, bytes] = {}


def _docx_template() -> bytes:
    if "docx" not in _TEMPLATE:
        path = in_file("t.docx", b"")
        make_docx(path, ["Interviewer: hello", "SW: hi"])
        _TEMPLATE["docx"] = path.read_bytes()
    return _TEMPLATE["docx"]


@given(st.binary(max_size=400), st.integers(0, 10_000), st.booleans())
def test_damaged_docx(noise, position, replace_document):
    template = _docx_template()
    if replace_document:
        source = zipfile.ZipFile(io.BytesIO(template))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                data = noise if info.filename == "word/document.xml" else source.read(info)
                target.writestr(info, data)
        data = out.getvalue()
    else:
        position %= len(template)
        data = template[:position] + noise + template[position + len(noise):]
    ends_well(parse, in_file("a.docx", data))


# -- manifests ------------------------------------------------------------------------

_CELL = st.one_of(st.text(max_size=12), st.integers(-10**30, 10**30).map(str), st.sampled_from(
    ["file", "File", "kind", "case", "interview", "2025-01-31", "31/12/2024", "1.5", "", " ", "a.txt"]))


@given(st.lists(st.lists(_CELL, min_size=1, max_size=5), min_size=1, max_size=6), st.sampled_from([",", ";", "\t"]))
def test_any_csv_manifest(rows, delimiter):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    ends_well(read_manifest, in_file("m.csv", buffer.getvalue()))


@given(st.binary(max_size=500))
def test_any_bytes_as_manifest(data):
    ends_well(read_manifest, in_file("m.csv", data))
    ends_well(read_manifest, in_file("m.xlsx", data))


# -- .qdc and .qdpx -------------------------------------------------------------------

_NAME = st.one_of(_XML_TEXT, st.sampled_from(["A", "a\\b", "A/B", " ", "", "Caseload"]))
_GUID = st.one_of(st.uuids().map(str), st.sampled_from(["", "x", "{00000000-0000-0000-0000-000000000000}"]))


def _attr(value: str) -> str:
    return re.sub(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd]", "", value).replace("&", "&amp;").replace(
        "<", "&lt;").replace('"', "&quot;")


_CODE = st.recursive(
    st.builds(lambda n, g: f'<Code name="{_attr(n)}" guid="{_attr(g)}"/>', _NAME, _GUID),
    lambda children: st.builds(
        lambda n, g, kids, d: f'<Code name="{_attr(n)}" guid="{_attr(g)}" color="{_attr(d)}">'
                              f"<Description>{_attr(d)}</Description>{''.join(kids)}</Code>",
        _NAME, _GUID, st.lists(children, max_size=4), _XML_TEXT),
    max_leaves=20,
)


@given(st.lists(_CODE, max_size=6), st.sampled_from(['xmlns="urn:QDA-XML:codebook:1.0"', "", 'xmlns="x"']))
def test_any_codebook(codes, namespace):
    ends_well(read_qdc, in_file("c.qdc", f"<CodeBook {namespace}><Codes>{''.join(codes)}</Codes></CodeBook>"))


@given(st.binary(max_size=400))
def test_any_bytes_as_codebook(data):
    ends_well(read_qdc, in_file("c.qdc", data))


_SELECTION = st.builds(
    lambda g, a, b, code: f'<PlainTextSelection guid="{_attr(g)}" startPosition="{a}" endPosition="{b}">'
                          f'<Coding guid="{_attr(g)}"><CodeRef targetGUID="{_attr(code)}"/></Coding></PlainTextSelection>',
    _GUID, st.integers(-5, 60), st.integers(-5, 60), _GUID)


@given(st.lists(_CODE, max_size=3), st.lists(st.tuples(_GUID, _XML_TEXT, st.lists(_SELECTION, max_size=4)), max_size=3),
       st.booleans())
def test_any_qdpx(codes, sources, extension):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        parts = []
        for n, (guid, text, selections) in enumerate(sources):
            archive.writestr(f"sources/s{n}.txt", text.encode("utf-8", "surrogatepass"))
            parts.append(f'<TextSource guid="{_attr(guid)}" name="s{n}" plainTextPath="internal://s{n}.txt">'
                         f"{''.join(selections)}</TextSource>")
        archive.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="p">'
                         f"<CodeBook><Codes>{''.join(codes)}</Codes></CodeBook><Sources>{''.join(parts)}</Sources>"
                         "</Project>")
        if extension and sources:
            archive.writestr("fieldnotes/extension.xml",
                             f'<FieldnotesExtension><Source guid="{_attr(sources[0][0])}" format="vtt">'
                             '<Turn start="0" end="3" speaker="X" timeStart="nan"/></Source></FieldnotesExtension>')
    path = in_file("p.qdpx", buffer.getvalue())
    result = ends_well(import_qdpx, path, path.parent / "new.fnp")
    if result is not None:
        result[0].close()

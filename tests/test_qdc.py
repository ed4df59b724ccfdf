"""REFI-QDA codebook (.qdc) reader and writer."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import xmlschema

from fieldnotes.exchange.qdc import MAX_BYTES, QdcError, read_qdc, write_qdc
from fieldnotes.errors import FieldnotesError
from fieldnotes.model import CodeNode

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "fieldnotes" / "schemas" / "Codebook.xsd"

G1 = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
G2 = "6fa459ea-ee8a-4ca4-894e-db77e160355e"
G3 = "{A0B1C2D3-E4F5-4A6B-8C7D-8E9FA0B1C2D3}"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA))


def sample_tree() -> list[CodeNode]:
    """Three levels, unicode names, colours, all four text fields."""
    return [
        CodeNode(
            "Führung und Leitung",
            description="Talk about senior leaders.\n\nSecond paragraph, «quoted» & <angled>.",
            inclusion="Comments on the direction set from the top.",
            exclusion="Line management belongs under Supervision.",
            example='"Nobody at the top is steering the ship."',
            colour="#0072B2",
            guid=G1,
            children=[
                CodeNode(
                    "変化 (changes)",
                    description="Turnover of directors.",
                    colour="#E69F00",
                    guid=G2,
                    children=[
                        CodeNode("Interim DCS ✓", example="We had three interims in a year.",
                                 guid="c56a4180-65aa-42ec-a945-5fd21dec0538"),
                    ],
                ),
                CodeNode("Buy-in", exclusion="Funding decisions.", colour="#009E73",
                         guid="16fd2706-8baf-433b-82eb-8c7fada847da"),
            ],
        ),
        CodeNode("Ωmega", guid="886313e1-3b8a-4372-9b90-0c9aee199e5d"),
    ]


def qdc(tmp_path: Path, body: str, *, namespace: str | None = "urn:QDA-XML:codebook:1.0",
        name: str = "in.qdc") -> Path:
    """Write a hand-written codebook around ``body`` (the content of <Codes>)."""
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<CodeBook{xmlns} origin="test"><Codes>'
                    f"{body}</Codes></CodeBook>", encoding="utf-8")
    return path


def only(codes: list[CodeNode]) -> CodeNode:
    assert len(codes) == 1, codes
    return codes[0]


# -- writing and the round trip -------------------------------------------------


def test_round_trip_validates_reads_back_equal_and_is_byte_identical(tmp_path, schema):
    codes = sample_tree()
    first = tmp_path / "first.qdc"
    write_qdc(codes, first)
    schema.validate(str(first))

    back = read_qdc(first)
    assert back == codes

    second = tmp_path / "second.qdc"
    write_qdc(back, second)
    assert second.read_bytes() == first.read_bytes()


def test_written_file_is_utf8_indented_with_declaration_namespace_and_description_block(tmp_path):
    path = tmp_path / "out.qdc"
    write_qdc(sample_tree(), path, origin="fieldnotes 0.1")
    text = path.read_bytes().decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == '<?xml version="1.0" encoding="UTF-8"?>'
    assert lines[1] == '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="fieldnotes 0.1">'
    assert lines[2] == "  <Codes>"
    assert lines[3] == (f'    <Code guid="{G1}" name="Führung und Leitung" isCodable="true" color="#0072B2">')
    assert "Führung" in text  # raw UTF-8, not character references
    assert (
        "<Description>Talk about senior leaders.\n\nSecond paragraph, «quoted» &amp; &lt;angled&gt;.\n\n"
        "Include: Comments on the direction set from the top.\n\n"
        "Exclude: Line management belongs under Supervision.\n\n"
        'Example: "Nobody at the top is steering the ship."</Description>'
    ) in text
    # Only the non-empty fields, and no label for the description itself.
    assert "<Description>Turnover of directors.</Description>" in text
    assert "<Description>Example: We had three interims in a year.</Description>" in text
    assert "<Description>Exclude: Funding decisions.</Description>" in text
    # A code without any text has no Description element at all.
    assert '<Code guid="886313e1-3b8a-4372-9b90-0c9aee199e5d" name="Ωmega" isCodable="true" />' in text
    assert text.endswith("</CodeBook>\n")


def test_guids_are_kept_and_missing_ones_get_fresh_uuid4(tmp_path, schema):
    codes = [CodeNode("Kept", guid=G3, children=[CodeNode("New child")]), CodeNode("New")]
    path = tmp_path / "out.qdc"
    write_qdc(codes, path)
    schema.validate(str(path))
    back = read_qdc(path)
    assert back[0].guid == G3  # braces and case as given
    fresh = [back[0].children[0].guid, back[1].guid]
    for guid in fresh:
        assert guid is not None and uuid.UUID(guid).version == 4
    assert len(set(fresh)) == 2
    # The caller's nodes are not modified: a second export makes new GUIDs.
    assert codes[1].guid is None
    write_qdc(codes, path)
    assert read_qdc(path)[1].guid not in fresh


def test_colours_are_written_as_upper_case_hex(tmp_path):
    path = tmp_path / "out.qdc"
    write_qdc([CodeNode("A", colour="#56b4e9", guid=G1), CodeNode("B", colour="#abc", guid=G2)], path)
    text = path.read_text(encoding="utf-8")
    assert 'color="#56B4E9"' in text
    assert 'color="#AABBCC"' in text
    assert [c.colour for c in read_qdc(path)] == ["#56B4E9", "#AABBCC"]


def test_field_text_that_looks_like_a_label_survives_the_round_trip(tmp_path, schema):
    node = CodeNode(
        "Tricky",
        description="Include: this line is part of the description\n\nExample: so is this one",
        inclusion="first\n\nExclude: still the inclusion\n\\Include: a literal backslash line",
        example="Example: quoted label",
        guid=G1,
    )
    first = tmp_path / "first.qdc"
    write_qdc([node], first)
    schema.validate(str(first))
    back = read_qdc(first)
    assert back == [node]
    second = tmp_path / "second.qdc"
    write_qdc(back, second)
    assert second.read_bytes() == first.read_bytes()


def test_names_with_slash_or_backslash_stay_one_code(tmp_path):
    path = tmp_path / "out.qdc"
    write_qdc([CodeNode("either/or", guid=G1), CodeNode("this\\that", guid=G2)], path)
    back = read_qdc(path)
    assert [(c.name, c.children) for c in back] == [("either\u2215or", []), ("this\u2216that", [])]


def test_write_normalises_line_endings_and_drops_characters_xml_cannot_hold(tmp_path, schema):
    path = tmp_path / "out.qdc"
    write_qdc([CodeNode(" Bell\x07 ", description="one\r\ntwo\rthree\x00  ", guid=G1)], path)
    schema.validate(str(path))
    node = only(read_qdc(path))
    assert node.name == "Bell"
    assert node.description == "one\ntwo\nthree"


def test_write_replaces_the_file_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "book.qdc"
    path.write_text("old content", encoding="utf-8")
    write_qdc([CodeNode("A", guid=G1)], path)
    assert [p.name for p in tmp_path.iterdir()] == ["book.qdc"]
    assert only(read_qdc(path)).guid == G1
    assert path.stat().st_mode & 0o777 != 0o600  # not the private mode of a temporary file


def test_write_into_a_missing_folder_is_a_qdc_error(tmp_path):
    path = tmp_path / "no such folder" / "book.qdc"
    with pytest.raises(QdcError) as err:
        write_qdc([CodeNode("A")], path)
    assert str(path) in str(err.value)
    assert "folder exists" in str(err.value)


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ([], "has no codes"),
        ([CodeNode("Parent", children=[CodeNode("  ")])], "under 'Parent' has an empty name"),
        ([CodeNode("A", guid="not-a-guid")], "'not-a-guid', which is not a valid GUID"),
        ([CodeNode("A", guid=G1), CodeNode("B", guid=G1.upper())], "code 'B' has the same GUID"),
    ],
)
def test_write_refuses_what_would_make_an_invalid_codebook(tmp_path, codes, message):
    path = tmp_path / "out.qdc"
    with pytest.raises(QdcError) as err:
        write_qdc(codes, path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert not path.exists()


def test_qdc_error_is_a_fieldnotes_error():
    assert issubclass(QdcError, FieldnotesError)


# -- lenient reading --------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["urn:QDA-XML:codebook:1.0", "urn:QDA-XML:codebook:1:0",
                                       "urn:QDA-XML:codebook:0:4", None])
def test_namespace_variants_are_read_alike(tmp_path, namespace):
    path = qdc(tmp_path, f'<Code guid="{G1}" name="Parent" isCodable="true" color="#112233">'
                         f'<Description>About it.</Description>'
                         f'<Code guid="{G2}" name="Child" isCodable="true"/></Code>', namespace=namespace)
    assert read_qdc(path) == [
        CodeNode("Parent", description="About it.", colour="#112233", guid=G1, children=[CodeNode("Child", guid=G2)])
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#FF0000", "#FF0000"),
        ("#ff8000", "#FF8000"),
        ("#f00", "#FF0000"),
        ("255,0,0", "#FF0000"),
        (" 0, 128 ,255 ", "#0080FF"),
        ("rgb(255, 0, 0)", "#FF0000"),
        ("RGB(10,20,30)", "#0A141E"),
        ("rgba(255, 0, 0, 0.5)", "#FF0000"),
        ("255 255 0", "#FFFF00"),
        ("red", None),
        ("300,0,0", None),
        ("1,2", None),
        ("#12", None),
        ("#GG0000", None),
        ("", None),
    ],
)
def test_colour_spellings_are_normalised_or_dropped(tmp_path, raw, expected):
    path = qdc(tmp_path, f'<Code guid="{G1}" name="A" isCodable="true" color="{raw}"/>')
    assert only(read_qdc(path)).colour == expected


def test_empty_sets_element_is_accepted(tmp_path):
    path = tmp_path / "in.qdc"
    path.write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                    f'<Code guid="{G1}" name="A" isCodable="true"/></Codes><Sets/></CodeBook>', encoding="utf-8")
    assert read_qdc(path) == [CodeNode("A", guid=G1)]


def test_backslash_names_become_a_hierarchy_and_siblings_merge(tmp_path):
    path = qdc(tmp_path,
               f'<Code guid="{G1}" name="interesting\\places" isCodable="true" color="#00FF00">'
               f'<Description>Places.</Description></Code>'
               f'<Code guid="{G2}" name="interesting\\people" isCodable="true"/>'
               f'<Code guid="{G3}" name="interesting" isCodable="true"><Description>Parent.</Description></Code>'
               f'<Code guid="c56a4180-65aa-42ec-a945-5fd21dec0538" name="a\\\\b\\ " isCodable="true"/>')
    assert read_qdc(path) == [
        CodeNode("interesting", description="Parent.", guid=G3, children=[
            CodeNode("places", description="Places.", colour="#00FF00", guid=G1),
            CodeNode("people", guid=G2),
        ]),
        # Empty segments (doubled or trailing backslashes) are ignored.
        CodeNode("a", children=[CodeNode("b", guid="c56a4180-65aa-42ec-a945-5fd21dec0538")]),
    ]


def test_backslash_parent_without_its_own_code_has_no_guid(tmp_path):
    path = qdc(tmp_path, f'<Code guid="{G1}" name="top\\mid\\leaf" isCodable="true"/>')
    top = only(read_qdc(path))
    assert (top.name, top.guid) == ("top", None)
    mid = only(top.children)
    assert (mid.name, mid.guid) == ("mid", None)
    assert only(mid.children) == CodeNode("leaf", guid=G1)


@pytest.mark.parametrize("element", ["Note", "Notes"])
def test_note_is_read_as_the_description(tmp_path, element):
    path = qdc(tmp_path, f'<Code guid="{G1}" name="A" isCodable="true"><{element}>  A memo.  </{element}></Code>')
    assert only(read_qdc(path)).description == "A memo."


def test_project_style_note_with_plain_text_content_is_read(tmp_path):
    path = qdc(tmp_path, f'<Code guid="{G1}" name="A" isCodable="true"><Description>Short.</Description>'
                         f'<Note guid="{G2}"><PlainTextContent>Longer memo.</PlainTextContent></Note></Code>')
    assert only(read_qdc(path)).description == "Short.\n\nLonger memo."


def test_description_from_other_tools_is_split_leniently(tmp_path):
    text = "\n      Overall idea.\r\n\r\n\r\nExample: one\n\nInclude:two\n\nExample: three\n    "
    path = qdc(tmp_path, f'<Code guid="{G1}" name="A" isCodable="true"><Description>{text}</Description></Code>')
    node = only(read_qdc(path))
    assert (node.description, node.inclusion, node.exclusion, node.example) == (
        "Overall idea.", "two", "", "one\n\nthree")


@pytest.mark.parametrize("guid_attribute", ["", 'guid=""', 'guid="not-a-guid"', 'guid="1234"'])
def test_missing_or_invalid_guid_becomes_none(tmp_path, guid_attribute):
    path = qdc(tmp_path, f'<Code {guid_attribute} name="A" isCodable="true"/>')
    assert only(read_qdc(path)) == CodeNode("A", guid=None)


def test_braced_upper_case_guid_is_kept_as_written(tmp_path):
    path = qdc(tmp_path, f'<Code guid=" {G3} " name="A" isCodable="true"/>')
    assert only(read_qdc(path)).guid == G3


def test_duplicate_guid_keeps_the_first_and_clears_the_second(tmp_path):
    path = qdc(tmp_path, f'<Code guid="{G1}" name="First" isCodable="true">'
                         f'<Code guid="{G1.upper()}" name="Nested copy" isCodable="true"/></Code>'
                         f'<Code guid="{{{G1}}}" name="Braced copy" isCodable="true"/>'
                         f'<Code guid="{G2}" name="Other" isCodable="true"/>')
    first, braced, other = read_qdc(path)
    assert (first.name, first.guid) == ("First", G1)
    assert (first.children[0].name, first.children[0].guid) == ("Nested copy", None)
    assert (braced.name, braced.guid) == ("Braced copy", None)
    assert (other.name, other.guid) == ("Other", G2)


def test_slash_in_a_name_is_replaced_by_division_slash(tmp_path):
    path = qdc(tmp_path, f'<Code guid="{G1}" name="yes/no" isCodable="true"/>')
    assert only(read_qdc(path)).name == "yes\u2215no"


def test_empty_names_are_skipped_and_their_children_kept(tmp_path):
    path = qdc(tmp_path, f'<Code guid="{G1}" name="" isCodable="true">'
                         f'<Code guid="{G2}" name="Orphan" isCodable="true"/></Code>'
                         f'<Code guid="{G3}" name="   " isCodable="true"/>'
                         f'<Code isCodable="true"/>'
                         f'<Code guid="c56a4180-65aa-42ec-a945-5fd21dec0538" name="Kept" isCodable="true"/>')
    assert [(c.name, c.guid) for c in read_qdc(path)] == [
        ("Orphan", G2), ("Kept", "c56a4180-65aa-42ec-a945-5fd21dec0538")]


def test_missing_is_codable_and_surrounding_whitespace_in_names_are_fine(tmp_path):
    path = qdc(tmp_path, f'<Code guid="{G1}" name="  Spaced out \t"><Code guid="{G2}" name=" Inner "/></Code>')
    assert read_qdc(path) == [CodeNode("Spaced out", guid=G1, children=[CodeNode("Inner", guid=G2)])]


def test_same_named_siblings_are_merged(tmp_path):
    path = qdc(tmp_path, f'<Code name="A" isCodable="true"><Code guid="{G2}" name="x" isCodable="true"/></Code>'
                         f'<Code guid="{G1}" name="A" isCodable="true" color="#010203">'
                         f'<Description>From the second.</Description>'
                         f'<Code name="y" isCodable="true"/></Code>')
    assert read_qdc(path) == [CodeNode("A", description="From the second.", colour="#010203", guid=G1,
                                       children=[CodeNode("x", guid=G2), CodeNode("y")])]


def test_read_file_written_by_another_tool_with_prefixed_namespace(tmp_path):
    path = tmp_path / "in.qdc"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<qda:CodeBook xmlns:qda="urn:QDA-XML:codebook:1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="urn:QDA-XML:codebook:1.0 Codebook.xsd" origin="Other 1.2">\n'
        f'  <qda:Codes>\n    <qda:Code guid="{G1}" name="A" isCodable="false" color="#ABCDEF"/>\n'
        '  </qda:Codes>\n</qda:CodeBook>\n', encoding="utf-8")
    assert read_qdc(path) == [CodeNode("A", colour="#ABCDEF", guid=G1)]


# -- safety and errors ----------------------------------------------------------


def test_external_entity_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "xxe.qdc"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE CodeBook [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        f'<Code guid="{G1}" name="&secret;" isCodable="true"/></Codes></CodeBook>', encoding="utf-8")
    with pytest.raises(QdcError) as err:
        read_qdc(path)
    message = str(err.value)
    assert "DTD or entity declarations" in message
    assert "safety" in message
    assert str(path) in message
    assert "root:" not in message
    passwd = Path("/etc/passwd")
    if passwd.exists():
        first_line = passwd.read_text(errors="replace").splitlines()[0]
        assert first_line not in message


def test_billion_laughs_is_refused_quickly(tmp_path):
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    path = tmp_path / "bomb.qdc"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE CodeBook [' + "".join(entities) + "]>\n"
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        f'<Code guid="{G1}" name="&lol9;" isCodable="true"/></Codes></CodeBook>', encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(QdcError) as err:
        read_qdc(path)
    assert time.perf_counter() - started < 2
    assert "DTD or entity declarations" in str(err.value)


def test_internal_entity_without_doctype_use_is_still_refused(tmp_path):
    path = tmp_path / "dtd.qdc"
    path.write_text('<!DOCTYPE CodeBook>\n<CodeBook><Codes><Code guid="' + G1 + '" name="A"/></Codes></CodeBook>',
                    encoding="utf-8")
    with pytest.raises(QdcError, match="DTD or entity declarations"):
        read_qdc(path)


def test_malformed_xml_names_file_line_and_column(tmp_path):
    path = tmp_path / "broken.qdc"
    path.write_text('<?xml version="1.0"?>\n<CodeBook>\n  <Codes>\n    <Code name="A" <oops/>\n'
                    "</CodeBook>\n", encoding="utf-8")
    with pytest.raises(QdcError) as err:
        read_qdc(path)
    message = str(err.value)
    assert str(path) in message
    assert "not well-formed XML (line 4, column 20" in message
    assert "export the codebook again" in message


def test_empty_file_is_malformed(tmp_path):
    path = tmp_path / "empty.qdc"
    path.write_bytes(b"")
    with pytest.raises(QdcError, match=r"not well-formed XML \(line 1"):
        read_qdc(path)


def test_wrong_root_is_not_a_codebook(tmp_path):
    path = tmp_path / "notes.qdc"
    path.write_text('<?xml version="1.0"?><html><body>hi</body></html>', encoding="utf-8")
    with pytest.raises(QdcError) as err:
        read_qdc(path)
    message = str(err.value)
    assert f"{path} is not a REFI-QDA codebook: its root element is <html>" in message


def test_project_file_points_to_qdpx_import(tmp_path):
    path = tmp_path / "project.qde"
    path.write_text('<Project xmlns="urn:QDA-XML:project:1.0" name="P"><CodeBook><Codes/></CodeBook></Project>',
                    encoding="utf-8")
    with pytest.raises(QdcError) as err:
        read_qdc(path)
    assert "root element is <Project>" in str(err.value)
    assert "fieldnotes qdpx import" in str(err.value)


def test_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "huge.qdc"
    with path.open("wb") as handle:  # sparse: costs no disk space
        handle.truncate(MAX_BYTES + 1)
    with pytest.raises(QdcError) as err:
        read_qdc(path)
    assert str(path) in str(err.value)
    assert "more than the 50 MB" in str(err.value)


def test_missing_file_and_folder_are_qdc_errors(tmp_path):
    with pytest.raises(QdcError, match="does not exist"):
        read_qdc(tmp_path / "nope.qdc")
    with pytest.raises(QdcError, match="is a folder"):
        read_qdc(tmp_path)


def test_absurdly_deep_nesting_is_refused(tmp_path):
    path = qdc(tmp_path, '<Code name="x">' * 500 + "</Code>" * 500)
    with pytest.raises(QdcError, match="more than 100 levels deep"):
        read_qdc(path)


def test_codebook_without_codes_reads_as_empty(tmp_path):
    path = tmp_path / "in.qdc"
    path.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="x"/>', encoding="utf-8")
    assert read_qdc(path) == []

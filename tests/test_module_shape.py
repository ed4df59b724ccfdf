"""The shape of the analysis, export and exchange modules (issue 13, items 1,
5, 6 and 7): no private reach-ins into the project, no function too long to
read, one definition of each shared constant, no import from codebook/ into
export/. Read from the code itself (its syntax tree and import graph)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fieldnotes"
#: Packages whose functions must read in one screen.
SHAPED = ("analysis", "export", "exchange")
#: Lines of a function's body (its docstring left out) above which it must be
#: split into named steps.
MAX_BODY_LINES = 60


def _modules(*packages: str):
    for package in packages:
        for path in sorted((SRC / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    first = body[0]
    has_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    start = (body[1].lineno if len(body) > 1 else node.end_lineno) if has_docstring else first.lineno
    return node.end_lineno - start + 1


def test_no_function_in_analysis_export_or_exchange_is_too_long_to_read():
    long = [f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({_body_lines(node)} lines)"
            for path, tree in _modules(*SHAPED) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _body_lines(node) > MAX_BODY_LINES]
    assert not long, f"split these into named steps (over {MAX_BODY_LINES} lines): {long}"


def test_analysis_export_and_exchange_use_only_the_public_project_api():
    """``project._x`` (or ``self.project._x``) reaches past the API the
    services promise; a missing public method belongs in the service."""
    reach_ins = []
    for path, tree in _modules(*SHAPED):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
                continue
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if name in ("project", "proj"):
                reach_ins.append(f"{path.relative_to(SRC)}:{node.lineno} {name}.{node.attr}")
    assert not reach_ins, reach_ins


def test_codebook_files_do_not_import_the_export_layer():
    """Reading and writing codebooks needs safe file writing, not exports:
    that lives in a neutral module both use."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("fieldnotes")
    codebook = {m for m in graph.modules if m == "fieldnotes.codebook" or m.startswith("fieldnotes.codebook.")}
    direct = sorted((m, imported) for m in codebook for imported in graph.find_modules_directly_imported_by(m)
                    if imported == "fieldnotes.export" or imported.startswith("fieldnotes.export."))
    assert not direct, direct


def test_measures_and_units_have_one_definition_used_by_both_interfaces():
    from fieldnotes.analysis import agreement, cooccurrence, matrix
    from fieldnotes.cli import load_commands
    from fieldnotes.passages import UNITS as TEXT_UNITS
    from fieldnotes.tui.screens import matrix as matrix_screen

    assert matrix_screen.MEASURES is matrix.MEASURES

    def choices(*command: str, option: str) -> list[str]:
        group = load_commands()
        for name in command:
            group = group.commands[name]
        return list(next(p for p in group.params if p.name == option).type.choices)

    assert choices("export", "matrix", option="measure") == list(matrix.MEASURES)
    assert choices("export", "cooccurrence", option="unit") == list(cooccurrence.UNITS)
    assert choices("agreement", option="unit") == list(agreement.UNITS)
    # Agreement rates the units a selection expands to, and single characters.
    assert agreement.UNITS == ("character", *TEXT_UNITS)


def test_the_workspace_and_the_command_line_shade_a_cell_alike():
    """One heat scale for terminals: a cell at the same share of its table's
    range has the same background in the workspace's matrix and in the CLI."""
    from fieldnotes.analysis.table import RowHeader, Table
    from fieldnotes.cli.tables import rich_table
    from fieldnotes.tui.screens.matrix import _heat

    values = [1, 3, 5, 7, 9, 10]
    table = Table("t", [RowHeader("Caseload", "Caseload")], [str(v) for v in values], [values], corner="Code",
                  measure="passages")
    rendered = rich_table(table)
    for column, value in enumerate(values, start=1):
        cli_style = rendered.columns[column]._cells[0].style
        tui_style = _heat(value, max(values), False).style
        assert str(cli_style.bgcolor.name).lower() in str(tui_style).lower(), (value, cli_style, tui_style)

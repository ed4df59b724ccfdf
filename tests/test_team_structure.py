"""How the team package is put together (issue 13): one job per module, its
SQL in the query layer, no function too long to read at once, and one name
for the concept (no ``team.py`` beside ``team/``)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "fieldnotes"
TEAM = SRC / "team"


def _modules() -> dict[str, ast.Module]:
    assert TEAM.is_dir(), "fieldnotes.team should be a package"
    return {p.name: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(TEAM.glob("*.py"))}


def test_one_team_package_and_no_module_beside_it():
    assert not (SRC / "team.py").exists()
    assert {"copies.py", "merge.py", "consensus.py", "model.py"} <= set(_modules())


def test_team_modules_run_no_sql_of_their_own():
    """Statements go through fieldnotes.store.queries (team, coding,
    codebook, documents); the team modules never hold a cursor."""
    found = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("execute", "executemany", "executescript", "connect", "backup"):
                found.append(f"{name}:{node.lineno} {ast.unparse(node.func)}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.lstrip().upper().startswith(("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "PRAGMA ")):
                found.append(f"{name}:{node.lineno} {node.value[:40]!r}")
    assert found == []


def test_public_api_is_the_package_and_each_name_lives_in_one_module():
    import fieldnotes.team as team
    from fieldnotes.team import consensus, copies, merge, model

    homes = {"make_copy": copies, "check_copy": copies, "project_guid": copies, "merge_copies": merge,
             "disagreements": consensus, "settle": consensus, "consensus_coder": consensus,
             "CopyReport": model, "MergeReport": model, "Disagreement": model}
    assert sorted(team.__all__) == sorted(homes)
    for name, module in homes.items():
        assert getattr(team, name) is getattr(module, name)
        assert getattr(team, name).__module__ == module.__name__


def test_no_function_in_the_team_package_is_over_sixty_lines():
    long = [f"{name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for name, tree in _modules().items() for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60]
    assert long == []

"""How the pseudonymisation package is put together: one module per job,
no import cycles between its modules (function-level imports included), one
trie-regex builder and one text decoder shared by detection, clustering, the
leak checker and the importers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "fieldnotes"
PACKAGE = "fieldnotes.pseudonymise"


def _module_name(path: Path) -> str:
    parts = [p for p in path.relative_to(SRC.parent).with_suffix("").parts if p != "__init__"]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every fieldnotes.pseudonymise module ``path`` imports, at the top or
    inside a function, except under ``if TYPE_CHECKING`` (never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {id(n) for node in ast.walk(tree)
                 if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                 for stmt in node.body for n in ast.walk(stmt)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith(PACKAGE))
    return found


def test_no_import_cycles_inside_pseudonymise():
    modules = {_module_name(p): p for p in (SRC / "pseudonymise").rglob("*.py")}
    graph = {name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()}
    cycles = []
    for start in graph:
        stack = [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" -> ".join((*path, start)))
                elif nxt not in path:
                    stack.append((nxt, (*path, nxt)))
    assert not cycles, "\n".join(sorted(set(cycles)))


def test_no_pseudo_module_beside_the_package():
    """One name per concept: the project's pseudonymisation service lives in
    the package, not in a ``pseudo.py`` beside it."""
    assert not (SRC / "pseudo.py").exists()
    from fieldnotes.project import Project
    from fieldnotes.pseudonymise.service import PseudonymService

    assert Project.__init__.__module__ == "fieldnotes.project"
    assert PseudonymService.__module__ == "fieldnotes.pseudonymise.service"


def test_one_trie_builder_and_one_decoder_in_the_package():
    """Only forms.py builds a trie regex, and only the importers decode bytes
    of text (the leak checker calls them leniently)."""
    builders, decoders = [], []
    for path in (SRC / "pseudonymise").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and "trie" in node.name.split("_") and path.name != "forms.py":
                builders.append(f"{path.name}:{node.name}")
            if isinstance(node, ast.FunctionDef) and "decode" in node.name and "BOM_UTF" in ast.unparse(node):
                decoders.append(f"{path.name}:{node.name}")
    assert builders == [] and decoders == [], (builders, decoders)


def test_the_shared_trie_matches_longest_first_and_nothing_when_empty():
    from fieldnotes.pseudonymise.forms import trie_pattern

    pattern = re.compile(r"\b(?:" + trie_pattern(["Jo", "Jodie", "Jodie Mensah", "Mensah"]) + r")\b")
    assert pattern.findall("Jodie Mensah met Jo and Mensah; Jodie too.") == ["Jodie Mensah", "Jo", "Mensah", "Jodie"]
    assert re.search(trie_pattern([]), "anything") is None


def test_the_lenient_decoder_reads_what_the_strict_one_refuses():
    import pytest

    from fieldnotes.importers.base import ParseError
    from fieldnotes.importers.text import decode

    data = b"Siobh\xe1n\x00 said \x81hi\r\n"
    with pytest.raises(ParseError):
        decode(data)
    text, encoding, _ = decode(data, lenient=True)
    assert encoding == "cp1252" and text == "Siobhán\x00 said \ufffdhi\r\n"

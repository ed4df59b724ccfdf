"""YAML codebook files (the format of ``codebooks/*.yaml``)::

    fieldnotes_codebook: 1
    name: Social care workforce
    description: What the codebook is for.
    codes:
      - name: Caseload and time
        colour: "#E69F00"
        description: ...
        inclusion: ...
        exclusion: ...
        example: "..."
        children:
          - name: Caseload
            description: ...

Keys of a code: name (required), description, inclusion, exclusion, example,
colour (#RRGGBB), children. Names are unique among siblings and hold no "/".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fieldnotes.errors import FieldnotesError
from fieldnotes.output import write_atomically
from fieldnotes.model import CodeNode

FORMAT_VERSION = 1
_KEYS = ("name", "colour", "description", "inclusion", "exclusion", "example", "children")
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


class CodebookFileError(FieldnotesError):
    pass


def read_yaml(path: Path) -> tuple[dict[str, Any], list[CodeNode]]:
    """Read a YAML codebook: ``({name, description}, top-level codes)``."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise CodebookFileError(f"Cannot read {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise CodebookFileError(f"{path} is not UTF-8 text; save it as UTF-8.") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CodebookFileError(f"{path}{where}: {exc.problem or exc}. Fix the YAML and import again.") from None
    except yaml.YAMLError as exc:
        raise CodebookFileError(f"{path} is not valid YAML ({exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise CodebookFileError(f"{path} is not a fieldnotes codebook: it needs a top-level 'codes:' list.")
    version = data.get("fieldnotes_codebook", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CodebookFileError(f"{path} is codebook format {version}; this fieldnotes reads format {FORMAT_VERSION}.")
    problems: list[str] = []
    nodes = [_node(item, (), problems) for item in data["codes"]]
    _check_siblings(nodes, (), problems)
    if problems:
        listed = "; ".join(problems[:8]) + ("; ..." if len(problems) > 8 else "")
        raise CodebookFileError(f"{path}: {listed}.")
    meta = {"name": str(data.get("name") or path.stem), "description": str(data.get("description") or "")}
    return meta, [n for n in nodes if n is not None]


def _node(item: Any, parents: tuple[str, ...], problems: list[str]) -> CodeNode | None:
    where = "/".join(parents) or "top level"
    if not isinstance(item, dict):
        problems.append(f"a code under '{where}' is not a mapping with a name")
        return None
    name = item.get("name")
    if not isinstance(name, (str, int, float)) or not str(name).strip():
        problems.append(f"a code under '{where}' has no name")
        return None
    name = str(name).strip()
    path = "/".join((*parents, name))
    if "/" in name:
        problems.append(f"code '{path}': names cannot contain '/'")
    unknown = sorted(set(item) - set(_KEYS))
    if unknown:
        problems.append(f"code '{path}': unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(_KEYS)})")
    colour = item.get("colour")
    if colour is not None and not (isinstance(colour, str) and _COLOUR.match(colour)):
        problems.append(f"code '{path}': colour {colour!r} is not #RRGGBB")
        colour = None
    texts = {}
    for key in ("description", "inclusion", "exclusion", "example"):
        value = item.get(key)
        texts[key] = "" if value is None else str(value).strip()
    children = item.get("children") or []
    if not isinstance(children, list):
        problems.append(f"code '{path}': children must be a list")
        children = []
    node = CodeNode(name=name, colour=colour, **texts)
    node.children = [c for c in (_node(child, (*parents, name), problems) for child in children) if c is not None]
    return node


def _check_siblings(nodes: list[CodeNode | None], parents: tuple[str, ...], problems: list[str]) -> None:
    seen: set[str] = set()
    for node in nodes:
        if node is None:
            continue
        if node.name in seen:
            problems.append(f"code '{'/'.join((*parents, node.name))}' appears twice among its siblings")
        seen.add(node.name)
        _check_siblings(node.children, (*parents, node.name), problems)


def _as_dict(node: CodeNode) -> dict[str, Any]:
    data: dict[str, Any] = {"name": node.name}
    if node.colour:
        data["colour"] = node.colour
    for key in ("description", "inclusion", "exclusion", "example"):
        value = getattr(node, key)
        if value:
            data[key] = value
    if node.children:
        data["children"] = [_as_dict(c) for c in node.children]
    return data


def write_yaml(nodes: list[CodeNode], path: Path, *, name: str, description: str = "") -> None:
    """Write a YAML codebook (atomically: a temporary file, then a rename)."""
    import yaml

    data: dict[str, Any] = {"fieldnotes_codebook": FORMAT_VERSION, "name": name}
    if description:
        data["description"] = description
    data["codes"] = [_as_dict(n) for n in nodes]
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    write_atomically(path, text.encode("utf-8"))

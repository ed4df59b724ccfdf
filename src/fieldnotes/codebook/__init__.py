"""Codebook files: YAML and REFI-QDA .qdc."""

from __future__ import annotations

from pathlib import Path

from fieldnotes.errors import FieldnotesError


def read_codebook(path: Path):
    """Read a codebook file by its extension: ``.yaml``/``.yml`` or ``.qdc``.
    Returns the top-level :class:`~fieldnotes.model.CodeNode` list."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        from fieldnotes.codebook.yaml_io import read_yaml

        return read_yaml(path)[1]
    if suffix == ".qdc":
        from fieldnotes.exchange.qdc import read_qdc

        return read_qdc(path)
    raise FieldnotesError(f"{path}: a codebook file is .yaml or .qdc (REFI-QDA).")

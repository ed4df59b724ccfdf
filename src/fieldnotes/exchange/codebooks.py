"""Codebook files, chosen by extension: YAML (``.yaml``/``.yml``, for people
to read and edit) and REFI-QDA ``.qdc`` (for NVivo, ATLAS.ti, MAXQDA and
QualCoder). Both read to and write from :class:`~fieldnotes.model.CodeNode`
trees; ``project.codebook`` imports and lists them."""

from __future__ import annotations

from pathlib import Path

from fieldnotes.errors import FieldnotesError

#: File extensions of each codebook format.
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".qdc": "qdc"}


def codebook_format(path: Path, *, writing: bool = False) -> str:
    """``"yaml"`` or ``"qdc"`` by the extension of ``path``; any other is an
    error naming the file."""
    found = FORMATS.get(Path(path).suffix.lower())
    if found is None:
        if writing:
            raise FieldnotesError(f"{path}: export the codebook as .yaml or .qdc.")
        raise FieldnotesError(f"{path}: a codebook file is .yaml or .qdc (REFI-QDA).")
    return found


def read_codebook(path: Path):
    """Read a codebook file by its extension: ``.yaml``/``.yml`` or ``.qdc``.
    Returns the top-level :class:`~fieldnotes.model.CodeNode` list."""
    path = Path(path)
    if codebook_format(path) == "yaml":
        from fieldnotes.exchange.yaml_codebook import read_yaml

        return read_yaml(path)[1]
    from fieldnotes.exchange.qdc import read_qdc

    return read_qdc(path)


def write_codebook(path: Path, nodes, *, name: str) -> None:
    """Write the :class:`~fieldnotes.model.CodeNode` trees ``nodes`` to a
    codebook file chosen by the extension of ``path``: ``.yaml``/``.yml``
    (titled ``name``) or REFI-QDA ``.qdc``.

    Example::

        write_codebook(Path("codebook.qdc"), project.codebook.codebook_nodes(), name="Workforce study")
    """
    path = Path(path)
    if codebook_format(path, writing=True) == "yaml":
        from fieldnotes.exchange.yaml_codebook import write_yaml

        write_yaml(nodes, path, name=name)
        return
    from fieldnotes import __version__
    from fieldnotes.exchange.qdc import write_qdc

    write_qdc(nodes, path, origin=f"fieldnotes {__version__}")

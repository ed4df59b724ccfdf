"""The codebook: codes as the project API hands them out (``model``), the
tree rules (``tree``), the service behind ``project.codebook`` (``service``),
and codebook files, YAML and REFI-QDA .qdc, chosen by extension here."""

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
        from fieldnotes.codebook.yaml_io import read_yaml

        return read_yaml(path)[1]
    from fieldnotes.codebook.qdc import read_qdc

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
        from fieldnotes.codebook.yaml_io import write_yaml

        write_yaml(nodes, path, name=name)
        return
    from fieldnotes import __version__
    from fieldnotes.codebook.qdc import write_qdc

    write_qdc(nodes, path, origin=f"fieldnotes {__version__}")

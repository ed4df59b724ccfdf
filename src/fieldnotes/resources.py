"""Where shipped data (sample_data/, codebooks/) lives.

In a source checkout (and an editable install) they sit at the repository root;
in a wheel they are bundled under ``fieldnotes/_data/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """Return the folder ``name`` (``"sample_data"`` or ``"codebooks"``)."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"The shipped folder {name!r} is missing from this installation; "
        "reinstall fieldnotes from its repository."
    )

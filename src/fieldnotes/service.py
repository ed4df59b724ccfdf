"""What every part of the project API shares: the project it belongs to.

Each service (``project.codebook``, ``project.coding``, ...) is built by the
:class:`~fieldnotes.project.Project` with the project itself and reaches
the others through it (``self.project.coders``); none imports
``project.py``, which imports them all.
"""

from __future__ import annotations

from typing import Any


class Service:
    """A part of the project API, holding the project it belongs to."""

    def __init__(self, project: Any) -> None:
        self.project = project

    @property
    def conn(self):
        """The project's connection, for the query layer's functions."""
        return self.project.conn

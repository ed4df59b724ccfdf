"""Errors that speak to a researcher.

Every error the user can cause is a :class:`FieldnotesError` whose message says
what went wrong, with which file, line or code, and what to do next. The CLI
prints it on one line; the TUI shows it as a notification.
"""


class FieldnotesError(Exception):
    """A problem the user can act on (bad input, unknown name, wrong file)."""


class ProjectFileError(FieldnotesError):
    """The project file cannot be opened as a fieldnotes project."""


class PassphraseNeeded(ProjectFileError):
    """The project file is encrypted (or not SQLite at all) and no passphrase was given."""


class ImportFailed(FieldnotesError):
    """A file could not be imported; the message names the file and the reason."""

    def __init__(self, path, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class NotFound(FieldnotesError):
    """A document, code, case or attribute named by the user does not exist."""

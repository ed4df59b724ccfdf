"""The demo project: the shipped sample study, built once in the user's data
folder and reused."""

from __future__ import annotations

from pathlib import Path

from fieldnotes.model import ImportReport
from fieldnotes.resources import shipped


def demo_path() -> Path:
    """``demo.fnp`` in the platform's user data folder (``$XDG_DATA_HOME/fieldnotes`` on Linux)."""
    from platformdirs import user_data_path

    return user_data_path("fieldnotes", appauthor=False) / "demo.fnp"


def build_demo(path: Path, *, rebuild: bool = False) -> tuple[bool, ImportReport]:
    """Build the demo project at ``path`` unless it exists. Returns whether it
    was built and the import report. The build goes to a temporary file first,
    so an interrupted build never leaves a half-made demo behind."""
    from fieldnotes.project import Project

    if path.exists() and not rebuild:
        return False, ImportReport()
    from fieldnotes.store.db import checkpoint
    from fieldnotes.store.files import private_folder

    private_folder(path.parent)   # the demo's transcripts are (invented) identifiable data: owner-only
    sample = shipped("sample_data")
    partial = path.with_name(path.name + ".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    with Project.create(partial) as project:
        report = project.intake.import_paths([sample], manifest=sample / "manifest.csv")
        from fieldnotes.exchange.yaml_codebook import read_yaml

        project.codebook.import_codebook(read_yaml(shipped("codebooks") / "social-care-workforce.yaml")[1],
                                source="social-care-workforce.yaml")
        _case_attributes(project, sample / "cases.csv")
        checkpoint(project.conn)
    for old in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        old.unlink(missing_ok=True)
    partial.replace(path)
    return True, report


def _case_attributes(project, path: Path) -> None:
    """Attributes of the cases themselves (the role of each of the two people
    interviewed together), so their quotes are attributed each in their own
    words: ``case,NAME...`` rows, as 'fieldnotes cases set' would set them."""
    import csv

    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            case = (row.pop("case", "") or "").strip()
            for name, value in row.items():
                if case and name and value and value.strip():
                    project.attributes.set_case_attribute(case, name, value.strip())

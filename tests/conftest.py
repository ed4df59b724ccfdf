from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fieldnotes.project import Project

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep every test away from the real user's data and config folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("FIELDNOTES_CODER", "tester")


@pytest.fixture(scope="session")
def nlp():
    """The installed English spaCy pipeline, loaded once for the whole run
    (the test is skipped, with the loader's reason, when none is installed)."""
    from fieldnotes.pseudonymise.detect import load_pipeline

    loaded, message = load_pipeline()
    if loaded is None:
        pytest.skip(message)
    return loaded


@pytest.fixture
def project(tmp_path) -> Project:
    """A new, empty, migrated project file."""
    with Project.create(tmp_path / "study.fnp") as proj:
        yield proj


@pytest.fixture(scope="session")
def _sample_build(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.fnp"
    with Project.create(path) as proj:
        report = proj.intake.import_paths([SAMPLE], manifest=SAMPLE / "manifest.csv")
        assert not report.failed, [(o.path, o.message) for o in report.failed]
        proj.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def sample_project(_sample_build, tmp_path) -> Project:
    """A project built from sample_data/ with its manifest (a fresh copy per test)."""
    path = tmp_path / "sample.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as proj:
        yield proj


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


#: The passphrase of the encrypted projects that the parametrised tests make.
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(params=["plain", "encrypted"])
def store_kind(request, monkeypatch) -> str:
    """Run a test on a plain project and again on an encrypted one (the
    passphrase comes from FIELDNOTES_PASSPHRASE, as a script would give it)."""
    if request.param == "encrypted":
        monkeypatch.setenv("FIELDNOTES_PASSPHRASE", PASSPHRASE)
    return request.param


def init_args(kind: str) -> list[str]:
    """Extra arguments of ``fieldnotes init`` for a project of this kind."""
    return ["--encrypt"] if kind == "encrypted" else []


def passphrase_of(kind: str):
    from fieldnotes.store.cipher import Passphrase

    return Passphrase(PASSPHRASE) if kind == "encrypted" else None

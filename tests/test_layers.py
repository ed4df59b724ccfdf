"""Architecture and repository checks."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_project_api_does_not_import_textual_or_spacy():
    code = (
        "import sys, fieldnotes.project, fieldnotes.cli; "
        "bad = [m for m in ('textual', 'spacy') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    command = next(line for line in ci.splitlines() if line.startswith("TEST_COMMAND="))
    command = command.split("=", 1)[1].strip().strip("'\"")
    assert command in readme


def test_import_contracts_hold():
    """The layer contracts in pyproject.toml ([tool.importlinter]): domain and
    storage import no UI library; the workspace and the CLI never import
    storage directly. A new import across a layer fails here."""
    import subprocess
    import sys
    from pathlib import Path

    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


UI_PARTS = {"cli", "tui", "__main__"}


def test_every_domain_module_is_under_the_no_ui_library_contract():
    """A new module outside cli/ and tui/ must be listed in the contract, or
    it could import rich or textual unnoticed."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["name"].startswith("Domain and storage never import"))
    listed = set(contract["source_modules"])
    package = REPO / "src" / "fieldnotes"
    parts = {p.stem for p in package.glob("*.py")} | {p.name for p in package.iterdir()
                                                       if (p / "__init__.py").exists()}
    missing = sorted(f"fieldnotes.{p}" for p in parts - UI_PARTS if p != "__init__" and f"fieldnotes.{p}" not in listed)
    assert not missing, f"add to the contract in pyproject.toml: {missing}"


def test_developers_md_draws_the_import_graph_as_it_is():
    """DEVELOPERS.md's layer picture is generated from the imports
    (tools/import_graph.py); it fails here when the code moved on."""
    result = subprocess.run([sys.executable, str(REPO / "tools" / "import_graph.py"), "--check"],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr

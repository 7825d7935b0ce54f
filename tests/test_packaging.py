"""The built wheel installs into a fresh virtual environment and works there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def sh(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, (argv, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel and an sdist built from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    sh(sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", out, ROOT, cwd=ROOT)
    return out


def test_wheel_and_sdist_build(built: Path) -> None:
    """Both artifacts exist, carry py.typed, and the sdist has the tests and docs."""
    wheels = list(built.glob("statuskit-*.whl"))
    sdists = list(built.glob("statuskit-*.tar.gz"))
    assert len(wheels) == 1
    assert len(sdists) == 1
    import tarfile
    import zipfile

    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "statuskit/py.typed" in names
    assert "statuskit/orchestrator/simulate.py" in names
    with tarfile.open(sdists[0]) as archive:
        members = archive.getnames()
    assert any(m.endswith("tests/test_cli.py") for m in members)
    assert any(m.endswith("docs/cli.md") for m in members)


def test_installed_wheel_works(built: Path, tmp_path: Path) -> None:
    """In a fresh venv: --version, the demo without the TUI extra, the README example."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    wheel = next(built.glob("statuskit-*.whl"))
    sh(python, "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    clean["STATUSKIT_SIM_DELAY"] = "0.005"
    statuskit = env_dir / "bin" / "statuskit"
    assert '"version"' in sh(statuskit, "--version", cwd=tmp_path, env=clean)
    out = sh(
        statuskit,
        "demo",
        "--no-tui",
        "--scenario",
        "ok",
        "--dir",
        tmp_path / "demo",
        cwd=tmp_path,
        env=clean,
    )
    assert '"outcome": "complete"' in out
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.S)
    assert example is not None
    (tmp_path / "plan.md").write_text(
        "## Phase 1: A\n" + "".join(f"- [ ] 1.{i} Task {i}\n" for i in range(1, 6))
    )
    (tmp_path / "example.py").write_text(example.group(1))
    printed = sh(python, "example.py", cwd=tmp_path, env=clean)
    assert printed.splitlines() == ["20% done", "[('1.2', 1), ('1.3', 2)]"]

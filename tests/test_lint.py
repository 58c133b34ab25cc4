"""The code passes ruff and mypy (configured in pyproject.toml) — part of the test run, so CI enforces it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (python3 install.py --dev installs it)")
    paths = [p for p in ("core", "models", "plugin", "tests", "benchmarks", "examples", "install.py")
             if (ROOT / p).exists()]
    result = subprocess.run([ruff, "check", *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    """mypy passes with the project's [tool.mypy] config (the files it lists, in pyproject.toml)."""
    pytest.importorskip("mypy", reason="mypy is not installed (python3 install.py --dev installs it)")
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

"""The wheel installs into a fresh virtual environment and each package imports from it."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True,
    )
    (path,) = out.glob("stylecut-*.whl")
    return path


def test_wheel_contents(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("core", "models", "plugin"):
        assert f"stylecut/{package}/__init__.py" in names
        assert f"stylecut/{package}/py.typed" in names
    assert not any(n.startswith(("core/", "models/", "plugin/", "tests/")) for n in names)
    assert "stylecut/__init__.py" not in names  # a namespace over the three packages
    for shipped in sorted((ROOT / "models" / "styles").glob("*.json")):  # the shipped styles
        name = shipped.name.removesuffix(".json")
        assert {f"stylecut/models/styles/{name}.json", f"stylecut/models/styles/{name}.weights.h5"} <= names


def test_wheel_installs_and_imports_in_a_fresh_venv(wheel: Path, tmp_path: Path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        check=True,
    )
    # Dependencies (numpy, av, cv2, click) come from this environment's site-packages, added as
    # plain paths: the editable install's finder there is not activated.
    target_site = next(env_dir.glob("lib/python*/site-packages"))
    (target_site / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    code = (
        "import stylecut.core, stylecut.models, stylecut.plugin, stylecut.plugin.cli\n"
        "for m in (stylecut.core, stylecut.models, stylecut.plugin):\n"
        "    print(m.__file__)\n"
        "try:\n"
        "    import core\n"
        "except ImportError:\n"
        "    print('no-core')\n"
    )
    result = subprocess.run([str(python), "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[-1] == "no-core"
    for line in lines[:3]:
        assert line.startswith(str(env_dir)), line
    cli = subprocess.run([str(env_dir / "bin" / "stylecut"), "codecs"], capture_output=True,
                         text=True, cwd=tmp_path)
    assert cli.returncode == 0 and "prores" in cli.stdout


def test_core_never_imports_tensorflow_or_keras():
    code = ("import sys, stylecut.core, stylecut.core.testing, stylecut.models, stylecut.plugin.cli\n"
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _requirements() -> list[str]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return reqs


def test_every_dependency_has_an_upper_bound_that_admits_the_installed_version():
    """A new major release (e.g. opencv-python-headless 5.x) must not reach users untested."""
    from importlib import metadata

    requirements = pytest.importorskip("packaging.requirements")
    checked = 0
    for text in _requirements():
        req = requirements.Requirement(text)
        assert any(s.operator in ("<", "<=", "==", "~=") for s in req.specifier), \
            f"{text} has no upper bound"
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            continue  # an extra not installed here (e.g. the GPU flavour)
        assert req.specifier.contains(installed, prereleases=True), \
            f"{req.name} {installed} is installed but {text} excludes it"
        checked += 1
    assert checked >= 4  # at least the runtime dependencies are installed

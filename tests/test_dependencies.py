"""The tested dependency set: constraints.txt within pyproject's bounds, used by install.py."""

from __future__ import annotations

import importlib.util
from importlib import metadata
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")
requirements = pytest.importorskip("packaging.requirements")

ROOT = Path(__file__).resolve().parent.parent


def load_script(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def checker():
    return load_script(ROOT / "benchmarks" / "check_dependencies.py", "check_dependencies")


def declared() -> list:
    """Every requirement pyproject names (build system, runtime, every extra but ``gpu``)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = list(project["build-system"]["requires"]) + list(project["project"]["dependencies"])
    for extra, reqs in project["project"]["optional-dependencies"].items():
        if extra != "gpu":  # tensorflow[and-cuda]: not what CI installs
            names += reqs
    return [requirements.Requirement(text) for text in names]


def test_every_declared_dependency_is_pinned_within_its_bounds(checker):
    pins = checker.read_pins()
    assert len(pins) > 40
    for req in declared():
        name = checker.canonical(req.name)
        assert name in pins, f"{req.name} is declared in pyproject.toml but not pinned in constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {req.name}=={pins[name]}, outside pyproject's {req}")


def test_pins_apply_only_to_the_python_ci_tested():
    lines = [line for line in (ROOT / "constraints.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines and all(line.endswith('; python_version == "3.11"') for line in lines)


def test_installed_versions_are_within_the_declared_bounds():
    for req in declared():
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            continue  # an extra this environment does not have
        assert req.specifier.contains(version, prereleases=True), f"{req.name} {version} is outside {req}"


def test_install_uses_the_constraints_unless_latest(tmp_path):
    install = load_script(ROOT / "install.py", "install_script")
    python = tmp_path / "python"
    pinned = install.install_command(python, ["cpu", "dev"], latest=False)
    assert pinned[-2:] == ["-c", str(ROOT / "constraints.txt")]
    assert ".[cpu,dev]" in pinned
    assert "-c" not in install.install_command(python, ["cpu"], latest=True)
    assert install.parse_args(["--latest"]).latest and not install.parse_args([]).latest


def test_read_pins_ignores_comments_and_markers(checker, tmp_path):
    path = tmp_path / "c.txt"
    path.write_text('# header\nPySide6_Essentials==6.11.3 ; python_version == "3.11"\nnumpy==2.4.6\n\n')
    assert checker.read_pins(path) == {"pyside6-essentials": "6.11.3", "numpy": "2.4.6"}

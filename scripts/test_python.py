#!/usr/bin/env python3
"""Build the Python package and run its tests, from a fresh machine.

    python3 scripts/test_python.py            # build (dev profile) and run pytest
    python3 scripts/test_python.py -- -k numpy  # extra arguments go to pytest

1. creates ``python/.venv`` (gitignored) from the pinned ``python/requirements-test.txt``
   (again whenever that file changes) and re-executes itself inside it;
2. builds the extension with ``maturin develop`` (dev profile, installed editable into
   that environment); the Rust target directory is ``$CARGO_TARGET_DIR`` when set, else
   the workspace's ``target/``, so the wheel reuses what ``cargo`` built;
3. runs ``pytest python/tests`` and exits with its status (a run that collects no test
   fails).

Each step prints its duration on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from pinned_venv import reexec_in_venv

SCRIPT = Path(__file__).resolve()
REPO_ROOT = SCRIPT.parent.parent
PACKAGE = REPO_ROOT / "python"
VENV_DIR = PACKAGE / ".venv"
REQUIREMENTS = PACKAGE / "requirements-test.txt"

if __name__ == "__main__":
    if "-h" in sys.argv[1:2] or "--help" in sys.argv[1:2]:
        print(__doc__)
        sys.exit(0)
    reexec_in_venv(SCRIPT, VENV_DIR, REQUIREMENTS)


def step(name: str, command: list[str], **kwargs) -> int:
    print(f"=== {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    started = time.monotonic()
    status = subprocess.run(command, **kwargs).returncode
    print(f"=== {name}: {time.monotonic() - started:.0f} s (exit {status})", file=sys.stderr,
          flush=True)
    return status


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", str(REPO_ROOT / "target"))
    env["VIRTUAL_ENV"] = str(VENV_DIR)
    bin_dir = Path(sys.executable).parent
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    status = step("build", [str(bin_dir / "maturin"), "develop"], cwd=PACKAGE, env=env)
    if status != 0:
        sys.exit(status)
    status = step("pytest", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             *args], cwd=PACKAGE, env=env)
    sys.exit(status)


if __name__ == "__main__":
    main()

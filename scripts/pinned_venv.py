"""Runs a script inside its own virtual environment, built from a pinned requirements file.

The scripts of this folder need packages the machine's Python lacks (NumPy, pyarrow, ...).
Each calls :func:`reexec_in_venv` before importing them: it creates the environment on
first use, reinstalls whenever the requirements file changes (a hash is kept beside the
environment), and re-executes the script with the environment's interpreter.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path


def reexec_in_venv(script: Path, venv_dir: Path, requirements: Path) -> None:
    """Returns when already running inside `venv_dir`; otherwise builds it if needed and
    replaces this process with `script` run by its interpreter (same arguments)."""
    if Path(sys.prefix).resolve() == venv_dir.resolve():
        return
    python = venv_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    stamp = venv_dir / "requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True)
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        print(f"installing {requirements} into {venv_dir}", file=sys.stderr)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
             "-r", str(requirements)],
            check=True,
        )
        stamp.write_text(wanted + "\n")
    os.execv(str(python), [str(python), str(script), *sys.argv[1:]])

"""Shared fixtures: the repository's paths and the command line to compare with."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `chokepoint` binary: $CHOKEPOINT_BIN, else the repository's
    target/release or target/debug build. The comparison tests need it and
    fail (never skip) without it."""
    given = os.environ.get("CHOKEPOINT_BIN")
    candidates = [Path(given)] if given else [
        ROOT / "target" / "release" / "chokepoint",
        ROOT / "target" / "debug" / "chokepoint",
    ]
    for c in candidates:
        if c.is_file():
            return c
    found = shutil.which("chokepoint")
    if found:
        return Path(found)
    pytest.fail(
        "no chokepoint binary: build it (cargo build --release) or set CHOKEPOINT_BIN"
    )


def run_cli(cli: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(cli), *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )

"""Shared fixtures: the repository's paths and the command line to compare with."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
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


def python_child(script: str, *args: str) -> subprocess.Popen:
    """`script` in another Python process, its output captured as text."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def interrupt(child: subprocess.Popen) -> tuple[float, str]:
    """Sends Ctrl-C (SIGINT) to `child` and waits for it to end: the
    seconds it took and its stderr."""
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        raise
    took = time.monotonic() - sent
    return took, child.stderr.read() if child.stderr else ""

"""Typed stubs of the extension module built from python/src/lib.rs."""

from typing import Callable

def version() -> str: ...
def check(
    path: str,
    sets: list[str],
    seed: int | None = None,
    weeks: int | None = None,
    threads: int | None = None,
) -> str: ...
def apply_sets(path: str, sets: list[str]) -> None: ...
def run(
    path: str,
    sets: list[str],
    seed: int | None = None,
    weeks: int | None = None,
    threads: int | None = None,
) -> dict[str, bytes | str | float]: ...
def run_sweep(
    path: str,
    out: str | None = None,
    jobs: int | None = None,
    resume: bool = False,
    shard: str | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> str | None: ...
def sweep_manifest(dir: str) -> str: ...
def merge(dir: str) -> None: ...

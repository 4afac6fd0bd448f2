"""``build_console``: a real vite build with the venv's Node, skipped while nothing changed, and a failing step
named in the error."""

from __future__ import annotations

import os

import pytest

from infrastructure import console_build
from infrastructure.console_build import ConsoleBuildFailed, build_console


def test_a_build_writes_the_console_and_a_second_call_builds_nothing(tmp_path):
    dist = build_console(tmp_path / "dist")

    index = (dist / "index.html").read_text()
    scripts = sorted(path.name for path in (dist / "assets").glob("*.js"))
    assert dist == (tmp_path / "dist").resolve()
    assert len(scripts) == 1 and f"/assets/{scripts[0]}" in index
    built = (dist / "index.html").stat()
    assert build_console(tmp_path / "dist") == dist
    again = (dist / "index.html").stat()
    assert (again.st_ino, again.st_mtime_ns) == (built.st_ino, built.st_mtime_ns)


def test_a_source_newer_than_the_build_builds_again(tmp_path):
    dist = build_console(tmp_path / "dist")
    os.utime(dist / "index.html", ns=(0, 0))  # as if every source had changed since

    build_console(tmp_path / "dist")

    assert (dist / "index.html").stat().st_mtime_ns > 0


def test_a_failing_step_is_named_with_its_output(tmp_path, monkeypatch):
    monkeypatch.setattr(console_build, "VITE", console_build.VITE.parent / "missing.js")

    with pytest.raises(ConsoleBuildFailed, match=r"^`vite build` failed in console/ \(exit 1\):\n") as failure:
        build_console(tmp_path / "dist")

    assert "Cannot find module" in str(failure.value) and "missing.js" in str(failure.value)

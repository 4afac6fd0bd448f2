"""The shared layer as the stack bundles it (``LocalLayerBundler.try_bundle``), and the variants it is compared with.

Every variant is a directory laid out as Lambda mounts it, made read-only as Lambda mounts it:

- ``shipped``: what the stack now ships, the bundler's own output (compiled, hash-based bytecode, boto3 inside);
- ``before``: the same layer without its bytecode: what the bundler shipped before (``--no-compile``; the console
  scripts and RECORD files it also had are read by no import);
- ``precompiled``: ``before`` compiled in place by a plain ``python3.12 -m compileall`` (the reference);
- ``runtime_sdk``: ``shipped`` without the SDK, which sits in a second directory as the Lambda runtime's
  ``/var/runtime`` does (the same pinned versions, compiled): what relying on the runtime's boto3 would run.

Builds are cached per architecture for the whole ``python -m bench`` run and removed at exit.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from bench._environment import REPO_ROOT
from infrastructure.layer_bundling import (
    PACKAGE_NAME,
    WHEEL_PLATFORMS,
    LayerBuild,
    LocalLayerBundler,
    find_bytecode_python,
)

# What the Lambda runtime provides next to boto3 (its dependency closure): what a layer relying on it leaves out.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")
RUNTIME_SDK_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python_dateutil", "six", "urllib3")
MIB = 1024 * 1024


class LayerVariants:
    """One architecture's layer and its variants, each built on first use; ``python`` compiled the layer."""

    def __init__(self, architecture: str) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="cloudivize-layer-bench-"))
        atexit.register(_remove, self.work)
        build = LayerBuild(platforms=WHEEL_PLATFORMS[architecture])
        self.python = find_bytecode_python(build)  # the CPython 3.12 that compiles, and runs every sample
        bundler = LocalLayerBundler(REPO_ROOT / "layers" / PACKAGE_NAME, REPO_ROOT / "requirements.txt", build)
        bundler.try_bundle(str(self.work / "shipped"), None)
        self.shipped = _read_only(self.work / "shipped" / "python")  # each: the layer's python/ (/opt/python)

    @functools.cached_property
    def before(self) -> Path:
        before = self.work / "before" / "python"
        shutil.copytree(self.shipped, before, ignore=shutil.ignore_patterns("__pycache__"))
        return _read_only(before)

    @functools.cached_property
    def precompiled(self) -> Path:
        precompiled = self.work / "precompiled" / "python"
        _writable(shutil.copytree(self.before, precompiled))
        subprocess.run(  # noqa: S603 - the interpreter found above, compiling our own copy
            [self.python, "-I", "-m", "compileall", "-q", "-j", "0", str(precompiled)], check=True
        )
        return _read_only(precompiled)

    @functools.cached_property
    def runtime_sdk(self) -> Path:
        """The layer without the SDK; the SDK itself is in ``runtime`` (``/var/runtime``), compiled."""
        runtime_sdk = self.work / "runtime_sdk" / "python"
        _writable(shutil.copytree(self.shipped, runtime_sdk))
        runtime = self.work / "runtime_sdk" / "runtime"
        runtime.mkdir()
        for name in RUNTIME_SDK:
            shutil.move(runtime_sdk / name, runtime / name)
        for distribution in RUNTIME_SDK_DISTRIBUTIONS:
            for info in runtime_sdk.glob(f"{distribution}-*.dist-info"):
                shutil.move(info, runtime / info.name)
        _read_only(runtime)
        return _read_only(runtime_sdk)

    @property
    def runtime(self) -> Path:
        return self.runtime_sdk.parent / "runtime"


def unzipped_mib(*roots: Path) -> float:
    """What Lambda counts against the unzipped limit: the bytes of every file."""
    return sum(path.stat().st_size for root in roots for path in root.rglob("*") if path.is_file()) / MIB


@functools.cache
def layer_variants(architecture: str) -> LayerVariants:
    return LayerVariants(architecture)


@functools.cache
def read_only_code_dir(function: str) -> Path:
    """A function's code as Lambda mounts it (``/var/task``): a read-only copy of ``functions/<name>/``."""
    work = Path(tempfile.mkdtemp(prefix=f"cloudivize-task-{function}-"))
    atexit.register(_remove, work)
    task = work / "task"
    shutil.copytree(REPO_ROOT / "functions" / function, task, ignore=shutil.ignore_patterns("__pycache__"))
    return _read_only(task)


def _read_only(root: Path) -> Path:
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return root


def _writable(root: Path) -> Path:
    """A copy of a read-only tree can be changed again (copies keep the modes)."""
    for directory, _, _ in os.walk(root):
        Path(directory).chmod(0o755)
    return root


def _remove(root: Path) -> None:
    shutil.rmtree(_writable(root), ignore_errors=True)

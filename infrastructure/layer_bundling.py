"""The shared Lambda layer (``layers/cloudivize`` + ``requirements.txt``), bundled without Docker, with its bytecode.

CDK asks a local bundler first; ours installs the pinned runtime set as manylinux wheels for CPython 3.12 (the
Lambda runtime, whatever Python runs the synth), copies the ``cloudivize`` package next to it and compiles every
module with a CPython 3.12 interpreter. Lambda mounts a layer read-only, so a layer without bytecode is compiled
again on every cold start (docs/performance.md has the cost), and bytecode of another Python
version is ignored there. The bytecode is hash-based and unchecked (no source mtimes in it): the same inputs give
the same asset. The Docker image in ``BundlingOptions`` is a formality CDK requires; it is used only if
``try_bundle`` returned False, which it never does: without a 3.12 interpreter the synth stops, saying so.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from py_compile import PycInvalidationMode

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

PACKAGE_NAME = "cloudivize"
PYTHON_VERSION = "3.12"  # must match the functions' runtime
# pip platform tags of each Lambda architecture; the stack's functions run on ARM_64.
WHEEL_PLATFORMS = {
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
}
PLATFORMS = WHEEL_PLATFORMS["arm64"]  # must match the functions' ARM_64
LAYER_MOUNT = "/opt/python"  # where Lambda mounts the layer's python/ directory
IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
IGNORED_SUFFIXES = {".pyc", ".pyo"}
# Left out of what pip installs: the dependencies' console scripts (their first line names the build machine's
# Python, and nothing in Lambda runs them) and the installer's RECORD files, which list those scripts' hashes.
# Both would make the asset differ from one machine to another; no import reads them.
EXCLUDED_FROM_INSTALL = ("bin", "*.dist-info/RECORD")


@dataclass(frozen=True)
class LayerBuild:
    """How the layer content is made from its inputs. It is part of the asset hash: a change rebuilds the layer."""

    platforms: tuple[str, ...] = PLATFORMS
    python_version: str = PYTHON_VERSION
    invalidation_mode: PycInvalidationMode = PycInvalidationMode.UNCHECKED_HASH
    mount: str = LAYER_MOUNT  # the file names compiled into the bytecode (tracebacks name the files Lambda runs)

    @property
    def cache_tag(self) -> str:
        """The bytecode tag the runtime loads (``cpython-312``: ``__pycache__/x.cpython-312.pyc``)."""
        return f"cpython-{self.python_version.replace('.', '')}"

    def fingerprint(self) -> bytes:
        return (
            f"python{self.python_version}\0{','.join(self.platforms)}\0"
            f"bytecode={self.cache_tag},{self.invalidation_mode.name},optimize=0,prefix={self.mount}\0"
            f"excluded={','.join(EXCLUDED_FROM_INSTALL)}\0"
        ).encode()


class BytecodeCompilerNotFound(RuntimeError):
    """No interpreter of the runtime's Python version: the layer would ship no usable bytecode."""


def _is_source_file(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    return path.is_file() and not IGNORED_PARTS.intersection(relative.parts) and path.suffix not in IGNORED_SUFFIXES


def layer_source_hash(layers_dir: Path, requirements: Path, build: LayerBuild | None = None) -> str:
    """A hash of everything that goes into the layer: the pinned requirements, the package sources, how it is built.

    The asset hash must change when any of them changes, and only then (``__pycache__`` does not count).
    """
    digest = hashlib.sha256()
    digest.update(b"requirements\0")
    digest.update(requirements.read_bytes())
    digest.update(b"\0" + (build or LayerBuild()).fingerprint())
    for path in sorted(p for p in layers_dir.rglob("*") if _is_source_file(p, layers_dir)):
        digest.update(path.relative_to(layers_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def bytecode_python_candidates(version: str = PYTHON_VERSION) -> list[str]:
    """Where a CPython of the runtime's version is looked for, in the Makefile's order (this one first if it fits)."""
    candidates = [sys.executable] if f"{sys.version_info.major}.{sys.version_info.minor}" == version else []
    candidates.append(f"python{version}")
    pyenv = sorted(
        (Path.home() / ".pyenv" / "versions").glob(f"{version}*/bin/python{version}"),
        key=lambda path: [int(part) for part in re.findall(r"\d+", path.parents[1].name)],
        reverse=True,  # the newest patch release first
    )
    candidates.extend(str(path) for path in pyenv)
    candidates.append(f"/usr/local/bin/python{version}")
    return candidates


def find_bytecode_python(build: LayerBuild | None = None, candidates: Iterable[str] | None = None) -> str:
    """The first candidate that runs and whose bytecode tag is the runtime's; raises if there is none."""
    build = build or LayerBuild()
    tried = list(bytecode_python_candidates(build.python_version) if candidates is None else candidates)
    for candidate in tried:
        executable = shutil.which(candidate)
        if executable is None:
            continue
        try:
            probe = subprocess.run(  # noqa: S603 - an interpreter from the fixed candidate list
                [executable, "-I", "-c", "import sys; print(sys.implementation.cache_tag)"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0 and probe.stdout.strip() == build.cache_tag:
            return executable
    raise BytecodeCompilerNotFound(
        f"No CPython {build.python_version} interpreter found to compile the layer's bytecode "
        f"(tried: {', '.join(tried) or 'nothing'}). The Lambda runtime is Python {build.python_version}: it ignores "
        "bytecode of another version, and a layer without bytecode is compiled again on every cold start. "
        f"Install Python {build.python_version} (e.g. `pyenv install {build.python_version}`) and synthesize again."
    )


def pip_install_command(requirements: Path, target: Path, build: LayerBuild | None = None) -> list[str]:
    build = build or LayerBuild()
    platforms = [arg for platform in build.platforms for arg in ("--platform", platform)]
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-qq",  # errors only: a machine-wide pip.conf may add noisy index warnings
        "--disable-pip-version-check",
        "--no-compile",  # compiled afterwards, by the runtime's Python version and without timestamps
        "--target",
        str(target),
        *platforms,
        "--implementation",
        "cp",
        "--python-version",
        build.python_version,
        "--only-binary=:all:",
        "-r",
        str(requirements),
    ]


def compile_command(python: str, target: Path, build: LayerBuild | None = None) -> list[str]:
    """``compileall`` over the whole layer, in place: ``__pycache__/<module>.cpython-312.pyc`` beside each module."""
    build = build or LayerBuild()
    return [
        python,
        "-I",  # no PYTHON* variables (PYTHONDONTWRITEBYTECODE, PYTHONPATH) from the synth's environment
        "-m",
        "compileall",
        "-q",  # errors only; a module that does not compile fails the bundling
        "-j",
        "0",
        "--invalidation-mode",
        build.invalidation_mode.name.lower().replace("_", "-"),
        "-s",
        str(target),  # the bundling directory's path is not compiled in ...
        "-p",
        build.mount,  # ... the path Lambda runs the files from is
        str(target),
    ]


def remove_excluded(target: Path) -> None:
    for pattern in EXCLUDED_FROM_INSTALL:
        for path in target.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


@jsii.implements(ILocalBundling)
class LocalLayerBundler:
    """Builds the layer content on this machine: ``<out>/python/`` = wheels + the ``cloudivize`` package, compiled."""

    def __init__(
        self,
        package_dir: Path,
        requirements: Path,
        build: LayerBuild | None = None,
        *,
        python_candidates: Iterable[str] | None = None,  # None: bytecode_python_candidates()
    ) -> None:
        self.package_dir = package_dir
        self.requirements = requirements
        self.build = build or LayerBuild()
        self.python_candidates = None if python_candidates is None else tuple(python_candidates)

    def try_bundle(self, output_dir: str, options: object) -> bool:  # options: the Docker settings, unused
        python = find_bytecode_python(self.build, self.python_candidates)  # before any download: fail fast
        target = Path(output_dir) / "python"
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(pip_install_command(self.requirements, target, self.build), check=True)  # noqa: S603
        remove_excluded(target)
        shutil.copytree(
            self.package_dir,
            target / PACKAGE_NAME,
            ignore=shutil.ignore_patterns(*IGNORED_PARTS, *(f"*{suffix}" for suffix in IGNORED_SUFFIXES)),
            dirs_exist_ok=True,
        )
        subprocess.run(compile_command(python, target, self.build), check=True)  # noqa: S603
        return True


class SharedLayer(Construct):
    """The ``cloudivize`` package and its pinned dependencies (boto3 included), for Python 3.12 on arm64."""

    def __init__(self, scope: Construct, construct_id: str, *, repo_root: Path) -> None:
        super().__init__(scope, construct_id)
        layers_dir = repo_root / "layers"
        requirements = repo_root / "requirements.txt"
        build = LayerBuild()
        bundler = LocalLayerBundler(layers_dir / PACKAGE_NAME, requirements, build)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            description="Cloudivize shared code (cloudivize package) and its pinned runtime dependencies",
            code=lambda_.Code.from_asset(
                str(layers_dir),
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=layer_source_hash(layers_dir, requirements, build),
                bundling=BundlingOptions(
                    # Never pulled: the local bundler always succeeds or raises.
                    image=lambda_.Runtime.PYTHON_3_12.bundling_image,
                    local=bundler,
                ),
            ),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_12],
            compatible_architectures=[lambda_.Architecture.ARM_64],
        )

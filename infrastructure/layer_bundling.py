"""The shared Lambda layer (``layers/cloudivize`` + ``requirements.txt``), bundled without Docker.

CDK asks a local bundler first; ours installs the pinned runtime set as manylinux aarch64 wheels for CPython
3.12 (the Lambda runtime, whatever Python runs the synth) and copies the ``cloudivize`` package next to it.
The Docker image in ``BundlingOptions`` is a formality CDK requires; it is used only if ``try_bundle``
returned False, which it never does.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

PACKAGE_NAME = "cloudivize"
PYTHON_VERSION = "3.12"  # must match the functions' runtime
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")  # must match the functions' ARM_64
IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
IGNORED_SUFFIXES = {".pyc", ".pyo"}


def _is_source_file(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    return path.is_file() and not IGNORED_PARTS.intersection(relative.parts) and path.suffix not in IGNORED_SUFFIXES


def layer_source_hash(layers_dir: Path, requirements: Path) -> str:
    """A hash of everything that goes into the layer: the pinned requirements and the package sources.

    The asset hash must change when either changes, and only then (``__pycache__`` does not count).
    """
    digest = hashlib.sha256()
    digest.update(b"requirements\0")
    digest.update(requirements.read_bytes())
    digest.update(f"\0python{PYTHON_VERSION}\0{','.join(PLATFORMS)}\0".encode())
    for path in sorted(p for p in layers_dir.rglob("*") if _is_source_file(p, layers_dir)):
        digest.update(path.relative_to(layers_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def pip_install_command(requirements: Path, target: Path) -> list[str]:
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-qq",  # errors only: a machine-wide pip.conf may add noisy index warnings
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        *platforms,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "-r",
        str(requirements),
    ]


@jsii.implements(ILocalBundling)
class LocalLayerBundler:
    """Builds the layer content on this machine: ``<out>/python/`` = wheels + the ``cloudivize`` package."""

    def __init__(self, package_dir: Path, requirements: Path) -> None:
        self.package_dir = package_dir
        self.requirements = requirements

    def try_bundle(self, output_dir: str, options: object) -> bool:  # options: the Docker settings, unused
        target = Path(output_dir) / "python"
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(pip_install_command(self.requirements, target), check=True)  # noqa: S603
        shutil.copytree(
            self.package_dir,
            target / PACKAGE_NAME,
            ignore=shutil.ignore_patterns(*IGNORED_PARTS, *(f"*{suffix}" for suffix in IGNORED_SUFFIXES)),
            dirs_exist_ok=True,
        )
        return True


class SharedLayer(Construct):
    """The ``cloudivize`` package and its pinned dependencies, for Python 3.12 on arm64."""

    def __init__(self, scope: Construct, construct_id: str, *, repo_root: Path) -> None:
        super().__init__(scope, construct_id)
        layers_dir = repo_root / "layers"
        requirements = repo_root / "requirements.txt"
        bundler = LocalLayerBundler(layers_dir / PACKAGE_NAME, requirements)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            description="Cloudivize shared code (cloudivize package) and its pinned runtime dependencies",
            code=lambda_.Code.from_asset(
                str(layers_dir),
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=layer_source_hash(layers_dir, requirements),
                bundling=BundlingOptions(
                    # Never pulled: the local bundler always succeeds or raises.
                    image=lambda_.Runtime.PYTHON_3_12.bundling_image,
                    local=bundler,
                ),
            ),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_12],
            compatible_architectures=[lambda_.Architecture.ARM_64],
        )

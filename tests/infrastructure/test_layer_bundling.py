"""The shared layer is bundled without Docker, for CPython 3.12 on arm64."""

from __future__ import annotations

from pathlib import Path

from infrastructure.layer_bundling import LocalLayerBundler, layer_source_hash, pip_install_command

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO_ROOT / "requirements.txt"


def _layers(tmp_path: Path) -> Path:
    package = tmp_path / "layers" / "cloudivize"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""temporary package for the bundling test"""\n')
    return tmp_path / "layers"


def test_asset_hash_follows_requirements_and_sources_but_not_bytecode(tmp_path):
    layers = _layers(tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pydantic==2.14.4\n")
    original = layer_source_hash(layers, requirements)

    (layers / "cloudivize" / "__pycache__").mkdir()
    (layers / "cloudivize" / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"\0")
    assert layer_source_hash(layers, requirements) == original

    (layers / "cloudivize" / "crypto.py").write_text("X = 1\n")
    with_source = layer_source_hash(layers, requirements)
    assert with_source != original

    requirements.write_text("pydantic==2.14.5\n")
    assert layer_source_hash(layers, requirements) != with_source


def test_pip_targets_cpython_312_aarch64_wheels_only(tmp_path):
    command = pip_install_command(REQUIREMENTS, tmp_path)
    assert command[1:4] == ["-m", "pip", "install"]
    assert "--only-binary=:all:" in command
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--implementation") + 1] == "cp"
    platforms = {command[i + 1] for i, arg in enumerate(command) if arg == "--platform"}
    assert platforms and all(p.endswith("_aarch64") for p in platforms)


def test_local_bundling_builds_the_layer_for_arm64(tmp_path):
    # Given the real requirements and a package source / When bundled locally (downloads from PyPI, ~30 s)
    layers = _layers(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    assert LocalLayerBundler(layers / "cloudivize", REQUIREMENTS).try_bundle(str(out), None) is True
    # Then the layer has the package and aarch64 binaries (never the machine's own architecture)
    python = out / "python"
    assert (python / "cloudivize" / "__init__.py").is_file()
    assert list(python.glob("pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu.so"))
    assert not list(python.rglob("*x86_64*.so"))
    assert (python / "cryptography").is_dir() and (python / "aws_encryption_sdk").is_dir()

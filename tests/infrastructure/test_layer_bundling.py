"""The shared layer is bundled without Docker, for CPython 3.12 on arm64, with the bytecode the runtime loads."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from py_compile import PycInvalidationMode

import pytest

import infrastructure.layer_bundling as layer_bundling
from infrastructure.layer_bundling import (
    LAYER_MOUNT,
    WHEEL_PLATFORMS,
    BytecodeCompilerNotFound,
    LayerBuild,
    LocalLayerBundler,
    find_bytecode_python,
    layer_source_hash,
    pip_install_command,
)
from infrastructure.stack import build_app

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO_ROOT / "requirements.txt"
UNCHECKED_HASH_FLAGS = 0b01  # PEP 552: hash-based, source not checked


def _layers(tmp_path: Path) -> Path:
    package = tmp_path / "layers" / "cloudivize"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""temporary package for the bundling test"""\n')
    (package / "store").mkdir()
    (package / "store" / "__init__.py").write_text("KIND = 'tenant'\n")
    return tmp_path / "layers"


def _interpreter(tmp_path: Path, name: str, script: str) -> str:
    """A stand-in interpreter: a shell script answering the cache-tag probe as a real one would."""
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return str(path)


def _pin(requirements: Path, name: str) -> str:
    return re.search(rf"^{name}==(\S+)$", requirements.read_text(), re.MULTILINE).group(1)


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _pyc_of(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"


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


def test_asset_hash_follows_how_the_layer_is_built(tmp_path):
    layers = _layers(tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pydantic==2.14.4\n")
    shipped = layer_source_hash(layers, requirements, LayerBuild())

    assert layer_source_hash(layers, requirements) == shipped  # the default is what the stack ships
    others = {
        layer_source_hash(layers, requirements, build)
        for build in (
            LayerBuild(invalidation_mode=PycInvalidationMode.CHECKED_HASH),
            LayerBuild(invalidation_mode=PycInvalidationMode.TIMESTAMP),
            LayerBuild(platforms=WHEEL_PLATFORMS["x86_64"]),
            LayerBuild(python_version="3.13"),
            LayerBuild(mount="/var/task"),
        )
    }
    assert len(others) == 5 and shipped not in others


def test_pip_targets_cpython_312_aarch64_wheels_only_and_never_compiles(tmp_path):
    command = pip_install_command(REQUIREMENTS, tmp_path)
    assert command[1:4] == ["-m", "pip", "install"]
    assert "--only-binary=:all:" in command
    assert "--no-compile" in command  # pip would compile with its own Python, stamped with mtimes
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--implementation") + 1] == "cp"
    platforms = {command[i + 1] for i, arg in enumerate(command) if arg == "--platform"}
    assert platforms and all(p.endswith("_aarch64") for p in platforms)


def test_boto3_and_botocore_are_pinned_to_one_release():
    assert _pin(REQUIREMENTS, "boto3") == _pin(REQUIREMENTS, "botocore")


def test_the_bytecode_compiler_is_a_cpython_312():
    python = find_bytecode_python()

    tag = subprocess.run(  # noqa: S603
        [python, "-c", "import sys; print(sys.implementation.cache_tag)"], capture_output=True, text=True, check=True
    ).stdout
    assert tag.strip() == "cpython-312"


def test_the_compiler_search_passes_over_what_is_missing_fails_or_is_another_version(tmp_path):
    missing = str(tmp_path / "python3.12")
    failing = _interpreter(tmp_path, "shim", "exit 127")  # like a pyenv shim with no 3.12 behind it
    other_version = _interpreter(tmp_path, "python3.11", "echo cpython-311")
    right = _interpreter(tmp_path, "python3.12-real", "echo cpython-312")

    assert find_bytecode_python(candidates=[missing, failing, other_version, right]) == right


def test_without_a_312_interpreter_the_search_says_what_it_tried_and_what_to_do(tmp_path):
    other_version = _interpreter(tmp_path, "python3.11", "echo cpython-311")

    with pytest.raises(BytecodeCompilerNotFound) as raised:
        find_bytecode_python(candidates=["python3.12-not-on-path", other_version])

    message = str(raised.value)
    assert message.startswith("No CPython 3.12 interpreter found to compile the layer's bytecode")
    assert f"(tried: python3.12-not-on-path, {other_version})" in message
    assert "Install Python 3.12" in message


def test_without_a_312_interpreter_bundling_stops_before_downloading_anything(tmp_path):
    layers = _layers(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    bundler = LocalLayerBundler(
        layers / "cloudivize", REQUIREMENTS, python_candidates=[_interpreter(tmp_path, "py", "echo cpython-311")]
    )

    with pytest.raises(BytecodeCompilerNotFound):
        bundler.try_bundle(str(out), None)
    assert list(out.iterdir()) == []


def test_without_a_312_interpreter_the_synth_fails_naming_it(monkeypatch, tmp_path):
    monkeypatch.setattr(layer_bundling, "bytecode_python_candidates", lambda version: [str(tmp_path / "none")])

    with pytest.raises(RuntimeError, match=r"No CPython 3\.12 interpreter found to compile the layer's bytecode"):
        build_app(outdir=str(tmp_path / "cdk.out"))  # bundling on, as `cdk synth` runs it


def test_two_bundles_of_the_same_inputs_are_byte_identical(tmp_path):
    # Given a small pinned set (jmespath brings a console script and a RECORD) bundled into two unrelated paths
    layers = _layers(tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("jmespath==1.1.0\n")
    bundles = []
    for _ in range(2):
        out = Path(tempfile.mkdtemp(dir=tmp_path))
        LocalLayerBundler(layers / "cloudivize", requirements).try_bundle(str(out), None)
        bundles.append(_files(out / "python"))

    # Then every file, bytecode included, is the same byte for byte
    first, second = bundles
    assert first == second
    assert "jmespath/__pycache__/parser.cpython-312.pyc" in first
    assert "cloudivize/store/__pycache__/__init__.cpython-312.pyc" in first


@pytest.fixture(scope="module")
def bundled_layer(tmp_path_factory) -> Path:
    """The real requirements and a package source, bundled as the stack does (downloads from PyPI, ~30 s)."""
    tmp_path = tmp_path_factory.mktemp("layer")
    layers = _layers(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    assert LocalLayerBundler(layers / "cloudivize", REQUIREMENTS).try_bundle(str(out), None) is True
    return out / "python"


def test_local_bundling_builds_the_layer_for_arm64(bundled_layer):
    # The layer has the package and aarch64 binaries (never the machine's own architecture)
    assert (bundled_layer / "cloudivize" / "__init__.py").is_file()
    assert list(bundled_layer.glob("pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu.so"))
    assert not list(bundled_layer.rglob("*x86_64*.so"))
    assert (bundled_layer / "cryptography").is_dir() and (bundled_layer / "aws_encryption_sdk").is_dir()


def test_every_module_of_the_package_and_its_dependencies_has_cpython_312_bytecode(bundled_layer):
    sources = sorted(bundled_layer.rglob("*.py"))
    assert len(sources) > 1000  # the whole runtime set, not only the package
    assert [source for source in sources if not _pyc_of(source).is_file()] == []
    assert {pyc.name.split(".")[-2] for pyc in bundled_layer.rglob("*.pyc")} == {"cpython-312"}


def test_the_bytecode_is_unchecked_hash_based_for_312_and_names_the_files_lambda_runs(bundled_layer):
    python = find_bytecode_python()
    pyc = _pyc_of(bundled_layer / "cloudivize" / "store" / "__init__.py")
    header = pyc.read_bytes()[:16]
    probe = (
        "import importlib.util, marshal, sys; data = open(sys.argv[1], 'rb').read(); "
        "print(data[:4] == importlib.util.MAGIC_NUMBER, marshal.loads(data[16:]).co_filename)"
    )
    loaded = subprocess.run([python, "-c", probe, str(pyc)], capture_output=True, text=True, check=True)  # noqa: S603

    assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH_FLAGS  # no mtime, never checked against source
    assert loaded.stdout.split() == ["True", f"{LAYER_MOUNT}/cloudivize/store/__init__.py"]


def test_the_layer_leaves_out_console_scripts_and_install_records_only(bundled_layer):
    assert not (bundled_layer / "bin").exists()
    assert list(bundled_layer.glob("*.dist-info/RECORD")) == []
    # Package metadata stays: importlib.metadata reads it (versions, entry points)
    assert len(list(bundled_layer.glob("aws_lambda_powertools-*.dist-info/METADATA"))) == 1


def test_the_layer_carries_the_pinned_sdk(bundled_layer):
    for name in ("boto3", "botocore"):
        assert (bundled_layer / f"{name}-{_pin(REQUIREMENTS, name)}.dist-info").is_dir()
        assert (bundled_layer / name / "__init__.py").is_file()

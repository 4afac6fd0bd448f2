"""Cold start: importing a function's handler must not load the Azure SDK (only Azure code paths pay for it).

Each handler module of the route table is imported in a fresh interpreter, as a Lambda cold start does; the
interpreters run side by side to keep this quick.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infrastructure.routes import FUNCTIONS

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = "import {module}, sys; print(any(m == 'azure' or m.startswith('azure.') for m in sys.modules))"
AZURE_CODE = "cloudivize.azure_access.clients"  # the control: this one must load it


@pytest.fixture(scope="module")
def azure_loaded() -> dict[str, bool]:
    """Whether importing each module (every handler, and the control) loaded a module of the ``azure`` package."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((".", "layers"))}
    modules = [spec.module for spec in FUNCTIONS.values()] + [AZURE_CODE]
    running = {
        module: subprocess.Popen(  # noqa: S603 - our own interpreter, a fixed probe
            [sys.executable, "-c", PROBE.format(module=module)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for module in modules
    }
    loaded = {}
    for module, process in running.items():
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, f"importing {module} failed:\n{err}"
        loaded[module] = out.strip().splitlines()[-1] == "True"
    return loaded


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_a_handler_module_does_not_load_the_azure_sdk(azure_loaded, function):
    assert azure_loaded[FUNCTIONS[function].module] is False, f"{function} imports the Azure SDK at cold start"


def test_the_probe_sees_the_azure_sdk_when_it_is_loaded(azure_loaded):
    assert azure_loaded[AZURE_CODE] is True

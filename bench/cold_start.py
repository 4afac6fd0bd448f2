"""Cold start as Lambda runs it: a fresh CPython 3.12 imports a function's handler from read-only code and layer.

Each sample is one new process (``-B``: no bytecode written, as on Lambda's read-only ``/opt``) whose ``sys.path``
is the function's code (``/var/task``) then the layer's ``python/`` (``/opt/python``), and for the runtime-SDK
variant the runtime's SDK (``/var/runtime``) after them. The variants (see ``bench._layer_builds``) take turns
within each round, in a rotating order; a figure is the median over the rounds of one variant's time divided by
the reference's in the same round (so load from other processes, which comes and goes, hits both alike):

- ``cold_start_vs_precompiled_<function>``: the layer the stack now ships / the same layer precompiled (≈ 1);
- ``cold_start_before_vs_precompiled_<function>``: the layer shipped before (no bytecode) / precompiled;
- ``cold_start_sdk_in_layer_vs_runtime_sdk_<function>``: boto3 in the layer / boto3 from the runtime;
- ``cold_start_modules_compiled_<function>`` (and ``_before_``): modules compiled from source during the import,
  counted, not timed: with the shipped layer only ``handler.py`` (the function's code ships no bytecode);
- ``..._all_functions``: the first two ratios over every function's rounds together (less noise on a busy machine).

The layer is built for this machine's architecture (the stack's is arm64): the same bundler, other wheels.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench._environment import offline
from bench._figures import Figure
from bench._layer_builds import layer_variants, read_only_code_dir
from infrastructure.routes import ROUTES

ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
API_FUNCTIONS = sorted({route.function for route in ROUTES})
ROUNDS = 2  # rounds per function, each with the shipped layer and the reference (20 paired samples over all functions)
BEFORE_ROUNDS = 1  # the layer without bytecode costs twice as much per sample, and differs by far more
# Where boto3 is read from changes no import: the lightest function (the SDK is most of its import) shows it.
SDK_COMPARED = ("me",)
# The sample imports the handler and prints how many modules it compiled from source (each a SourceFileLoader
# compile; the count costs nothing next to a compile, and every variant pays it alike).
IMPORT_HANDLER = """
import sys
from importlib.machinery import SourceFileLoader
compiled = 0
source_to_code = SourceFileLoader.source_to_code
def counted(self, data, path, *, _optimize=-1):
    global compiled
    compiled += 1
    return source_to_code(self, data, path, _optimize=_optimize)
SourceFileLoader.source_to_code = counted
sys.path[:0] = {path!r}
import handler
print(compiled)
"""


def run() -> Iterator[Figure]:
    offline()
    variants = layer_variants(ARCHITECTURE)
    every_round: list[dict[str, float]] = []
    for function in API_FUNCTIONS:
        task = read_only_code_dir(function)
        sample = {
            "shipped": _cold_start(variants.python, task, [task, variants.shipped]),
            "precompiled": _cold_start(variants.python, task, [task, variants.precompiled]),
            "before": _cold_start(variants.python, task, [task, variants.before]),
            "runtime_sdk": _cold_start(variants.python, task, [task, variants.runtime_sdk, variants.runtime]),
        }
        rounds = [["shipped", "precompiled"] for _ in range(ROUNDS)]
        for index in range(BEFORE_ROUNDS):
            rounds[index].append("before")
        if function in SDK_COMPARED:
            for names in rounds:
                names.append("runtime_sdk")
        seconds, compiled = _rounds(sample, rounds)
        every_round.extend(seconds)

        yield Figure(f"cold_start_vs_precompiled_{function}", _paired(seconds, "shipped", "precompiled"))
        yield Figure(f"cold_start_before_vs_precompiled_{function}", _paired(seconds, "before", "precompiled"))
        if function in SDK_COMPARED:
            ratio = _paired(seconds, "shipped", "runtime_sdk")
            yield Figure(f"cold_start_sdk_in_layer_vs_runtime_sdk_{function}", ratio)
        yield Figure(f"cold_start_ms_{function}", _median(seconds, "shipped") * 1000, decimals=0)
        yield Figure(f"cold_start_before_ms_{function}", _median(seconds, "before") * 1000, decimals=0)
        yield Figure(f"cold_start_modules_compiled_{function}", compiled["shipped"], decimals=0)
        yield Figure(f"cold_start_before_modules_compiled_{function}", compiled["before"], decimals=0)
    # Over every function's rounds at once: the same comparison, with seven times the samples behind it.
    yield Figure("cold_start_vs_precompiled_all_functions", _paired(every_round, "shipped", "precompiled"))
    yield Figure("cold_start_before_vs_precompiled_all_functions", _paired(every_round, "before", "precompiled"))


def _rounds(
    sample: dict[str, Callable[[], int]], rounds: list[list[str]]
) -> tuple[list[dict[str, float]], dict[str, int]]:
    """Each round's wall time per variant (the order rotates, so none always goes first); modules compiled each."""
    measured = []
    compiled: dict[str, int] = {}
    for index, names in enumerate(rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        times = {}
        for name in order:
            started = time.perf_counter()
            compiled[name] = max(compiled.get(name, 0), sample[name]())
            times[name] = time.perf_counter() - started
        measured.append(times)
    return measured, compiled


def _paired(seconds: list[dict[str, float]], name: str, reference: str) -> float:
    return statistics.median(times[name] / times[reference] for times in seconds if name in times)


def _median(seconds: list[dict[str, float]], name: str) -> float:
    return statistics.median(times[name] for times in seconds if name in times)


def _cold_start(python: str, task: Path, path: list[Path]) -> Callable[[], int]:
    # -I: none of this machine's PYTHON* variables or user site; -S: no site-packages of the interpreter's own.
    command = [python, "-I", "-S", "-B", "-c", IMPORT_HANDLER.format(path=[str(entry) for entry in path])]
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def sample() -> int:
        done = subprocess.run(command, cwd=task, env=environment, capture_output=True, text=True)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"importing {task}/handler.py failed:\n{done.stderr[-3000:]}")
        return int(done.stdout.split()[-1])

    return sample

"""What a benchmark reports, and how a figure is printed."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    decimals: int = 2

    def line(self) -> str:
        return f"{self.name}: {self.value:.{self.decimals}f}"


def median_seconds(call: Callable[[], object], *, repeat: int) -> float:
    """The median wall time of ``repeat`` calls of ``call``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def interleaved_medians(calls: dict[str, Callable[[], object]], *, rounds: int) -> dict[str, float]:
    """Median wall time of each call, the calls taking turns round after round (so drift hits all alike)."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}

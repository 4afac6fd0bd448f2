"""Benchmarks: ratios measured side by side in one run, printed as ``name: value`` lines (``make bench``).

Each module here (but this package's own helpers, names starting with ``_``) exposes ``run() -> Iterable[Figure]``;
``python -m bench [module ...]`` runs them in order and prints every figure as soon as it is measured. Times are
measured only here, never asserted in tests: tests count calls instead.
"""

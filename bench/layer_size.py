"""The layer's unzipped size as the stack ships it (arm64), with boto3 inside and as if it relied on the runtime's.

- ``layer_unzipped_mib``: what the stack ships (wheels + ``cloudivize``, compiled, boto3 inside);
- ``layer_unzipped_mib_runtime_sdk``: the same without the SDK the Lambda runtime provides (boto3 and its closure);
- ``layer_unzipped_mib_before``: the same as shipped without bytecode, which is what it was before;
- ``layer_sdk_mib`` / ``layer_bytecode_mib``: the SDK's share and the bytecode's share of what ships.
"""

from __future__ import annotations

from collections.abc import Iterator

from bench._figures import Figure
from bench._layer_builds import layer_variants, unzipped_mib

ARCHITECTURE = "arm64"  # the functions' (infrastructure/functions.py), built whatever this machine is


def run() -> Iterator[Figure]:
    variants = layer_variants(ARCHITECTURE)
    shipped = unzipped_mib(variants.shipped)
    without_sdk = unzipped_mib(variants.runtime_sdk)
    before = unzipped_mib(variants.before)
    yield Figure("layer_unzipped_mib", shipped, decimals=1)
    yield Figure("layer_unzipped_mib_runtime_sdk", without_sdk, decimals=1)
    yield Figure("layer_unzipped_mib_before", before, decimals=1)
    yield Figure("layer_sdk_mib", shipped - without_sdk, decimals=1)
    yield Figure("layer_bytecode_mib", shipped - before, decimals=1)

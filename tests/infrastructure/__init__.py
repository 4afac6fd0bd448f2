"""Infrastructure tests: synthesize the CDK app (no Docker, no AWS) and assert what the template guarantees."""

import os

# jsii prints a large end-of-life banner for Node 20 unless told it is known (the Makefile exports this too).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

"""Where the shared ``cloudivize`` package comes from when the functions run locally."""

import sys
from pathlib import Path

# In AWS the layer is unpacked on the import path (/opt/python); here it is the repository's layers/.
LAYER_DIR = Path(__file__).resolve().parents[2] / "layers"


def make_layer_importable() -> None:
    if str(LAYER_DIR) not in sys.path:
        sys.path.append(str(LAYER_DIR))

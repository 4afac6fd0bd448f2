"""``python -m infrastructure.local``: the local stack's command line (see ``cli``)."""

import sys

from infrastructure.local.shared_layer import make_layer_importable


def main() -> int:
    # The local stack runs the functions, and so needs their layer importable, as Lambda has it in /opt.
    make_layer_importable()
    from infrastructure.local.cli import run_cli

    return run_cli(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

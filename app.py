#!/usr/bin/env python3
"""CDK entry point (``cdk synth`` / ``cdk deploy``, or ``python app.py``): builds the app and synthesizes it.

Writes the cloud assembly to ``CDK_OUTDIR`` (set by the CDK CLI, or by ``make synth``) or to a temporary
directory. No Docker, no AWS credentials needed to synthesize.
"""

from infrastructure.stack import build_app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()

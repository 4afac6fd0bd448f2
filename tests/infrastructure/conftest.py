"""Synthesize the CDK app once per session (no Docker: layer bundling skipped) and share the result."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from infrastructure.stack import CloudivizeStack, build_app, stack_of

SKIP_BUNDLING = {"aws:cdk:bundling-stacks": []}


@dataclass(frozen=True)
class Synthesized:
    app: App
    stack: CloudivizeStack
    template: dict[str, Any]
    template_path: Path
    outdir: Path

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def logical_id(self, construct: Any) -> str:
        """The logical id of an L2 construct's CloudFormation resource (or of an L1 one)."""
        cfn = getattr(construct.node, "default_child", None) or construct
        return self.stack.get_logical_id(cfn)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(context=SKIP_BUNDLING, outdir=str(outdir))
    stack = stack_of(app)
    # Raises (ValidationFailed) on any unacknowledged cdk-nag finding.
    assembly = app.synth()
    artifact = assembly.get_stack_by_name(stack.stack_name)
    yield Synthesized(
        app=app,
        stack=stack,
        template=artifact.template,
        template_path=Path(artifact.template_full_path),
        outdir=outdir,
    )

"""cfn-lint finds no error in the synthesized template (warnings are printed, not failed)."""

from __future__ import annotations

from cfnlint.api import lint

REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]


def test_template_has_no_cfn_lint_error(synth):
    matches = lint(synth.template_path.read_text(), regions=REGIONS)
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    for warning in (str(m) for m in matches if not m.rule.id.startswith("E")):
        print("cfn-lint:", warning)
    assert errors == []

"""The contract tests against the running local stack share the integration suite's session fixtures: one stack
per test process, whichever suite asks first."""

from tests.integration.conftest import api, demo_token, info_file, local_stack, running_stack  # noqa: F401

"""The events AWS services other than API Gateway send the functions: Cognito's post-confirmation trigger.

Built as Cognito builds them, for the local stack (moto stores triggers but never invokes them) and for tests
that sign users up without any emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"


def post_confirmation_event(
    *, region: str, user_pool_id: str, client_id: str, username: str, user_attributes: Mapping[str, str]
) -> dict[str, Any]:
    """Cognito's PostConfirmation trigger event for a sign-up confirmed through the app client."""
    return {
        "version": "1",
        "region": region,
        "userPoolId": user_pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "triggerSource": CONFIRM_SIGN_UP,
        "request": {"userAttributes": {**user_attributes, "cognito:user_status": "CONFIRMED"}},
        "response": {},
    }

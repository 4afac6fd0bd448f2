"""Users of the local pool: created like a confirmed sign-up, with the deployed post-confirmation trigger.

Moto stores a pool's triggers but never invokes them, so after confirming a user this module runs the same
``post_confirmation`` handler CDK deploys, with the event Cognito would send. The handler writes to the
emulated table and pool, so the calling process must have the handler environment installed first
(``lambda_runtime.install_handler_environment``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infrastructure.local.aws.emulator import aws_client
from infrastructure.local.aws.provisioning import AwsResources
from infrastructure.local.events import post_confirmation_event
from infrastructure.local.lambda_runtime import LambdaRuntime
from infrastructure.resources import PASSWORD_POLICY, TENANT_ID_ATTRIBUTE, PasswordPolicy

TENANT_CLAIM = TENANT_ID_ATTRIBUTE.claim
# The trigger's name is fixed by Cognito's role for it, not by a route.
POST_CONFIRMATION_FUNCTION = "post_confirmation"


class UserError(Exception):
    """A request the caller can fix (existing user, weak password, unknown user)."""


@dataclass(frozen=True)
class LocalUser:
    email: str
    username: str  # Cognito's username: the pool signs in by email, so this is a generated id
    sub: str
    tenant_id: str  # their own organization, which the post-confirmation trigger made


def add_user(resources: AwsResources, email: str, password: str) -> LocalUser:
    """Create a confirmed user with a permanent password, then run the post-confirmation trigger."""
    cognito = _cognito(resources)
    try:
        cognito.admin_create_user(
            UserPoolId=resources.user_pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
    except cognito.exceptions.UsernameExistsException:
        raise UserError(f"A user with the email {email} already exists.") from None
    except cognito.exceptions.InvalidParameterException:
        # The pool signs in by email, so the username must be one; the attributes sent are fixed.
        raise UserError(f"{email} is not an email address.") from None
    try:
        cognito.admin_set_user_password(
            UserPoolId=resources.user_pool_id, Username=email, Password=password, Permanent=True
        )
    except cognito.exceptions.InvalidPasswordException:
        # Leave no half-made user behind: the same command must work once the password is fixed.
        cognito.admin_delete_user(UserPoolId=resources.user_pool_id, Username=email)
        raise UserError(f"The password does not meet the user pool's policy: {password_rule()}.") from None
    return confirm_user(resources, email)


def password_rule(policy: PasswordPolicy = PASSWORD_POLICY) -> str:
    """The pool's password policy as a person reads it, e.g. "at least 12 characters, with a digit"."""
    required = [
        name
        for name, needed in (
            ("a lowercase letter", policy.require_lowercase),
            ("an uppercase letter", policy.require_uppercase),
            ("a digit", policy.require_digits),
            ("a symbol", policy.require_symbols),
        )
        if needed
    ]
    rule = f"at least {policy.min_length} characters"
    if not required:
        return rule
    listed = required[0] if len(required) == 1 else f"{', '.join(required[:-1])} and {required[-1]}"
    return f"{rule}, with {listed}"


def confirm_user(resources: AwsResources, email: str) -> LocalUser:
    """Deliver the sign-up confirmation to the trigger (again, for an existing user: Cognito retries a failed
    trigger with the event it first sent, so the handler must be idempotent).

    ``email`` may also be a username: the managed login confirms a federated user (``LoginWithAmazon_…``) at
    their first sign-in, as Cognito does, with the same event."""
    username, attributes = _user_attributes(resources, email)
    # The event as it was at sign-up: the tenant attribute is what the trigger sets, so it is not in it yet.
    at_sign_up = {name: value for name, value in attributes.items() if name != TENANT_CLAIM}
    event = post_confirmation_event(
        region=resources.region,
        user_pool_id=resources.user_pool_id,
        client_id=resources.client_id,
        username=username,
        user_attributes=at_sign_up,
    )
    LambdaRuntime(resources).invoke(POST_CONFIRMATION_FUNCTION, event)
    # The organization the trigger made for them (its id derives from the pool and the user), loaded late like
    # every layer module: it reads the handler environment.
    from cloudivize.tenants import tenant_id_for_first_user

    tenant_id = tenant_id_for_first_user(resources.user_pool_id, attributes["sub"])
    return LocalUser(
        email=attributes.get("email", email), username=username, sub=attributes["sub"], tenant_id=tenant_id
    )


def sign_in(resources: AwsResources, username: str, password: str) -> dict[str, Any]:
    """The tokens of a USER_PASSWORD_AUTH sign-in through the app client (IdToken, AccessToken, ...)."""
    cognito = _cognito(resources)
    try:
        response = cognito.initiate_auth(
            ClientId=resources.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
        raise UserError("Incorrect username or password.") from None
    return response["AuthenticationResult"]


def _user_attributes(resources: AwsResources, email: str) -> tuple[str, dict[str, str]]:
    cognito = _cognito(resources)
    try:
        user = cognito.admin_get_user(UserPoolId=resources.user_pool_id, Username=email)
    except cognito.exceptions.UserNotFoundException:
        raise UserError(f"No user with the email {email}.") from None
    return user["Username"], {item["Name"]: item["Value"] for item in user["UserAttributes"]}


def _cognito(resources: AwsResources) -> Any:
    return aws_client("cognito-idp", resources.aws_endpoint_url, resources.region)

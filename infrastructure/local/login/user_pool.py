"""The emulated user pool as the managed login reaches it: the Cognito API of the emulator (boto3), and the
emulator's two internal routes for what only Cognito itself does (``infrastructure.local.aws.federation``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from botocore.exceptions import ClientError

from infrastructure.local.aws.emulator import aws_client
from infrastructure.local.aws.federation import FEDERATED_USERS_PATH, TOKENS_PATH
from infrastructure.local.aws.provisioning import AwsResources
from infrastructure.local.aws.users import password_rule

INTERNAL_TIMEOUT_SECONDS = 10


class SignInRefused(Exception):
    """What the form shows the person signing in or up, in words."""


class NotConfirmed(Exception):
    """The user signed up but has not entered their verification code yet."""


@dataclass(frozen=True)
class AppClient:
    """The app client's OAuth settings, as ``DescribeUserPoolClient`` answers them."""

    client_id: str
    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...]
    scopes: tuple[str, ...]
    flows: tuple[str, ...]
    identity_providers: tuple[str, ...]


class UserPool:
    def __init__(self, resources: AwsResources) -> None:
        self.resources = resources
        self._cognito = aws_client("cognito-idp", resources.aws_endpoint_url, resources.region)
        self._internal = requests.Session()

    def app_client(self, client_id: str) -> AppClient | None:
        try:
            client = self._cognito.describe_user_pool_client(
                UserPoolId=self.resources.user_pool_id, ClientId=client_id
            )["UserPoolClient"]
        except ClientError:
            return None
        return AppClient(
            client_id=client["ClientId"],
            callback_urls=tuple(client.get("CallbackURLs", ())),
            logout_urls=tuple(client.get("LogoutURLs", ())),
            scopes=tuple(client.get("AllowedOAuthScopes", ())),
            flows=tuple(client.get("AllowedOAuthFlows", ())),
            identity_providers=tuple(client.get("SupportedIdentityProviders", ())),
        )

    def check_password(self, client_id: str, email: str, password: str) -> str:
        """The user's username when the password is theirs (``InitiateAuth USER_PASSWORD_AUTH``)."""
        try:
            self._cognito.initiate_auth(
                ClientId=client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "UserNotConfirmedException":
                raise NotConfirmed() from None
            raise SignInRefused("Incorrect username or password.") from None
        return self.username_of(email)

    def username_of(self, email: str) -> str:
        user = self._cognito.admin_get_user(UserPoolId=self.resources.user_pool_id, Username=email)
        return user["Username"]

    def sign_up(self, client_id: str, email: str, password: str) -> None:
        try:
            self._cognito.sign_up(
                ClientId=client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "UsernameExistsException":
                raise SignInRefused("An account with the given email already exists.") from None
            if code == "InvalidPasswordException":
                raise SignInRefused(f"The password must have {password_rule()}.") from None
            if code == "InvalidParameterException":
                raise SignInRefused(f"{email} is not an email address.") from None
            raise

    def confirm_sign_up(self, email: str) -> None:
        self._cognito.admin_confirm_sign_up(UserPoolId=self.resources.user_pool_id, Username=email)

    def federated_user(self, provider_name: str, provider_user_id: str, attributes: dict[str, str]) -> tuple[str, bool]:
        """The federated user's username, and whether this sign-in created them."""
        answer = self._post_internal(
            FEDERATED_USERS_PATH,
            {
                "UserPoolId": self.resources.user_pool_id,
                "ProviderName": provider_name,
                "ProviderUserId": provider_user_id,
                "Attributes": attributes,
            },
        )
        return answer["Username"], answer["Created"]

    def amazon_attribute_mapping(self, provider_name: str) -> dict[str, str]:
        """The provider's attribute mapping as the pool holds it (pool attribute <- provider field)."""
        provider = self._cognito.describe_identity_provider(
            UserPoolId=self.resources.user_pool_id, ProviderName=provider_name
        )["IdentityProvider"]
        return dict(provider.get("AttributeMapping", {}))

    def tokens(self, client_id: str, username: str) -> dict[str, Any]:
        """The pool's tokens for a user the managed login authenticated."""
        answer = self._post_internal(
            TOKENS_PATH, {"UserPoolId": self.resources.user_pool_id, "ClientId": client_id, "Username": username}
        )
        return answer["AuthenticationResult"]

    def refresh(self, client_id: str, refresh_token: str) -> dict[str, Any] | None:
        try:
            answer = self._cognito.initiate_auth(
                ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
            )
        except ClientError:
            return None
        return answer["AuthenticationResult"]

    def revoke(self, client_id: str, refresh_token: str) -> bool:
        try:
            self._cognito.revoke_token(ClientId=client_id, Token=refresh_token)
        except ClientError:
            return False
        return True

    def user_info(self, access_token: str) -> dict[str, str] | None:
        try:
            user = self._cognito.get_user(AccessToken=access_token)
        except ClientError:
            return None
        attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
        return {**attributes, "username": user["Username"]}

    def _post_internal(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._internal.post(
            self.resources.aws_endpoint_url + path, json=body, timeout=INTERNAL_TIMEOUT_SECONDS
        )
        response.raise_for_status()
        return response.json()

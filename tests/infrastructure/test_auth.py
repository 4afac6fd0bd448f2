"""The user pool: strong local sign-in, Login with Amazon without a secret in the template, tenant attribute
that only the post-confirmation trigger can write."""

from __future__ import annotations

import json
import re

from infrastructure import constants

from .cfn import references, role_statements

TENANT_CLAIM = f"custom:{constants.TENANT_ATTRIBUTE}"
DYNAMIC_REFERENCE = re.compile(r"^\{\{resolve:secretsmanager:[^}]+:SecretString:(client_id|client_secret)::\}\}$")


def _one(synth, resource_type: str) -> dict:
    [resource] = synth.resources(resource_type).values()
    return resource["Properties"]


def test_password_policy_is_strong(synth):
    policy = _one(synth, "AWS::Cognito::UserPool")["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    for requirement in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"):
        assert policy[requirement] is True, requirement


def test_sign_in_is_by_verified_email_with_optional_totp(synth):
    pool = _one(synth, "AWS::Cognito::UserPool")
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False  # self sign-up
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert [m["Name"] for m in pool["AccountRecoverySetting"]["RecoveryMechanisms"]] == ["verified_email"]


def test_pool_has_threat_protection_and_survives_deletion(synth):
    [resource] = synth.resources("AWS::Cognito::UserPool").values()
    pool = resource["Properties"]
    assert pool["UserPoolTier"] == "PLUS"
    assert pool["UserPoolAddOns"]["AdvancedSecurityMode"] == "ENFORCED"
    assert pool["DeletionProtection"] == "ACTIVE"
    assert resource["DeletionPolicy"] == "Retain"


def test_tenant_attribute_exists_and_only_the_admin_api_can_write_it(synth):
    pool = _one(synth, "AWS::Cognito::UserPool")
    [tenant] = [a for a in pool["Schema"] if a["Name"] == constants.TENANT_ATTRIBUTE]
    assert tenant["AttributeDataType"] == "String"
    assert tenant["Mutable"] is True  # so the trigger can set it with AdminUpdateUserAttributes

    client = _one(synth, "AWS::Cognito::UserPoolClient")
    assert TENANT_CLAIM in client["ReadAttributes"]
    assert {"email", "email_verified"} <= set(client["ReadAttributes"])
    assert client["WriteAttributes"], "no WriteAttributes means every attribute is writable"
    assert not [a for a in client["WriteAttributes"] if a.startswith("custom:")]


def test_app_client_is_a_public_spa_client(synth):
    client = _one(synth, "AWS::Cognito::UserPoolClient")
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert set(client["SupportedIdentityProviders"]) == {"COGNITO", constants.AMAZON_PROVIDER_NAME}
    # The context's URLs (the dev server by default), then the hosted console's (tests/.../test_console_hosting.py).
    assert client["CallbackURLs"][0] == "http://localhost:5173/auth/callback"
    assert client["LogoutURLs"][0] == "http://localhost:5173/"
    assert len(client["CallbackURLs"]) == len(client["LogoutURLs"]) == 2


def test_client_is_created_after_the_amazon_provider(synth):
    [(client_id, client)] = synth.resources("AWS::Cognito::UserPoolClient").items()
    [provider_id] = synth.resources("AWS::Cognito::UserPoolIdentityProvider")
    assert provider_id in client.get("DependsOn", [])


def test_login_with_amazon_reads_its_credentials_at_deploy_time(synth):
    provider = _one(synth, "AWS::Cognito::UserPoolIdentityProvider")
    assert provider["ProviderType"] == "LoginWithAmazon"
    assert provider["ProviderName"] == constants.AMAZON_PROVIDER_NAME
    details = provider["ProviderDetails"]
    assert DYNAMIC_REFERENCE.match(details["client_secret"]), details["client_secret"]
    assert DYNAMIC_REFERENCE.match(details["client_id"]), details["client_id"]
    assert "cloudivize/login-with-amazon" in details["client_secret"]
    assert provider["AttributeMapping"]["email"] == "email"


def test_no_literal_secret_anywhere_in_the_template(synth):
    text = json.dumps(synth.template)
    # Every mention of a client secret is the dynamic reference, never a value.
    for match in re.finditer(r'"client_secret": "([^"]*)"', text):
        assert DYNAMIC_REFERENCE.match(match.group(1)), match.group(0)
    assert "ClientSecret" not in text


def test_user_pool_has_a_hosted_ui_domain(synth):
    domain = _one(synth, "AWS::Cognito::UserPoolDomain")
    assert domain["UserPoolId"] == {"Ref": synth.logical_id(synth.stack.auth.user_pool)}


def test_post_confirmation_trigger_is_the_post_confirmation_function(synth):
    pool = _one(synth, "AWS::Cognito::UserPool")
    trigger_id = synth.logical_id(synth.stack.functions["post_confirmation"].function)
    assert pool["LambdaConfig"] == {"PostConfirmation": {"Fn::GetAtt": [trigger_id, "Arn"]}}
    cognito_permissions = [
        p["Properties"]
        for p in synth.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "cognito-idp.amazonaws.com"
    ]
    assert [references(p["FunctionName"], trigger_id) for p in cognito_permissions] == [True]


def test_the_trigger_writes_nothing_to_the_pool(synth):
    # The organization a user belongs to is their membership in the table, read on every request: the trigger
    # needs no Cognito permission at all (it used to write custom:tenant_id).
    trigger = synth.stack.functions["post_confirmation"]
    statements = role_statements(synth.template, synth.logical_id(trigger.role))
    assert [s for s in statements if any(str(a).startswith("cognito-idp:") for a in _actions(s))] == []


def _actions(statement: dict) -> list[str]:
    actions = statement.get("Action", [])
    return actions if isinstance(actions, list) else [actions]

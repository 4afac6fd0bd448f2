"""The stack's resources in the emulator: created as the CDK stack configures them (``infrastructure.resources``),
so a handler that works locally meets the same key schema, encryption and token claims in AWS.

Only the resources the functions use exist here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infrastructure import constants, resources
from infrastructure.local.aws.emulator import aws_client

USER_POOL_NAME = f"{constants.SERVICE_NAME}-users"
APP_CLIENT_NAME = f"{constants.SERVICE_NAME}-web"
CUSTOMER_ACCESS_ROLE_NAME = resources.customer_access_role_name(resources.DEFAULT_STACK_NAME)
REPO_ROOT = Path(__file__).resolve().parents[3]

# The deployed client allows SRP only; USER_PASSWORD_AUTH is added here so `token` and tests can sign in
# without an SRP implementation.
LOCAL_ONLY_AUTH_FLOWS = ("ALLOW_USER_PASSWORD_AUTH",)


@dataclass(frozen=True)
class AwsResources:
    """What was provisioned in the emulator: everything a handler or a client needs to reach it."""

    aws_endpoint_url: str
    region: str
    account_id: str
    user_pool_id: str
    client_id: str
    table_name: str
    idempotency_table_name: str
    audit_table_name: str
    table_key_arn: str
    field_key_arn: str
    customer_access_role_arn: str
    onboarding_template_url: str
    onboarding_organization_template_url: str
    # The account's outbound identity federation issuer: the ``iss`` of the customer-access role's web identity
    # tokens, which a customer's Entra federated credential names.
    web_identity_issuer: str

    @property
    def issuer(self) -> str:
        # Moto issues tokens with the AWS issuer, not its own URL, exactly as Cognito does.
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.aws_endpoint_url}/{self.user_pool_id}/.well-known/jwks.json"


@dataclass(frozen=True)
class HostedSignIn:
    """What the app client's OAuth settings and the pool's Login with Amazon provider are made from.

    ``console_url``: the console's origin, whose callback and signed-out pages are the client's only CallbackURLs
    and LogoutURLs; ``amazon_*``: the Login with Amazon client the pool's provider holds (the local stand-in's,
    or a real security profile's)."""

    console_url: str
    amazon_client_id: str
    amazon_client_secret: str = field(repr=False)

    @property
    def callback_url(self) -> str:
        return self.console_url + resources.CONSOLE_CALLBACK_PATH

    @property
    def logout_url(self) -> str:
        return self.console_url + resources.CONSOLE_SIGNED_OUT_PATH


def provision(endpoint_url: str, region: str, sign_in: HostedSignIn | None = None) -> AwsResources:
    """Create the stack's keys, tables, user pool and app client, customer-access role and onboarding template,
    and enable the account's outbound identity federation.

    ``sign_in``: the app client's OAuth settings and the Amazon provider, for the managed login (the local stack
    always gives it; tests of the API alone need neither)."""

    def client(service: str) -> Any:
        return aws_client(service, endpoint_url, region)

    account_id = client("sts").get_caller_identity()["Account"]
    kms = client("kms")
    table_key_arn = _create_key(kms, resources.TABLE_KEY)
    field_key_arn = _create_key(kms, resources.FIELD_KEY)
    _create_tables(client("dynamodb"), table_key_arn)
    user_pool_id, client_id = _create_user_pool(client("cognito-idp"), sign_in)
    customer_access_role_arn = _create_customer_access_role(client("iam"), account_id)
    onboarding_template_url, onboarding_organization_template_url = _publish_onboarding_templates(
        client("s3"), endpoint_url, region, account_id
    )
    # Once per account, as an administrator enables it in AWS (the emulator's state starts empty at each run).
    web_identity_issuer = client("iam").enable_outbound_web_identity_federation()["IssuerIdentifier"]
    return AwsResources(
        aws_endpoint_url=endpoint_url,
        region=region,
        account_id=account_id,
        user_pool_id=user_pool_id,
        client_id=client_id,
        table_name=resources.MAIN_TABLE.local_name,
        idempotency_table_name=resources.IDEMPOTENCY_TABLE.local_name,
        audit_table_name=resources.AUDIT_TABLE.local_name,
        table_key_arn=table_key_arn,
        field_key_arn=field_key_arn,
        customer_access_role_arn=customer_access_role_arn,
        onboarding_template_url=onboarding_template_url,
        onboarding_organization_template_url=onboarding_organization_template_url,
        web_identity_issuer=web_identity_issuer,
    )


def _create_key(kms: Any, facts: resources.KeyFacts) -> str:
    key = kms.create_key(Description=facts.description, KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")
    key_id = key["KeyMetadata"]["KeyId"]
    if facts.rotation:
        kms.enable_key_rotation(KeyId=key_id)
    kms.create_alias(AliasName=facts.alias, TargetKeyId=key_id)
    return key["KeyMetadata"]["Arn"]


def _create_tables(dynamodb: Any, key_arn: str) -> None:
    for facts in (resources.MAIN_TABLE, resources.IDEMPOTENCY_TABLE, resources.AUDIT_TABLE):
        _create_table(dynamodb, facts, key_arn)


def _create_table(dynamodb: Any, facts: resources.TableFacts, key_arn: str) -> None:
    dynamodb.create_table(
        TableName=facts.local_name,
        KeySchema=facts.key_schema(),
        AttributeDefinitions=facts.attribute_definitions(),
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
        DeletionProtectionEnabled=facts.deletion_protection,
    )
    if facts.point_in_time_recovery:
        dynamodb.update_continuous_backups(
            TableName=facts.local_name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    if facts.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=facts.local_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": facts.ttl_attribute},
        )


def _create_customer_access_role(iam: Any, account_id: str) -> str:
    # Cloudivize's principal, which the functions assume before a customer's role. Deployed, only the function
    # roles are trusted; here the functions run as the account itself. (The emulator's STS lets anyone assume
    # any role, so the ARN, the name customers see, is what matters.)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=CUSTOMER_ACCESS_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
    return role["Role"]["Arn"]


def _publish_onboarding_templates(s3: Any, endpoint_url: str, region: str, account_id: str) -> tuple[str, str]:
    """Publish the customer-role and organization templates as the stack does (only ``onboarding/*`` readable by
    anyone): their URLs."""
    bucket = f"{constants.SERVICE_NAME}-onboarding-{account_id}"
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicReadOnboardingTemplates",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/{resources.ONBOARDING_PUBLIC_PREFIX}*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read))
    urls = []
    for file, key in (
        (constants.CUSTOMER_ROLE_TEMPLATE, constants.ONBOARDING_TEMPLATE_KEY),
        (constants.ORGANIZATION_TEMPLATE, constants.ONBOARDING_ORGANIZATION_TEMPLATE_KEY),
    ):
        s3.put_object(
            Bucket=bucket, Key=key, Body=(REPO_ROOT / file).read_bytes(),
            ContentType=resources.ONBOARDING_TEMPLATE_CONTENT_TYPE,
        )  # fmt: skip
        # Path-style at the emulator; deployed it is the bucket's virtual-hosted HTTPS URL.
        urls.append(f"{endpoint_url}/{bucket}/{key}")
    return urls[0], urls[1]


def _create_user_pool(cognito: Any, sign_in: HostedSignIn | None = None) -> tuple[str, str]:
    pool = cognito.create_user_pool(
        PoolName=USER_POOL_NAME,
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": resources.PASSWORD_POLICY.as_cognito_api()},
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
            resources.TENANT_ID_ATTRIBUTE.schema(),
        ],
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        DeletionProtection="ACTIVE",
    )["UserPool"]
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool["Id"], SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    client = resources.WEB_CLIENT
    app_client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=APP_CLIENT_NAME,
        GenerateSecret=False,
        ExplicitAuthFlows=[*client.auth_flows, *LOCAL_ONLY_AUTH_FLOWS],
        ReadAttributes=list(client.read_attributes),
        WriteAttributes=list(client.write_attributes),
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
        IdTokenValidity=client.id_token_validity_hours,
        AccessTokenValidity=client.access_token_validity_hours,
        RefreshTokenValidity=client.refresh_token_validity_days,
        TokenValidityUnits={"IdToken": "hours", "AccessToken": "hours", "RefreshToken": "days"},
        **({} if sign_in is None else _hosted_sign_in(cognito, pool["Id"], sign_in)),
    )["UserPoolClient"]
    return pool["Id"], app_client["ClientId"]


def _hosted_sign_in(cognito: Any, user_pool_id: str, sign_in: HostedSignIn) -> dict[str, Any]:
    """Create the Amazon provider; return the app client's OAuth settings (as CDK's ``OAuthSettings``)."""
    # As CDK's UserPoolIdentityProviderAmazon: the same scopes and attribute mapping.
    cognito.create_identity_provider(
        UserPoolId=user_pool_id,
        ProviderName=resources.AMAZON_PROVIDER_NAME,
        ProviderType=resources.AMAZON_PROVIDER_NAME,
        ProviderDetails={
            "client_id": sign_in.amazon_client_id,
            "client_secret": sign_in.amazon_client_secret,
            "authorize_scopes": " ".join(resources.AMAZON_SCOPES),
        },
        AttributeMapping=dict(resources.AMAZON_ATTRIBUTE_MAPPING),
    )
    return {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": list(resources.OAUTH_SCOPES),
        "CallbackURLs": [sign_in.callback_url],
        "LogoutURLs": [sign_in.logout_url],
        "SupportedIdentityProviders": list(resources.WEB_CLIENT_IDENTITY_PROVIDERS),
    }

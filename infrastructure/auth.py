"""Identity (docs/architecture.md): one Cognito user pool, local users and Login with Amazon, one public app client.

The Amazon client id and secret are never in the template: both are CloudFormation dynamic references to a
Secrets Manager secret (JSON ``{"client_id": "...", "client_secret": "..."}``) that the deployer creates
before the first deploy, resolved by CloudFormation at deploy time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, SecretValue, Validations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infrastructure import constants, resources

# Cognito's names of the standard attributes an app client reads or writes, as CDK's ClientAttributes names them.
_CDK_STANDARD_ATTRIBUTES = {"email": "email", "email_verified": "email_verified", "name": "fullname"}
# ExplicitAuthFlows as CDK's AuthFlow names them; CDK always allows refresh tokens.
_CDK_AUTH_FLOWS = {
    "ALLOW_USER_SRP_AUTH": "user_srp",
    "ALLOW_USER_PASSWORD_AUTH": "user_password",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH": "admin_user_password",
    "ALLOW_CUSTOM_AUTH": "custom",
}
_ALWAYS_ALLOWED_FLOW = "ALLOW_REFRESH_TOKEN_AUTH"
_CDK_SCOPES = {
    "openid": cognito.OAuthScope.OPENID,
    "email": cognito.OAuthScope.EMAIL,
    "profile": cognito.OAuthScope.PROFILE,
}

# The user pool's names of its sign-in routes, as app clients and ``identity_provider=`` name them.
COGNITO_PROVIDER_NAME = "COGNITO"  # the pool's own users
IDENTITY_CENTER_PROVIDER_NAME = "IdentityCenter"
# The SAML attribute Identity Center's application sends the user's email in (README: "Identity Center").
IDENTITY_CENTER_EMAIL_ATTRIBUTE = "email"


def managed_login_url(domain_prefix: str) -> str:
    """The Cognito domain's URL (managed login, OAuth endpoints), from its prefix alone: no resource reference,
    so what must exist before the user pool (its trigger's CORS policy, the console's CSP) may name it."""
    return f"https://{domain_prefix}.auth.{Aws.REGION}.amazoncognito.com"


def _client_attributes(names: Sequence[str]) -> cognito.ClientAttributes:
    custom = [name.removeprefix("custom:") for name in names if name.startswith("custom:")]
    standard = {_CDK_STANDARD_ATTRIBUTES[name]: True for name in names if not name.startswith("custom:")}
    return cognito.ClientAttributes().with_standard_attributes(**standard).with_custom_attributes(*custom)


def _auth_flows(flows: Sequence[str]) -> cognito.AuthFlow:
    if _ALWAYS_ALLOWED_FLOW not in flows:
        raise ValueError(f"CDK always allows {_ALWAYS_ALLOWED_FLOW}: the app client's flows must name it")
    return cognito.AuthFlow(**{_CDK_AUTH_FLOWS[flow]: True for flow in flows if flow != _ALWAYS_ALLOWED_FLOW})


def _amazon_attribute_mapping() -> cognito.AttributeMapping:
    # The local stack's pool maps the same profile fields (resources.AMAZON_ATTRIBUTE_MAPPING).
    return cognito.AttributeMapping(
        **{
            _CDK_STANDARD_ATTRIBUTES[attribute]: cognito.ProviderAttribute.other(field)
            for attribute, field in resources.AMAZON_ATTRIBUTE_MAPPING.items()
        }
    )


@dataclass(frozen=True)
class AuthConfig:
    amazon_secret_name: str  # Secrets Manager secret holding client_id and client_secret of the LWA app
    domain_prefix: str  # Cognito hosted UI domain prefix (https://<prefix>.auth.<region>.amazoncognito.com)
    callback_urls: Sequence[str]
    logout_urls: Sequence[str]
    # An IAM Identity Center SAML application's metadata URL: its users sign in as a second Amazon route.
    identity_center_metadata_url: str | None = None

    @property
    def identity_providers(self) -> tuple[str, ...]:
        """The app client's sign-in routes, by the pool's names (what the console offers)."""
        providers = (COGNITO_PROVIDER_NAME, constants.AMAZON_PROVIDER_NAME)
        return (*providers, IDENTITY_CENTER_PROVIDER_NAME) if self.identity_center_metadata_url else providers


class Auth(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AuthConfig,
        post_confirmation: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        tenant, password, client = resources.TENANT_ID_ATTRIBUTE, resources.PASSWORD_POLICY, resources.WEB_CLIENT

        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            self_sign_up_enabled=True,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            # A changed email takes effect only once verified, so sign-in never moves to an unverified address.
            keep_original=cognito.KeepOriginalAttrs(email=True),
            user_verification=cognito.UserVerificationConfig(
                email_style=cognito.VerificationEmailStyle.CODE,
                email_subject="Your Cloudivize verification code",
                email_body="Your Cloudivize verification code is {####}",
            ),
            standard_attributes=cognito.StandardAttributes(
                # Mutable: Login with Amazon rewrites the mapped email on every federated sign-in.
                email=cognito.StandardAttribute(required=True, mutable=True),
            ),
            custom_attributes={
                # Written only by the post-confirmation trigger (admin API); no app client may write it.
                tenant.name: cognito.StringAttribute(
                    min_len=tenant.min_length, max_len=tenant.max_length, mutable=tenant.mutable
                ),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=password.min_length,
                require_lowercase=password.require_lowercase,
                require_uppercase=password.require_uppercase,
                require_digits=password.require_digits,
                require_symbols=password.require_symbols,
                temp_password_validity=Duration.days(password.temporary_password_validity_days),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True, email=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            custom_threat_protection_mode=cognito.CustomThreatProtectionMode.FULL_FUNCTION,
            lambda_triggers=cognito.UserPoolTriggers(post_confirmation=post_confirmation),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.user_pool).acknowledge(
            Acknowledgment(
                id="AwsSolutions-COG2",
                reason="User pool: MFA is OPTIONAL by product decision - every local user can enrol "
                "TOTP, federated (Login with Amazon) users authenticate at Amazon; threat protection "
                "(PLUS plan, full function) adds adaptive MFA challenges for risky sign-ins.",
            )
        )

        amazon_secret = config.amazon_secret_name
        self.amazon = cognito.UserPoolIdentityProviderAmazon(
            self,
            "LoginWithAmazon",
            user_pool=self.user_pool,
            # Dynamic references: CloudFormation reads the secret at deploy time; the template holds no value.
            client_id=SecretValue.secrets_manager(amazon_secret, json_field="client_id").unsafe_unwrap(),
            client_secret=SecretValue.secrets_manager(amazon_secret, json_field="client_secret").unsafe_unwrap(),
            scopes=list(resources.AMAZON_SCOPES),
            attribute_mapping=_amazon_attribute_mapping(),
        )

        self.identity_center = (
            cognito.UserPoolIdentityProviderSaml(
                self,
                "IdentityCenter",
                user_pool=self.user_pool,
                name=IDENTITY_CENTER_PROVIDER_NAME,
                metadata=cognito.UserPoolIdentityProviderSamlMetadata.url(config.identity_center_metadata_url),
                attribute_mapping=cognito.AttributeMapping(
                    email=cognito.ProviderAttribute.other(IDENTITY_CENTER_EMAIL_ATTRIBUTE)
                ),
            )
            if config.identity_center_metadata_url
            else None
        )

        self.domain = self.user_pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=config.domain_prefix),
        )

        self.client = self.user_pool.add_client(
            "WebClient",
            generate_secret=False,  # a browser SPA cannot keep a secret
            auth_flows=_auth_flows(client.auth_flows),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[_CDK_SCOPES[scope] for scope in client.oauth_scopes],
                callback_urls=list(config.callback_urls),
                logout_urls=list(config.logout_urls),
            ),
            supported_identity_providers=[
                cognito.UserPoolClientIdentityProvider.custom(name) for name in config.identity_providers
            ],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(client.id_token_validity_hours),
            access_token_validity=Duration.hours(client.access_token_validity_hours),
            refresh_token_validity=Duration.days(client.refresh_token_validity_days),
            read_attributes=_client_attributes(client.read_attributes),
            write_attributes=_client_attributes(client.write_attributes),
        )
        # The client names the providers by their names; create them first.
        self.client.node.add_dependency(self.amazon)
        if self.identity_center is not None:
            self.client.node.add_dependency(self.identity_center)

    @property
    def managed_login_url(self) -> str:
        return managed_login_url(self.config.domain_prefix)

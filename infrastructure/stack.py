"""The Cloudivize stack: one construct per concern, composed; and ``build_app``, the app factory.

``build_app`` is what ``app.py`` and the tests call. It reads nothing at import time and needs neither AWS
credentials nor Docker; configuration comes from CDK context (``cdk.json``, ``-c key=value``, or the
``context`` argument), see ``StackConfig.from_context``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aws_cdk import App, Aws, CfnOutput, Environment, Fn, Stack, Tags, Validations
from aws_cdk import aws_logs as logs
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from infrastructure import constants, resources
from infrastructure.api import Api, ApiConfig
from infrastructure.auth import Auth, AuthConfig, managed_login_url
from infrastructure.console_hosting import ConsoleHosting, HostingConfig, RuntimeConfig
from infrastructure.customer_access import CustomerAccess, OnboardingTemplate
from infrastructure.data import DataStore
from infrastructure.function_environment import AzureCloud
from infrastructure.functions import CloudivizeFunctions
from infrastructure.layer_bundling import SharedLayer
from infrastructure.observability import Observability
from infrastructure.organization_sync import OrganizationSync, organization_sync_hours
from infrastructure.outbound_federation import OutboundFederation

REPO_ROOT = Path(__file__).resolve().parent.parent
CONSOLE_DIR = REPO_ROOT / "console"
STACK_ID = "Cloudivize"
POST_CONFIRMATION_FUNCTION = "post_confirmation"  # the routes.FUNCTIONS entry that is the Cognito trigger

# Context keys a deployer may set (README: "Deploying").
CTX_STACK_NAME = "cloudivize:stackName"
CTX_AMAZON_SECRET = "cloudivize:amazonSecretName"  # noqa: S105 - a context key, not a secret
CTX_DOMAIN_PREFIX = "cloudivize:authDomainPrefix"
CTX_CALLBACK_URLS = "cloudivize:callbackUrls"
CTX_LOGOUT_URLS = "cloudivize:logoutUrls"
CTX_ALARM_EMAIL = "cloudivize:alarmEmail"
# Azure sovereign clouds: the sign-in host and the Resource Manager endpoint the functions call.
CTX_AZURE_AUTHORITY_HOST = "cloudivize:azureAuthorityHost"
CTX_AZURE_RESOURCE_MANAGER_URL = "cloudivize:azureResourceManagerUrl"
CTX_THROTTLE_RATE = "cloudivize:throttleRateLimit"
CTX_THROTTLE_BURST = "cloudivize:throttleBurstLimit"
CTX_WAF_RATE = "cloudivize:wafRateLimitPer5Min"
# Browser origins allowed to call the API (CORS); an empty JSON list turns CORS off.
CTX_ALLOWED_ORIGINS = "cloudivize:allowedOrigins"
# How long audit events are kept (days; DynamoDB TTL deletes them after).
CTX_AUDIT_RETENTION_DAYS = "cloudivize:auditRetentionDays"
# The SES identity (a verified email address) invitations are emailed from; absent: they are logged.
CTX_INVITATION_SENDER = "cloudivize:invitationSender"
# The hosted console: an alternate domain name with its ACM certificate (us-east-1), a CloudFront WAF web ACL.
CTX_CONSOLE_DOMAIN = "cloudivize:consoleDomain"
CTX_CONSOLE_CERTIFICATE_ARN = "cloudivize:consoleCertificateArn"
CTX_CONSOLE_WEB_ACL_ARN = "cloudivize:consoleWebAclArn"
# IAM Identity Center's SAML metadata URL: its users sign in as a second Amazon route; absent: no such provider.
CTX_IDENTITY_CENTER_METADATA_URL = "cloudivize:identityCenterMetadataUrl"

DEFAULT_AMAZON_SECRET = "cloudivize/login-with-amazon"  # noqa: S105 - the secret's name, not its value
# The web console's dev server, the first of the default allowed origins.
DEFAULT_CALLBACK_URLS = (f"{resources.DEFAULT_ALLOWED_ORIGINS[0]}/auth/callback",)
DEFAULT_LOGOUT_URLS = (f"{resources.DEFAULT_ALLOWED_ORIGINS[0]}/",)


def _as_list(value: Any) -> list[str]:
    """A list from context: JSON list (cdk.json) or comma-separated string (``-c key=a,b``)."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return [str(item) for item in value]


def _positive_int(key: str, value: Any) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(f"context {key} must be a positive integer, got {value!r}")
    return number


@dataclass(frozen=True)
class StackConfig:
    stack_name: str
    auth: AuthConfig
    api: ApiConfig
    alarm_email: str | None
    azure: AzureCloud
    audit_retention_days: int = constants.DEFAULT_AUDIT_RETENTION_DAYS
    invitation_sender: str | None = None
    console: HostingConfig = field(default_factory=HostingConfig)

    @classmethod
    def from_context(cls, scope: Construct) -> StackConfig:
        def get(key: str, default: Any) -> Any:
            value = scope.node.try_get_context(key)
            return default if value in (None, "") else value

        return cls(
            stack_name=get(CTX_STACK_NAME, resources.DEFAULT_STACK_NAME),
            auth=AuthConfig(
                amazon_secret_name=get(CTX_AMAZON_SECRET, DEFAULT_AMAZON_SECRET),
                # Cognito domain prefixes are global per region: default to one unique per account.
                domain_prefix=get(CTX_DOMAIN_PREFIX, None) or Fn.join("-", ["cloudivize", Aws.ACCOUNT_ID]),
                callback_urls=_as_list(get(CTX_CALLBACK_URLS, DEFAULT_CALLBACK_URLS)),
                logout_urls=_as_list(get(CTX_LOGOUT_URLS, DEFAULT_LOGOUT_URLS)),
                identity_center_metadata_url=get(CTX_IDENTITY_CENTER_METADATA_URL, None),
            ),
            api=ApiConfig(
                throttle_rate_limit=_positive_int(CTX_THROTTLE_RATE, get(CTX_THROTTLE_RATE, 50)),
                throttle_burst_limit=_positive_int(CTX_THROTTLE_BURST, get(CTX_THROTTLE_BURST, 100)),
                waf_rate_limit=_positive_int(CTX_WAF_RATE, get(CTX_WAF_RATE, 1000)),
                log_retention=logs.RetentionDays.THREE_MONTHS,
                cors=resources.CorsPolicy(
                    allowed_origins=tuple(_as_list(get(CTX_ALLOWED_ORIGINS, resources.DEFAULT_ALLOWED_ORIGINS)))
                ),
            ),
            alarm_email=get(CTX_ALARM_EMAIL, None),
            azure=AzureCloud(
                authority_host=get(CTX_AZURE_AUTHORITY_HOST, None),
                resource_manager_url=get(CTX_AZURE_RESOURCE_MANAGER_URL, None),
            ),
            audit_retention_days=_positive_int(
                CTX_AUDIT_RETENTION_DAYS, get(CTX_AUDIT_RETENTION_DAYS, constants.DEFAULT_AUDIT_RETENTION_DAYS)
            ),
            invitation_sender=get(CTX_INVITATION_SENDER, None),
            console=HostingConfig(
                domain_name=get(CTX_CONSOLE_DOMAIN, None),
                certificate_arn=get(CTX_CONSOLE_CERTIFICATE_ARN, None),
                web_acl_arn=get(CTX_CONSOLE_WEB_ACL_ARN, None),
            ),
        )

    def with_console(self, console: ConsoleHosting) -> StackConfig:
        """The hosted console joins the web client's OAuth URLs and the API's browser origins (after those from
        context): it is a web client like any other."""

        def joined(urls: Sequence[str], url: str) -> tuple[str, ...]:
            return tuple(dict.fromkeys((*urls, url)))

        auth = replace(
            self.auth,
            callback_urls=joined(self.auth.callback_urls, console.callback_url),
            logout_urls=joined(self.auth.logout_urls, console.post_logout_url),
        )
        cors = replace(self.api.cors, allowed_origins=joined(self.api.cors.allowed_origins, console.url))
        return replace(self, auth=auth, api=replace(self.api, cors=cors))


class CloudivizeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)

        data = DataStore(self, "Data")
        layer = SharedLayer(self, "SharedLayer", repo_root=REPO_ROOT)
        # Before the functions, which carry their addresses; each function that reaches customers is trusted.
        customer_access = CustomerAccess(
            self, "CustomerAccess", role_name=resources.customer_access_role_name(config.stack_name)
        )
        # The account's outbound identity federation (Azure federated credentials): enabled, and its issuer read,
        # before the functions, which carry the issuer (so CloudFormation creates them after it).
        federation = OutboundFederation(self, "OutboundFederation")
        onboarding = OnboardingTemplate(
            self,
            "OnboardingTemplate",
            template_file=REPO_ROOT / constants.CUSTOMER_ROLE_TEMPLATE,
            beside={constants.ONBOARDING_ORGANIZATION_TEMPLATE_KEY: REPO_ROOT / constants.ORGANIZATION_TEMPLATE},
        )
        # Before the functions and the client, which allow its origin; its files are published at the end.
        console = ConsoleHosting(
            self,
            "Console",
            console_dir=CONSOLE_DIR,
            # From the prefix, not the domain resource: the pool's trigger allows the console's origin (a cycle).
            managed_login_url=managed_login_url(config.auth.domain_prefix),
            access_logs=onboarding.access_logs,
            config=config.console,
        )
        config = config.with_console(console)
        functions = CloudivizeFunctions(
            self,
            "Functions",
            repo_root=REPO_ROOT,
            layer=layer.layer,
            data=data,
            customer_access=customer_access,
            onboarding_template_url=onboarding.template_url,
            onboarding_organization_template_url=onboarding.url_of(constants.ONBOARDING_ORGANIZATION_TEMPLATE_KEY),
            azure=config.azure,
            cors=config.api.cors,
            audit_retention_days=config.audit_retention_days,
            invitation_sender=config.invitation_sender,
            azure_federation_issuer=federation.issuer,
        )
        auth = Auth(
            self,
            "Auth",
            config=config.auth,
            post_confirmation=functions[POST_CONFIRMATION_FUNCTION].function,
        )
        api = Api(self, "Api", functions=functions, user_pool=auth.user_pool, config=config.api)
        observability = Observability(
            self, "Observability", rest_api=api.rest_api, functions=functions, alarm_email=config.alarm_email
        )
        self.organization_sync = OrganizationSync(
            self,
            "OrganizationSync",
            function=functions[constants.ORGANIZATION_SYNC_FUNCTION],
            hours=organization_sync_hours(self),
            alarm_topic=observability.alarm_topic,
        )
        console.publish(
            RuntimeConfig(
                api_url=api.base_url,
                authority=auth.user_pool.user_pool_provider_url,
                client_id=auth.client.user_pool_client_id,
                managed_login_url=auth.managed_login_url,
                scopes=resources.WEB_CLIENT.oauth_scopes,
                identity_providers=config.auth.identity_providers,
            ),
            api_origin=api.origin,
        )

        self.data, self.functions, self.auth, self.api, self.console = data, functions, auth, api, console
        self.customer_access, self.onboarding, self.federation = customer_access, onboarding, federation
        Tags.of(self).add("service", constants.SERVICE_NAME)

        CfnOutput(
            self,
            "ApiUrl",
            value=api.rest_api.url,
            description=f"Base URL of the API (stage {resources.API_STAGE_NAME})",
        )
        CfnOutput(self, "UserPoolId", value=auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=auth.client.user_pool_client_id, description="Public web client")
        CfnOutput(self, "HostedUiBaseUrl", value=auth.domain.base_url(), description="Cognito hosted UI / OAuth")
        CfnOutput(self, "ConsoleUrl", value=console.url, description="The web console (CloudFront)")
        CfnOutput(
            self,
            "ConsoleDistributionDomainName",
            value=console.distribution.distribution_domain_name,
            description="Point consoleDomain's DNS record (CNAME or alias) here",
        )
        CfnOutput(self, "ConsoleDistributionId", value=console.distribution.distribution_id)
        CfnOutput(self, "ConsoleBucketName", value=console.bucket.bucket_name)
        CfnOutput(self, "TableName", value=data.table.table_name)
        CfnOutput(self, "FieldKeyArn", value=data.field_key.key_arn, description="KMS key sealing connection secrets")
        CfnOutput(
            self,
            "CustomerAccessRoleArn",
            value=customer_access.role_arn,
            description="Cloudivize's principal: the principal ARN customers trust (with their External ID)",
        )
        CfnOutput(
            self,
            "AzureFederationIssuer",
            value=federation.issuer,
            description="Issuer of Cloudivize's web identity tokens (AWS IAM outbound identity federation): the "
            "issuer customers name in their Entra application's federated credential",
        )
        CfnOutput(
            self,
            "OnboardingTemplateUrl",
            value=onboarding.template_url,
            description="Public HTTPS URL of the customer-role CloudFormation template (quick-create templateURL)",
        )


def cdk_json_context(path: Path = REPO_ROOT / "cdk.json") -> dict[str, Any]:
    """The ``context`` of cdk.json (feature flags, defaults), so ``python app.py`` synthesizes what
    ``cdk synth`` does. The CDK CLI passes the same values again; CLI ``-c`` values still win."""
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("context", {}))


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """The CDK app: the stack, checked by cdk-nag (AwsSolutions). Any unacknowledged finding fails synth."""
    app = App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    config = StackConfig.from_context(app)
    CloudivizeStack(
        app,
        STACK_ID,
        config=config,
        stack_name=config.stack_name,
        description="Cloudivize multi-cloud management backend (API, identity, data)",
        # CDK's own variables, set by the CLI from the deployer's profile; absent = environment-agnostic.
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def stack_of(app: App) -> CloudivizeStack:
    stack = app.node.find_child(STACK_ID)
    assert isinstance(stack, CloudivizeStack)  # noqa: S101 - a programming error, not input validation
    return stack


__all__: Sequence[str] = ("CloudivizeStack", "StackConfig", "build_app", "stack_of", "STACK_ID")

"""The web console, hosted by the stack (docs/architecture.md, "The hosted console").

A private S3 bucket that only this CloudFront distribution reads (origin access control: the bucket policy names
the distribution's ARN), HTTPS only, strict security headers, the single-page app's fallback to ``index.html``,
and the console's build published with its ``config.json``, generated from the stack's own values.

The console calls the API cross-origin (``apiUrl``, the API Gateway stage, with CORS), as it does locally: the
API keeps its own WAF, which rate-limits per client IP, and no CloudFront cache or path rewrite sits in front of it.

Built in two steps, because the distribution's origin must exist before what allows it (the functions' CORS
policy, the app client's callback URLs) while ``config.json`` and the CSP name what is built after them (the
API, the client): ``ConsoleHosting(...)`` makes the bucket and the distribution; ``publish(...)`` adds the API
to the CSP's ``connect-src`` and deploys the files.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    AssetHashType,
    Aws,
    BundlingOptions,
    Duration,
    ILocalBundling,
    IStableStringProducer,
    Lazy,
    Stack,
    Validations,
)
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infrastructure.customer_access import nag_flatten

CONFIG_KEY = "config.json"  # what the console fetches at start (the contract's keys)
INDEX = "index.html"
CALLBACK_PATH = "/auth/callback"  # the console's OAuth redirect
POST_LOGOUT_PATH = "/"
# The single-page app answers every path itself: S3 answers a missing key 403 (OAC grants no ListBucket) or 404.
SPA_FALLBACK_STATUSES = (403, 404)
HSTS_MAX_AGE = Duration.days(730)
CDN_LOG_DAYS = 90  # like the API's and the functions' logs (three months)
NONCURRENT_VERSION_DAYS = 30


def cognito_idp_origin() -> str:
    """Where the pool's OIDC discovery document and JWKS are (the issuer's host)."""
    return f"https://cognito-idp.{Aws.REGION}.{Aws.URL_SUFFIX}"


def content_security_policy(connect_sources: Sequence[str]) -> str:
    """The console's CSP: its own files only, no plugins, no framing; it talks to ``connect_sources`` only."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", *connect_sources],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


@dataclass(frozen=True)
class HostingConfig:
    """Where the console is served (context ``cloudivize:console*``)."""

    # An alternate domain name (e.g. console.example.com) and its ACM certificate (in us-east-1, as CloudFront
    # requires); without them the console is at the distribution's *.cloudfront.net name.
    domain_name: str | None = None
    certificate_arn: str | None = None
    # A WAF web ACL of scope CLOUDFRONT (one exists only in us-east-1), attached when given.
    web_acl_arn: str | None = None

    def __post_init__(self) -> None:
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ValueError(
                "cloudivize:consoleDomain and cloudivize:consoleCertificateArn go together: CloudFront serves an "
                "alternate domain name only with a certificate for it (ACM, us-east-1)"
            )
        if self.domain_name and ("/" in self.domain_name or ":" in self.domain_name):
            raise ValueError(f"cloudivize:consoleDomain is a host name, not a URL: {self.domain_name!r}")


@dataclass(frozen=True)
class RuntimeConfig:
    """The values of the console's ``config.json`` (the contract's keys), from the stack's resources."""

    api_url: str
    authority: str  # the tokens' issuer: https://cognito-idp.<region>.amazonaws.com/<pool id>
    client_id: str
    managed_login_url: str  # https://<prefix>.auth.<region>.amazoncognito.com
    scopes: Sequence[str]
    identity_providers: Sequence[str]

    def as_json(self, console_url: str) -> dict[str, Any]:
        return {
            "apiUrl": self.api_url,
            "authority": self.authority,
            "metadataUrl": f"{self.authority}/.well-known/openid-configuration",
            "clientId": self.client_id,
            "redirectUri": f"{console_url}{CALLBACK_PATH}",
            "postLogoutRedirectUri": f"{console_url}{POST_LOGOUT_PATH}",
            "logoutEndpoint": f"{self.managed_login_url}/logout",
            "scope": " ".join(self.scopes),
            "identityProviders": list(self.identity_providers),
        }


@jsii.implements(ILocalBundling)
class LocalConsoleBundler:
    """Builds the console (npm ci + vite build with the venv's Node) into the asset directory: no Docker."""

    def try_bundle(self, output_dir: str, options: object) -> bool:  # options: the Docker settings, unused
        # Imported here: only a synth that bundles the console needs its build tooling.
        from infrastructure.console_build import build_console

        output = Path(output_dir)
        built = build_console(output)
        if built.resolve() != output.resolve():
            shutil.copytree(built, output, dirs_exist_ok=True)
        return True


@jsii.implements(IStableStringProducer)
class _Joined:
    """A CSP resolved at synth, once ``publish`` has named every source."""

    def __init__(self, sources: list[str]) -> None:
        self._sources = sources

    def produce(self) -> str:
        return content_security_policy(self._sources)


class ConsoleHosting(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        console_dir: Path,
        managed_login_url: str,
        access_logs: s3.IBucket,
        config: HostingConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self.console_dir = console_dir
        self.config = config

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,  # CloudFront reads it through OAC without a key grant
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="console/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS))],
        )
        # CloudFront's standard logs are delivered with an ACL grant, so this bucket alone keeps ACLs (object writer).
        self.cdn_logs = s3.Bucket(
            self,
            "CdnLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="console-cdn-logs/",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(CDN_LOG_DAYS))],
        )

        # The managed login (token, userInfo, revoke) and the issuer (discovery); publish() adds the API.
        self._connect_sources = [managed_login_url, cognito_idp_origin()]
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Cloudivize console: strict CSP, HSTS, no sniffing, no framing, no referrer",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=Lazy.string(_Joined(self._connect_sources)), override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
            ),
        )

        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn)
            if config.certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Cloudivize web console",
            default_root_object=INDEX,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(
                    self.bucket, origin_access_levels=[cloudfront.AccessLevel.READ]
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                compress=True,
            ),
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path=f"/{INDEX}",
                    ttl=Duration.seconds(0),  # a path that later exists is not hidden behind a cached fallback
                )
                for status in SPA_FALLBACK_STATUSES
            ],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            domain_names=[config.domain_name] if config.domain_name else None,
            certificate=certificate,
            # Applies to a certificate of our own; the default *.cloudfront.net one always allows TLSv1 (CFR4).
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None,
            enable_logging=True,
            log_bucket=self.cdn_logs,
            log_file_prefix="console/",
            web_acl_id=config.web_acl_arn,
        )
        self._acknowledge_distribution()

    @property
    def url(self) -> str:
        """The console's URL, which is also its origin (no path)."""
        return f"https://{self.config.domain_name or self.distribution.distribution_domain_name}"

    @property
    def callback_url(self) -> str:
        return f"{self.url}{CALLBACK_PATH}"

    @property
    def post_logout_url(self) -> str:
        return f"{self.url}{POST_LOGOUT_PATH}"

    def publish(self, runtime: RuntimeConfig, *, api_origin: str) -> s3deploy.BucketDeployment:
        """Let the console call the API (CSP) and deploy its files with the generated ``config.json``."""
        self._connect_sources.append(api_origin)
        self.runtime_config: Mapping[str, Any] = runtime.as_json(self.url)
        # Bundling skipped (tests: aws:cdk:bundling-stacks = []) stages the source as is, so it must exist; the
        # asset's hash is the build's output, so it changes only when the files do.
        source_dir = self.console_dir if self.console_dir.is_dir() else Path(__file__).resolve().parent
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Publish",
            sources=[
                s3deploy.Source.asset(
                    str(source_dir),
                    asset_hash_type=AssetHashType.OUTPUT,
                    bundling=BundlingOptions(
                        # Never pulled: the local bundler builds the console or raises.
                        image=lambda_.Runtime.NODEJS_22_X.bundling_image,
                        local=LocalConsoleBundler(),
                    ),
                ),
                # After the build, so it replaces any config.json a build might carry.
                s3deploy.Source.json_data(CONFIG_KEY, dict(self.runtime_config)),
            ],
            destination_bucket=self.bucket,
            # Revalidated on every load (ETag): a new deploy's index.html and config.json are seen at once.
            cache_control=[s3deploy.CacheControl.no_cache()],
            distribution=self.distribution,
            distribution_paths=["/*"],
        )
        self._acknowledge_deployment_handler()
        return self.deployment

    def _acknowledge_distribution(self) -> None:
        findings = {
            "AwsSolutions-CFR1": "Console distribution: Cloudivize is sold worldwide, so no country is refused the "
            "console; it serves public static files only, every call for data goes to the API with a token.",
        }
        if not self.config.certificate_arn:
            findings["AwsSolutions-CFR4"] = (
                "Console distribution without cloudivize:consoleDomain: the default *.cloudfront.net certificate "
                "cannot enforce a TLS minimum (CloudFront's TLSv1 policy); set consoleDomain and "
                "consoleCertificateArn to serve it with TLSv1.2_2021. HSTS keeps browsers on HTTPS."
            )
        if not self.config.web_acl_arn:
            findings["AwsSolutions-CFR2"] = (
                "Console distribution: a CloudFront web ACL can only be created in us-east-1 and this stack "
                "deploys to any region; it serves public static files, while the API it calls has its own "
                "regional WAF (managed rules, per-IP rate limit). Set cloudivize:consoleWebAclArn to attach one."
            )
        for rule, reason in findings.items():
            Validations.of(self.distribution).acknowledge(Acknowledgment(id=rule, reason=reason))

    def _acknowledge_deployment_handler(self) -> None:
        """The stack's BucketDeployment handler (a CDK singleton, shared with the onboarding template's) also
        writes this bucket and invalidates this distribution: those grants, by their exact findings."""
        stack = Stack.of(self)
        default_policy = self.deployment.handler_role.node.find_child("DefaultPolicy")
        what = "CDK BucketDeployment handler (CDK-managed custom resource that publishes the console)"
        findings = {
            f"Resource::{nag_flatten(stack.resolve(self.bucket.arn_for_objects('*')))}": "the objects of the "
            "console bucket it publishes to",
            # CloudFront's invalidation API has no resource-level permission CDK scopes: it grants "*".
            "Resource::*": "cloudfront:CreateInvalidation and GetInvalidation, so a deploy's files are served at once",
        }
        for finding, granted in findings.items():
            Validations.of(default_policy).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[{finding}]",
                    reason=f"{what}: {granted}; CDK writes this policy for its handler, which only runs when "
                    "CloudFormation deploys the stack.",
                )
            )

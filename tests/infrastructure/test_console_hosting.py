"""The hosted console: a private bucket only its distribution reads (OAC), HTTPS with strict security headers, the
SPA fallback, config.json from the stack's own values, and the console's URL allowed by the client and the API."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint

from infrastructure.console_hosting import HostingConfig, LocalConsoleBundler
from infrastructure.customer_access import nag_flatten as flat
from infrastructure.stack import (
    CTX_CONSOLE_CERTIFICATE_ARN,
    CTX_CONSOLE_DOMAIN,
    CTX_CONSOLE_WEB_ACL_ARN,
    CTX_IDENTITY_CENTER_METADATA_URL,
    build_app,
    stack_of,
)

from .conftest import SKIP_BUNDLING, Synthesized
from .test_cfn_lint import REGIONS
from .test_nag import _acknowledgements

CERTIFICATE_ARN = "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-console"
WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/console/0a1b2c3d"
METADATA_URL = "https://portal.sso.eu-west-1.amazonaws.com/saml/metadata/MTExMTIyMjIzMzMzX2lucy0xMjM0"
DEV_ORIGIN = "http://localhost:5173"


@pytest.fixture(scope="module")
def customized(tmp_path_factory) -> Synthesized:
    """The stack with every console option set: its own domain, a CloudFront web ACL, Identity Center."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(
        context={
            **SKIP_BUNDLING,
            CTX_CONSOLE_DOMAIN: "console.example.com",
            CTX_CONSOLE_CERTIFICATE_ARN: CERTIFICATE_ARN,
            CTX_CONSOLE_WEB_ACL_ARN: WEB_ACL_ARN,
            CTX_IDENTITY_CENTER_METADATA_URL: METADATA_URL,
        },
        outdir=str(outdir),
    )
    stack = stack_of(app)
    artifact = app.synth().get_stack_by_name(stack.stack_name)
    return Synthesized(
        app=app,
        stack=stack,
        template=artifact.template,
        template_path=Path(artifact.template_full_path),
        outdir=outdir,
    )


def _properties(synth: Synthesized, construct: Any) -> dict[str, Any]:
    return synth.template["Resources"][synth.logical_id(construct)]["Properties"]


def _distribution(synth: Synthesized) -> dict[str, Any]:
    return _properties(synth, synth.stack.console.distribution)["DistributionConfig"]


def _console_origin(synth: Synthesized) -> str:
    return f"https://<{synth.logical_id(synth.stack.console.distribution)}.DomainName>"


def _bucket_policy(synth: Synthesized, bucket: Any) -> list[dict[str, Any]]:
    [policy] = [
        resource["Properties"]["PolicyDocument"]["Statement"]
        for resource in synth.resources("AWS::S3::BucketPolicy").values()
        if resource["Properties"]["Bucket"] == {"Ref": synth.logical_id(bucket)}
    ]
    return policy


def _csp(synth: Synthesized) -> dict[str, list[str]]:
    headers = _properties(synth, synth.stack.console.headers)["ResponseHeadersPolicyConfig"]
    policy = flat(headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = [directive.split() for directive in policy.split(";")]
    return {name: sources for name, *sources in directives}


def _config_json(synth: Synthesized) -> dict[str, Any]:
    """The published config.json, its deploy-time values (markers) as the flattened template names them."""
    deployment = _properties(synth, synth.stack.console.deployment.node.find_child("CustomResource"))
    assets = json.loads((synth.outdir / f"{synth.stack.artifact_id}.assets.json").read_text())["files"]
    [(key, markers)] = [
        (key, markers)
        for key, markers in zip(deployment["SourceObjectKeys"], deployment["SourceMarkers"], strict=True)
        if markers
    ]
    [source] = [
        asset["source"]
        for asset in assets.values()
        if any(destination["objectKey"] == key for destination in asset["destinations"].values())
    ]
    text = (synth.outdir / source["path"] / "config.json").read_text()
    for marker, value in markers.items():
        text = text.replace(marker, flat(value))
    return json.loads(text)


def _client(synth: Synthesized) -> dict[str, Any]:
    return _properties(synth, synth.stack.auth.client)


# --- The bucket ----------------------------------------------------------------------------------------------


def test_console_bucket_is_private_encrypted_versioned_and_logged_to_the_stacks_log_bucket(synth):
    bucket = _properties(synth, synth.stack.console.bucket)
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "WebsiteConfiguration" not in bucket  # served by CloudFront only, never as an S3 website
    assert bucket["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": synth.logical_id(synth.stack.onboarding.access_logs)},
        "LogFilePrefix": "console/",
    }


def test_only_this_distribution_reads_the_bucket_through_origin_access_control(synth):
    console = synth.stack.console
    statements = _bucket_policy(synth, console.bucket)
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"  # no listing, no writing
    assert flat(allow["Resource"]) == f"<{synth.logical_id(console.bucket)}.Arn>/*"
    distribution_id = synth.logical_id(console.distribution)
    assert {name: {key: flat(value) for key, value in test.items()} for name, test in allow["Condition"].items()} == {
        "StringEquals": {
            "AWS:SourceArn": f"arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<{distribution_id}>"
        }
    }
    # Everything else is refused without TLS 1.2.
    denies = [s["Condition"] for s in statements if s["Effect"] == "Deny"]
    assert denies == [{"Bool": {"aws:SecureTransport": "false"}}, {"NumericLessThan": {"s3:TlsVersion": 1.2}}]

    [origin] = _distribution(synth)["Origins"]
    [(oac_id, oac)] = synth.resources("AWS::CloudFront::OriginAccessControl").items()
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    assert synth.resources("AWS::CloudFront::CloudFrontOriginAccessIdentity") == {}
    config = oac["Properties"]["OriginAccessControlConfig"]
    assert (config["OriginAccessControlOriginType"], config["SigningBehavior"], config["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )


# --- The distribution ----------------------------------------------------------------------------------------


def test_viewers_are_redirected_to_https_and_may_only_read(synth):
    behavior = _distribution(synth)["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": synth.logical_id(synth.stack.console.headers)}
    assert "CacheBehaviors" not in _distribution(synth)  # one behavior: no path escapes the headers


def test_the_default_certificate_is_acknowledged_and_a_console_domain_gets_tls_1_2(synth, customized):
    assert "ViewerCertificate" not in _distribution(synth)  # *.cloudfront.net: CloudFront's own certificate
    reason = _acknowledgements(synth.app)[(synth.stack.console.distribution.node.path, "AwsSolutions-CFR4")]
    assert "consoleCertificateArn" in reason

    config = _distribution(customized)
    assert config["Aliases"] == ["console.example.com"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE_ARN,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    acknowledged = {rule for path, rule in _acknowledgements(customized.app) if "/Console/" in path + "/"}
    assert "AwsSolutions-CFR4" not in acknowledged


def test_a_web_acl_from_context_is_attached_and_then_needs_no_acknowledgement(synth, customized):
    assert "WebACLId" not in _distribution(synth)
    assert (synth.stack.console.distribution.node.path, "AwsSolutions-CFR2") in _acknowledgements(synth.app)
    assert _distribution(customized)["WebACLId"] == WEB_ACL_ARN
    assert (customized.stack.console.distribution.node.path, "AwsSolutions-CFR2") not in _acknowledgements(
        customized.app
    )


def test_the_single_page_app_answers_every_path_with_index_html(synth):
    config = _distribution(synth)
    assert config["DefaultRootObject"] == "index.html"
    assert config["CustomErrorResponses"] == [
        {"ErrorCode": 403, "ResponseCode": 200, "ResponsePagePath": "/index.html", "ErrorCachingMinTTL": 0},
        {"ErrorCode": 404, "ResponseCode": 200, "ResponsePagePath": "/index.html", "ErrorCachingMinTTL": 0},
    ]


def test_requests_are_logged_to_a_private_bucket_that_keeps_them_90_days(synth):
    console = synth.stack.console
    assert _distribution(synth)["Logging"] == {
        "Bucket": {"Fn::GetAtt": [synth.logical_id(console.cdn_logs), "RegionalDomainName"]},
        "Prefix": "console/",
    }
    logs = _properties(synth, console.cdn_logs)
    assert all(logs["PublicAccessBlockConfiguration"].values())
    # CloudFront's standard logs arrive with an ACL grant: the one bucket whose objects keep their writer's ACL.
    assert logs["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    assert [rule["ExpirationInDays"] for rule in logs["LifecycleConfiguration"]["Rules"]] == [90]
    assert logs["LoggingConfiguration"]["LogFilePrefix"] == "console-cdn-logs/"


# --- Security headers ----------------------------------------------------------------------------------------


def test_the_csp_allows_only_the_console_itself_the_api_and_cognito(synth):
    api = synth.logical_id(synth.stack.api.rest_api)
    assert _csp(synth) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": [
            "'self'",
            "https://cloudivize-<AWS::AccountId>.auth.<AWS::Region>.amazoncognito.com",  # token, userInfo, revoke
            "https://cognito-idp.<AWS::Region>.<AWS::URLSuffix>",  # discovery and JWKS
            f"https://<{api}>.execute-api.<AWS::Region>.<AWS::URLSuffix>",
        ],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }


def test_hsts_nosniff_no_referrer_and_no_framing_override_whatever_the_origin_sends(synth):
    headers = _properties(synth, synth.stack.console.headers)["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 63072000,  # two years
        "IncludeSubdomains": True,
        "Override": True,
    }
    assert headers["ContentTypeOptions"] == {"Override": True}  # X-Content-Type-Options: nosniff
    assert headers["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ContentSecurityPolicy"]["Override"] is True


# --- config.json and the URLs the stack allows ---------------------------------------------------------------


def test_config_json_names_the_stacks_api_pool_client_and_console(synth):
    stack = synth.stack
    pool = synth.logical_id(stack.auth.user_pool)
    console = _console_origin(synth)
    managed_login = "https://cloudivize-<AWS::AccountId>.auth.<AWS::Region>.amazoncognito.com"
    assert _config_json(synth) == {
        "apiUrl": f"https://<{synth.logical_id(stack.api.rest_api)}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/v1",
        "authority": f"<{pool}.ProviderURL>",  # https://cognito-idp.<region>.amazonaws.com/<pool id>: the iss
        "metadataUrl": f"<{pool}.ProviderURL>/.well-known/openid-configuration",
        "clientId": f"<{synth.logical_id(stack.auth.client)}>",
        "redirectUri": f"{console}/auth/callback",
        "postLogoutRedirectUri": f"{console}/",
        "logoutEndpoint": f"{managed_login}/logout",
        "scope": "openid email profile",
        "identityProviders": ["COGNITO", "LoginWithAmazon"],
    }
    assert _client(synth)["AllowedOAuthScopes"] == ["openid", "email", "profile"]


def test_config_json_is_published_to_the_console_bucket_and_the_distribution_is_invalidated(synth):
    console = synth.stack.console
    deployment = _properties(synth, console.deployment.node.find_child("CustomResource"))
    assert deployment["DestinationBucketName"] == {"Ref": synth.logical_id(console.bucket)}
    assert deployment["DistributionId"] == {"Ref": synth.logical_id(console.distribution)}
    assert deployment["DistributionPaths"] == ["/*"]
    assert deployment["Prune"] is True
    assert deployment["SystemMetadata"] == {"cache-control": "no-cache"}
    assert len(deployment["SourceObjectKeys"]) == 2  # the build, then config.json over it


def test_the_console_url_is_a_callback_and_logout_url_of_the_client(synth):
    client = _client(synth)
    console = _console_origin(synth)
    assert [flat(url) for url in client["CallbackURLs"]] == [f"{DEV_ORIGIN}/auth/callback", f"{console}/auth/callback"]
    assert [flat(url) for url in client["LogoutURLs"]] == [f"{DEV_ORIGIN}/", f"{console}/"]
    assert flat(synth.template["Outputs"]["ConsoleUrl"]["Value"]) == console


def test_the_console_origin_is_allowed_by_every_function(synth):
    functions = [r["Properties"] for r in synth.resources("AWS::Lambda::Function").values()]
    origins = [
        flat(f["Environment"]["Variables"]["CORS_ALLOWED_ORIGINS"])
        for f in functions
        if "CORS_ALLOWED_ORIGINS" in f.get("Environment", {}).get("Variables", {})
    ]
    assert len(origins) == len(synth.stack.functions.by_name)
    assert set(origins) == {f"{DEV_ORIGIN},http://127.0.0.1:5173,{_console_origin(synth)}"}


def test_a_console_domain_is_named_literally_so_nothing_waits_for_the_distribution(customized):
    console = "https://console.example.com"
    assert customized.template["Outputs"]["ConsoleUrl"]["Value"] == console
    assert _client(customized)["CallbackURLs"][-1] == f"{console}/auth/callback"
    config = _config_json(customized)
    assert (config["redirectUri"], config["postLogoutRedirectUri"]) == (f"{console}/auth/callback", f"{console}/")
    distribution = customized.logical_id(customized.stack.console.distribution)
    # Only the console's own resources (its bucket policy, its deployment) need it: no client, no function.
    assert _dependents(customized.template, distribution) == {
        distribution,
        customized.logical_id(customized.stack.console.bucket.policy),
        customized.logical_id(customized.stack.console.deployment.node.find_child("CustomResource")),
    }


# --- No dependency cycle -------------------------------------------------------------------------------------


def _references(value: Any) -> set[str]:
    text = json.dumps(value)
    found = set(re.findall(r'\{"Ref": "([A-Za-z0-9]+)"\}', text))
    found |= set(re.findall(r'"Fn::GetAtt": \["([A-Za-z0-9]+)"', text))
    return found


def _graph(template: dict[str, Any]) -> dict[str, set[str]]:
    """Each resource -> the resources it needs first (Ref, GetAtt, DependsOn)."""
    resources = template["Resources"]
    graph = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        needed = _references(resource.get("Properties", {})) | set(
            depends_on if isinstance(depends_on, list) else [depends_on]
        )
        graph[logical_id] = needed & set(resources)
    return graph


def _dependents(template: dict[str, Any], logical_id: str) -> set[str]:
    """The resource and every resource that needs it, directly or not."""
    graph = _graph(template)
    found, frontier = {logical_id}, [logical_id]
    while frontier:
        current = frontier.pop()
        for resource, needed in graph.items():
            if current in needed and resource not in found:
                found.add(resource)
                frontier.append(resource)
    return found


def _needed(template: dict[str, Any], logical_id: str) -> set[str]:
    graph = _graph(template)
    found, frontier = set(), [logical_id]
    while frontier:
        for needed in graph[frontier.pop()] - found:
            found.add(needed)
            frontier.append(needed)
    return found


def test_the_distribution_needs_neither_the_client_nor_the_functions_that_allow_it(synth):
    stack = synth.stack
    distribution = synth.logical_id(stack.console.distribution)
    needed = _needed(synth.template, distribution)
    assert synth.logical_id(stack.auth.client) in _dependents(synth.template, distribution)
    assert synth.logical_id(stack.functions["post_confirmation"].function) in _dependents(synth.template, distribution)
    forbidden = {synth.logical_id(stack.auth.client), synth.logical_id(stack.auth.user_pool)}
    forbidden |= {synth.logical_id(function.function) for function in stack.functions}
    assert needed & forbidden == set()
    assert distribution not in needed  # no cycle through it
    # The CSP names the API by its id only: the REST API resource itself needs nothing of the stack.
    assert _needed(synth.template, synth.logical_id(stack.api.rest_api)) == set()


# --- Identity Center -----------------------------------------------------------------------------------------


def test_without_identity_center_there_is_no_saml_provider(synth):
    assert synth.resources("AWS::Cognito::UserPoolIdentityProvider").keys() == {
        synth.logical_id(synth.stack.auth.amazon)
    }
    assert set(_client(synth)["SupportedIdentityProviders"]) == {"COGNITO", "LoginWithAmazon"}


def test_identity_center_is_a_saml_provider_the_client_and_the_console_offer(customized):
    auth = customized.stack.auth
    provider_id = customized.logical_id(auth.identity_center)
    provider = _properties(customized, auth.identity_center)
    assert provider["ProviderType"] == "SAML"
    assert provider["ProviderName"] == "IdentityCenter"
    assert provider["ProviderDetails"]["MetadataURL"] == METADATA_URL
    assert provider["AttributeMapping"] == {"email": "email"}
    client = customized.template["Resources"][customized.logical_id(auth.client)]
    assert client["Properties"]["SupportedIdentityProviders"] == ["COGNITO", "LoginWithAmazon", "IdentityCenter"]
    assert provider_id in client["DependsOn"]
    assert _config_json(customized)["identityProviders"] == ["COGNITO", "LoginWithAmazon", "IdentityCenter"]


# --- Configuration and bundling ------------------------------------------------------------------------------


def test_a_console_domain_needs_its_certificate_and_is_a_host_name():
    with pytest.raises(ValueError, match="go together"):
        HostingConfig(domain_name="console.example.com")
    with pytest.raises(ValueError, match="go together"):
        HostingConfig(certificate_arn=CERTIFICATE_ARN)
    with pytest.raises(ValueError, match="host name, not a URL"):
        HostingConfig(domain_name="https://console.example.com", certificate_arn=CERTIFICATE_ARN)


def test_the_bundler_puts_the_console_build_into_the_asset_directory(tmp_path, monkeypatch):
    # build_console is the console's own build (npm ci + vite); here a stand-in that writes what a build writes.
    calls: list[Path] = []

    def build_console(output_dir: Path | None = None) -> Path:
        calls.append(output_dir)
        dist = tmp_path / "dist"
        (dist / "assets").mkdir(parents=True)
        (dist / "index.html").write_text("<!doctype html>")
        (dist / "assets" / "index-1a2b.js").write_text("export {}")
        return dist

    monkeypatch.setitem(sys.modules, "infrastructure.console_build", types.SimpleNamespace(build_console=build_console))
    output = tmp_path / "asset"
    output.mkdir()
    assert LocalConsoleBundler().try_bundle(str(output), None) is True
    assert calls == [output]
    assert sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()) == [
        "assets/index-1a2b.js",
        "index.html",
    ]


def test_the_stack_with_every_console_option_has_no_cfn_lint_error(customized):
    # The default stack is linted by test_cfn_lint.py; this one adds aliases, a certificate, a web ACL and SAML.
    matches = lint(customized.template_path.read_text(), regions=REGIONS)
    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []

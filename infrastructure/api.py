"""The REST API (docs/architecture.md), built from ``routes.ROUTES``: every method is a Lambda proxy behind the one
Cognito authorizer. Errors API Gateway answers itself (bad token, throttling, WAF, ...) are RFC 9457
``application/problem+json`` like the functions' own, and carry ``X-Request-Id``.

Browsers (``resources.CorsPolicy``): every routed resource answers its CORS preflight itself (a mock integration,
no authorizer: a preflight carries no credentials), and gateway responses carry the CORS headers too, so a page can
read a 401 or a 429.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, Stack, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infrastructure import resources
from infrastructure.functions import CloudivizeFunctions
from infrastructure.routes import ROUTES, Route

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Same base as the functions' problem types (cloudivize.errors.PROBLEM_TYPE_BASE).
PROBLEM_TYPE_BASE = "https://cloudivize.com/problems/"


@dataclass(frozen=True)
class Problem:
    response_type: apigw.ResponseType
    status: int
    title: str
    slug: str


# Every response type API Gateway answers by itself, with its default status (the HTTP status is not changed).
# All named types are listed, so DEFAULT_4XX / DEFAULT_5XX catch only the rest (e.g. a Lambda that fails or
# returns a malformed proxy response, 502): a gateway response template cannot read the status, so their
# body says 400 / 500 generically.
GATEWAY_PROBLEMS: tuple[Problem, ...] = (
    Problem(apigw.ResponseType.DEFAULT_4_XX, 400, "Bad request", "bad-request"),
    Problem(apigw.ResponseType.DEFAULT_5_XX, 500, "Internal error", "internal"),
    Problem(apigw.ResponseType.BAD_REQUEST_BODY, 400, "Bad request", "bad-request"),
    Problem(apigw.ResponseType.BAD_REQUEST_PARAMETERS, 400, "Bad request", "bad-request"),
    Problem(apigw.ResponseType.UNAUTHORIZED, 401, "Unauthorized", "unauthorized"),
    Problem(apigw.ResponseType.ACCESS_DENIED, 403, "Forbidden", "forbidden"),
    Problem(apigw.ResponseType.EXPIRED_TOKEN, 403, "Forbidden", "forbidden"),
    Problem(apigw.ResponseType.INVALID_SIGNATURE, 403, "Forbidden", "forbidden"),
    Problem(apigw.ResponseType.INVALID_API_KEY, 403, "Forbidden", "forbidden"),
    Problem(apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 403, "Forbidden", "forbidden"),
    Problem(apigw.ResponseType.WAF_FILTERED, 403, "Forbidden", "forbidden"),
    Problem(apigw.ResponseType.RESOURCE_NOT_FOUND, 404, "Not found", "not-found"),
    Problem(apigw.ResponseType.REQUEST_TOO_LARGE, 413, "Payload too large", "payload-too-large"),
    Problem(apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, 415, "Unsupported media type", "unsupported-media-type"),
    Problem(apigw.ResponseType.THROTTLED, 429, "Too many requests", "too-many-requests"),
    Problem(apigw.ResponseType.QUOTA_EXCEEDED, 429, "Too many requests", "too-many-requests"),
    Problem(apigw.ResponseType.API_CONFIGURATION_ERROR, 500, "Internal error", "internal"),
    Problem(apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR, 500, "Internal error", "internal"),
    Problem(apigw.ResponseType.AUTHORIZER_FAILURE, 500, "Internal error", "internal"),
    Problem(apigw.ResponseType.INTEGRATION_FAILURE, 504, "Gateway timeout", "unavailable"),
    Problem(apigw.ResponseType.INTEGRATION_TIMEOUT, 504, "Gateway timeout", "unavailable"),
)


def problem_template(problem: Problem) -> str:
    """The body API Gateway sends: ``$context.error.messageString`` is the message already JSON-quoted."""
    head = json.dumps({"type": PROBLEM_TYPE_BASE + problem.slug, "title": problem.title, "status": problem.status})
    return head[:-1] + ', "detail": $context.error.messageString}'


@dataclass(frozen=True)
class ApiConfig:
    throttle_rate_limit: int  # steady requests per second, whole stage
    throttle_burst_limit: int
    waf_rate_limit: int  # requests per 5 minutes per client IP before WAF blocks
    log_retention: logs.RetentionDays
    cors: resources.CorsPolicy = resources.NO_CORS


def preflight_template(cors: resources.CorsPolicy) -> str:
    """The preflight's integration response template: the request's Origin echoed only when it is allowed.

    CDK's ``add_cors_preflight`` maps the first origin statically and overrides it for the others, so a stranger
    is answered with the first origin; this answers a stranger no origin at all, as the local gateway does.
    """
    condition = " || ".join(f'$origin == "{origin}"' for origin in cors.allowed_origins)
    return "\n".join(
        (
            '#set($origin = $input.params().header.get("Origin"))',
            '#if($origin == "")',
            '  #set($origin = $input.params().header.get("origin"))',
            "#end",
            f"#if({condition})",
            "  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)",
            "#end",
        )
    )


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: CloudivizeFunctions,
        user_pool: cognito.IUserPool,
        config: ApiConfig,
        routes: Iterable[Route] = ROUTES,
    ) -> None:
        super().__init__(scope, construct_id)

        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=config.log_retention)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{Stack.of(self).stack_name}-api",  # also the ApiName dimension of its metrics
            description="Cloudivize API (v1): every route needs a Cognito ID token",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,  # the account-level role API Gateway needs for execution logs (APIG6)
            deploy_options=apigw.StageOptions(
                stage_name=resources.API_STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.INFO,
                data_trace_enabled=False,  # full request/response logs would record ID tokens and secrets
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=config.throttle_rate_limit,
                throttling_burst_limit=config.throttle_burst_limit,
            ),
        )
        Validations.of(self.rest_api.node.find_child("CloudWatchRole")).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                reason="API Gateway account CloudWatch role: the AWS managed policy made for this one service "
                "role, which API Gateway needs to write the stage's execution logs (APIG6).",
            )
        )

        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[user_pool],
            identity_source=apigw.IdentitySource.header("Authorization"),
        )
        self.validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )

        self.methods: dict[tuple[str, str], apigw.Method] = {}
        for route in routes:
            resource = self.rest_api.root.resource_for_path(route.path)
            self.methods[(route.method, route.path)] = resource.add_method(
                route.method,
                apigw.LambdaIntegration(functions[route.function].function, proxy=True),
                authorizer=self.authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
                request_validator=self.validator,
            )

        self.preflights: dict[str, apigw.Method] = {}
        if config.cors.enabled:
            for path in dict.fromkeys(route.path for route in routes):
                self.preflights[path] = self._preflight(path, config.cors)

        cors_headers = self._gateway_response_cors_headers(config.cors)
        for problem in GATEWAY_PROBLEMS:
            name = problem.response_type.response_type  # e.g. "DEFAULT_4XX"
            self.rest_api.add_gateway_response(
                "Problem" + "".join(part.capitalize() for part in name.split("_")),
                type=problem.response_type,
                response_headers={
                    "Content-Type": f"'{PROBLEM_CONTENT_TYPE}'",
                    "X-Request-Id": "context.requestId",
                    **cors_headers,
                },
                templates={"application/json": problem_template(problem)},
            )

        self.web_acl = self._web_acl(config.waf_rate_limit)
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )

    @property
    def stage(self) -> apigw.Stage:
        return self.rest_api.deployment_stage

    @property
    def origin(self) -> str:
        """The API's browser origin (its execute-api host), what a page's CSP ``connect-src`` names."""
        return f"https://{self.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"

    @property
    def base_url(self) -> str:
        """The stage's URL without the trailing slash of ``RestApi.url``: a client appends ``/me`` to it."""
        return f"{self.origin}/{resources.API_STAGE_NAME}"

    def _preflight(self, path: str, cors: resources.CorsPolicy) -> apigw.Method:
        """OPTIONS on ``path``: a mock integration answering the policy's headers, with no authorizer.

        cdk-nag's APIG4 and COG4 do not apply to an OPTIONS method that answers 204 with Access-Control-Allow-*
        headers (a CORS preflight), so this needs no acknowledgement; any other unauthorized method still fails.
        """
        mapped = {
            f"method.response.header.{name}": f"'{value}'" for name, value in cors.preflight_headers(path).items()
        }
        mapped["method.response.header.X-Request-Id"] = "context.requestId"
        status = str(resources.PREFLIGHT_STATUS)
        return self.rest_api.root.resource_for_path(path).add_method(
            "OPTIONS",
            apigw.MockIntegration(
                request_templates={"application/json": f"{{ statusCode: {status} }}"},
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code=status,
                        response_parameters=mapped,
                        # Access-Control-Allow-Origin: set by the template, and only for an allowed origin.
                        response_templates={"application/json": preflight_template(cors)},
                    )
                ],
            ),
            authorization_type=apigw.AuthorizationType.NONE,
            method_responses=[
                apigw.MethodResponse(
                    status_code=status,
                    response_parameters=dict.fromkeys(
                        (*mapped, "method.response.header.Access-Control-Allow-Origin"), True
                    ),
                )
            ],
        )

    @staticmethod
    def _gateway_response_cors_headers(cors: resources.CorsPolicy) -> dict[str, str]:
        """``CorsPolicy.gateway_response_headers`` as gateway response parameters (the reasoning is there)."""
        return {
            name: f"method.request.header.{value.name}"
            if isinstance(value, resources.FromRequestHeader)
            else f"'{value}'"
            for name, value in cors.gateway_response_headers().items()
        }

    def _web_acl(self, rate_limit: int) -> wafv2.CfnWebACL:
        prefix = Stack.of(self).stack_name

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=f"{prefix}-{name}", sampled_requests_enabled=True
            )

        def managed(priority: int, name: str) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                visibility_config=visibility(name),
            )

        return wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            description="Cloudivize API: AWS managed common + known-bad-inputs rules, per-IP rate limit",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("WebAcl"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimitPerIp",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=rate_limit, aggregate_key_type="IP"
                        )
                    ),
                    visibility_config=visibility("RateLimitPerIp"),
                ),
                managed(1, "AWSManagedRulesCommonRuleSet"),
                managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
            ],
        )

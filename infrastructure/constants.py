"""Names the functions, the CDK stack and the local stack share (variables, keys, attributes, files).

How the resources themselves are configured is in ``resources``.
"""

SERVICE_NAME = "cloudivize"
METRICS_NAMESPACE = "Cloudivize"

# Single table (docs/architecture.md, "Data model"): partition key = tenant, sort key = record kind + id.
TABLE_PARTITION_KEY = "pk"
TABLE_SORT_KEY = "sk"

# Cognito
TENANT_ATTRIBUTE = "tenant_id"  # custom attribute, seen in tokens as "custom:tenant_id"
AMAZON_PROVIDER_NAME = "LoginWithAmazon"  # Cognito's fixed name for the Login with Amazon IdP

# Environment variables the functions read (cloudivize.config reads them; keep the names in sync).
ENV_TABLE_NAME = "TABLE_NAME"
ENV_FIELD_KEY_ARN = "FIELD_KEY_ARN"
ENV_IDEMPOTENCY_TABLE_NAME = "IDEMPOTENCY_TABLE_NAME"
# Who may call each route, what a refusal names, the audit action: routes.route_policy() as JSON.
ENV_ROUTE_POLICY = "ROUTE_POLICY"
# The header naming the organization a request acts in (cloudivize.tenancy reads it; CORS allows it).
ORGANIZATION_HEADER = "X-Cloudivize-Organization"

# Idempotency records (Powertools idempotency, DynamoDB persistence layer defaults): a table of their own,
# so that the main table holds only connection information, metadata and user configuration.
IDEMPOTENCY_KEY = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"
# The main table's TTL attribute (epoch seconds): unused invitations expire (cloudivize.store.invitations).
TABLE_TTL_ATTRIBUTE = "expires"

# The audit trail (docs/architecture.md, "Audit trail"): a table of its own, which the functions may only add to.
ENV_AUDIT_TABLE_NAME = "AUDIT_TABLE_NAME"
ENV_AUDIT_RETENTION_DAYS = "AUDIT_RETENTION_DAYS"
AUDIT_TTL_ATTRIBUTE = "expires_at"  # epoch seconds, DynamoDB TTL
DEFAULT_AUDIT_RETENTION_DAYS = 400

# Keys every field-level encryption context carries (cloudivize.crypto builds the context; the CDK stack
# requires these keys in its KMS grant conditions). A unit test keeps the two in sync.
ENCRYPTION_CONTEXT_KEYS = ("tenant_id", "record", "purpose")

# Reaching customers' AWS accounts (docs/architecture.md). The functions that call customers' clouds first assume the
# customer-access role (the one principal customers trust), then the customer's role from that session.
ENV_CUSTOMER_ACCESS_ROLE_ARN = "CUSTOMER_ACCESS_ROLE_ARN"
ENV_ONBOARDING_TEMPLATE_URL = "ONBOARDING_TEMPLATE_URL"
# The SES identity invitations are emailed from (context cloudivize:invitationSender); unset: they are logged.
ENV_INVITATION_SENDER = "INVITATION_SENDER"
CUSTOMER_SESSION_NAME = "Cloudivize-Session"  # what customers see in CloudTrail
# Which Azure cloud the functions call (cloudivize.config.AzureSettings reads them); unset: the public cloud.
ENV_AZURE_AUTHORITY_HOST = "AZURE_AUTHORITY_HOST"  # azure-identity's own variable
ENV_AZURE_RESOURCE_MANAGER_URL = "AZURE_RESOURCE_MANAGER_URL"
# Azure federated credentials (AWS IAM outbound identity federation): Cloudivize's principal mints a short-lived
# JWT with sts:GetWebIdentityToken and presents it to Entra. The issuer is the account's (the stack enables the
# feature and reads it); the audience is one per Cloudivize organization, under this prefix (it plays the part of
# the External ID). The principal's policy allows only tokens with this prefix, lifetime and algorithm.
ENV_AZURE_FEDERATION_ISSUER = "AZURE_FEDERATION_ISSUER"
AZURE_FEDERATION_AUDIENCE_PREFIX = "api://cloudivize/organizations/"
WEB_IDENTITY_TOKEN_SECONDS = 300
WEB_IDENTITY_SIGNING_ALGORITHM = "RS256"
# Which browser origins may read the API's responses, and what they may send and read (resources.CorsPolicy;
# cloudivize.config.CorsSettings reads them). Lists are comma-separated; unset: no CORS headers.
ENV_CORS_ALLOWED_ORIGINS = "CORS_ALLOWED_ORIGINS"
ENV_CORS_ALLOW_HEADERS = "CORS_ALLOW_HEADERS"
ENV_CORS_EXPOSE_HEADERS = "CORS_EXPOSE_HEADERS"
ENV_CORS_MAX_AGE = "CORS_MAX_AGE"
# The generic CloudFormation template customers deploy (read-only role, optional operate permissions).
# The API answers it and the stack publishes it; both read this one file.
CUSTOMER_ROLE_TEMPLATE = "layers/cloudivize/aws_access/customer-role.yaml"
ONBOARDING_TEMPLATE_KEY = "onboarding/aws/customer-role.yaml"
# AWS Organizations (docs/architecture.md, "AWS organizations"): the template a customer deploys in the management
# account (a discovery role, and a service-managed StackSet of the customer-role template), published beside it.
ORGANIZATION_TEMPLATE = "layers/cloudivize/aws_access/organization-management.yaml"
ONBOARDING_ORGANIZATION_TEMPLATE_KEY = "onboarding/aws/organization-management.yaml"
ENV_ONBOARDING_ORGANIZATION_TEMPLATE_URL = "ONBOARDING_ORGANIZATION_TEMPLATE_URL"
# How often the schedule reconciles every organization connection with its organization (context, hours).
ORGANIZATION_SYNC_HOURS_CONTEXT = "cloudivize:organizationSyncHours"
DEFAULT_ORGANIZATION_SYNC_HOURS = 6
ORGANIZATION_SYNC_FUNCTION = "organization_sync"  # the routes.FUNCTIONS entry the schedule invokes

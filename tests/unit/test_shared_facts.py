"""Facts the infrastructure and the layer both need, kept in two places because infrastructure must not import
the layer at run time (nor the layer the CDK): these tests keep each pair equal."""

from cloudivize import aws_access, config, errors, principal, repository, roles, tenancy
from infrastructure import api, constants, routes


def test_problem_types_share_one_base():
    assert api.PROBLEM_TYPE_BASE == errors.PROBLEM_TYPE_BASE
    assert api.PROBLEM_CONTENT_TYPE == errors.PROBLEM_CONTENT_TYPE


def test_the_table_key_schema_is_the_one_the_repository_uses():
    assert (constants.TABLE_PARTITION_KEY, constants.TABLE_SORT_KEY) == (repository.PARTITION_KEY, repository.SORT_KEY)


def test_the_identity_provider_and_organization_header_are_those_tenancy_reads():
    assert constants.AMAZON_PROVIDER_NAME == tenancy.AMAZON_PROVIDER
    assert constants.ORGANIZATION_HEADER == tenancy.ORGANIZATION_HEADER
    assert constants.ENV_ROUTE_POLICY == tenancy.ROUTE_POLICY_VARIABLE


def test_the_route_tables_roles_are_the_layers_in_the_same_order():
    assert [needs.value for needs in routes.Needs] == [roles.SIGNED_IN] + [role.value for role in roles.Role]


def test_the_session_name_customers_see_is_the_one_the_principal_is_limited_to():
    assert constants.CUSTOMER_SESSION_NAME == aws_access.SESSION_NAME


def test_the_principal_mints_only_what_its_policy_allows():
    assert constants.AZURE_FEDERATION_AUDIENCE_PREFIX == principal.AUDIENCE_PREFIX
    assert constants.WEB_IDENTITY_TOKEN_SECONDS == principal.WEB_IDENTITY_TOKEN_SECONDS
    assert constants.WEB_IDENTITY_SIGNING_ALGORITHM == principal.WEB_IDENTITY_SIGNING_ALGORITHM
    assert (
        constants.ENV_AZURE_FEDERATION_ISSUER
        == config.FunctionConfig.model_fields["azure_federation_issuer"].validation_alias
    )

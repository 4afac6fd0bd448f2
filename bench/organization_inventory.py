"""An organization's inventory versus one account's, warm: GET /connections/{id}/assets of an organization
connection whose 10 member accounts each hold two instances in each of two regions and a bucket, against the same
request on one of those accounts connected alone; every AWS call made 100 ms away.

Every member's sources are read at once on the container's threads (each account within its own cap), so ten
accounts should cost little more than one. As in ``inventory``, the main figure replays moto's answers once given
(its CPU out of the way, Cloudivize's own work all in); the live figure is beside it.
"""

from __future__ import annotations

from collections.abc import Iterator

from bench._environment import offline
from bench._figures import Figure, interleaved_medians
from bench._replay import Replay

LATENCY_SECONDS = 0.1
ROUNDS = 9
ACCOUNTS = 10
REGIONS = ("eu-west-1", "us-east-1")
FIRST_MEMBER_ACCOUNT = 400000000001


def run() -> Iterator[Figure]:
    offline()
    from moto import mock_aws

    from bench._customer import EXTERNAL_ID, TENANT_ID, USER_ID, Customer, Wire, seed
    from cloudivize.aws_access.onboarding import trust_policy
    from cloudivize.aws_access.provider import AwsRole, NoCredentials
    from cloudivize.providers.base import CloudConnection
    from infrastructure.local.customer_account import seed_customer_account

    replay = Replay()
    with replay.installed(), mock_aws():
        alone = seed(REGIONS)
        trust = trust_policy("arn:aws:iam::123456789012:role/Cloudivize-CustomerAccess", EXTERNAL_ID)
        accounts = [alone.account] + [
            seed_customer_account(trust_policy=trust, account_id=str(FIRST_MEMBER_ACCOUNT + number), regions=REGIONS)
            for number in range(ACCOUNTS - 1)
        ]

        def member(account) -> CloudConnection:
            return CloudConnection(
                connection_id=f"member-{account.account_id}", tenant_id=TENANT_ID, user_id=USER_ID, provider="aws",
                descriptors=AwsRole(role_arn=account.role_arn, account_id=account.account_id),
                credentials=NoCredentials(), regions=list(REGIONS), external_id=EXTERNAL_ID,
            )  # fmt: skip

        members = tuple(member(account) for account in accounts)
        organization = CloudConnection(
            connection_id="organization", tenant_id=TENANT_ID, user_id=USER_ID, provider="aws",
            descriptors=AwsRole(role_arn="arn:aws:iam::300000000000:role/CloudivizeOrganizationDiscovery",
                                account_id="300000000000", member_role_name="CloudivizeAccess"),
            credentials=NoCredentials(), regions=list(REGIONS), external_id=EXTERNAL_ID, scope="organization",
            members=members,
        )  # fmt: skip
        provider = alone.provider
        wires = [Wire(provider.session(connection)) for connection in members]  # before any client is built
        for wire in wires:
            wire.delay = LATENCY_SECONDS
        in_organization = Customer(account=None, provider=provider, sealer=alone.sealer, connection_id="organization")

        def listing(connection: CloudConnection, assets: int) -> None:
            page = in_organization.page_of(connection, limit=500)
            assert not page.errors and page.next_token is None, page.errors
            assert len(page.items) == assets, len(page.items)

        calls = {
            "10_accounts": lambda: listing(organization, ACCOUNTS * (2 * len(REGIONS) + 1)),
            "1_account": lambda: listing(members[0], 2 * len(REGIONS) + 1),
        }
        for call in calls.values():
            call()  # the first request of the container: clients built, models read
        with wires[0].counting() as sent_by_one:
            calls["1_account"]()
        live = interleaved_medians(calls, rounds=ROUNDS)
        replay.enabled = True
        for call in calls.values():
            call()  # moto answers each request once more, to be replayed from now on
        replayed = interleaved_medians(calls, rounds=ROUNDS)

    yield Figure("inventory_10_accounts_vs_1_account", replayed["10_accounts"] / replayed["1_account"])
    yield Figure("inventory_10_accounts_ms", replayed["10_accounts"] * 1000, 0)
    yield Figure("inventory_1_account_ms", replayed["1_account"] * 1000, 0)
    yield Figure("inventory_10_accounts_vs_1_account_moto_answering_live", live["10_accounts"] / live["1_account"])
    yield Figure("inventory_1_account_calls", len(sent_by_one), 0)

"""All-region inventory versus one region, warm: GET /connections/{id}/assets of a customer account seeded in
the 17 regions AWS enables by default (two instances each, a bucket), every AWS call made 100 ms away.

The listing's sources (4 per region, and S3) are read at once by the warm container's threads on clients it
built once, so 17 regions should cost little more than one. moto answers in this process, under the same GIL as
Cloudivize: its own CPU per call (~1-7 ms, AWS's server time in production) queues behind the 100 ms, so the
run also times the same requests with each distinct AWS answer replayed once moto has given it (the
emulator's CPU out of the way, Cloudivize's own work all in: clients, signing, parsing, threads, paging).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from bench._environment import offline
from bench._figures import Figure, interleaved_medians
from bench._replay import Replay

LATENCY_SECONDS = 0.1
ROUNDS = 9


def run() -> Iterator[Figure]:
    offline()
    from moto import mock_aws

    from bench._customer import DEFAULT_REGIONS, Wire, seed

    replay = Replay()
    with replay.installed(), mock_aws():
        customer = seed(DEFAULT_REGIONS)
        session = customer.customer_session()
        wire = Wire(session)
        every_region, one_region = list(DEFAULT_REGIONS), ["us-east-1"]
        wire.delay = LATENCY_SECONDS

        def listing(regions: list[str]) -> None:
            page = customer.page(regions, limit=500)
            assert not page.errors and page.next_token is None, page.errors

        calls = {"17_regions": lambda: listing(every_region), "1_region": lambda: listing(one_region)}
        started = time.perf_counter()
        for call in calls.values():
            call()  # the first request of the container: clients built, models read
        cold = time.perf_counter() - started
        built = len(session._clients)
        with wire.counting() as sent:
            listing(every_region)
        live = interleaved_medians(calls, rounds=ROUNDS)
        replay.enabled = True
        for call in calls.values():
            call()  # moto answers each request once more, to be replayed from now on
        replayed = interleaved_medians(calls, rounds=ROUNDS)
        assert len(session._clients) == built, "a warm request built a client"

    yield Figure("inventory_17_regions_vs_1_region", replayed["17_regions"] / replayed["1_region"])
    yield Figure("inventory_17_regions_ms", replayed["17_regions"] * 1000, 0)
    yield Figure("inventory_1_region_ms", replayed["1_region"] * 1000, 0)
    yield Figure("inventory_17_regions_vs_1_region_moto_answering_live", live["17_regions"] / live["1_region"])
    yield Figure("inventory_17_regions_moto_answering_live_ms", live["17_regions"] * 1000, 0)
    yield Figure("inventory_1_region_moto_answering_live_ms", live["1_region"] * 1000, 0)
    yield Figure("inventory_17_regions_calls", len(sent), 0)
    yield Figure("inventory_clients_built_once", built, 0)
    yield Figure("inventory_first_request_of_container_ms", cold * 1000, 0)

"""The inventory's fan-out and paging walk: sources read at once on warm clients built once, the account's cap,
a failing source reported while the others answer, and a token that stays within its bound. Counted, never
timed (a barrier proves calls were in flight together: sequential calls would never meet at it)."""

import secrets
import threading

import boto3
import pytest

from cloudivize import paging
from cloudivize.crypto import FieldSealer, page_token_context
from cloudivize.errors import BadRequest, Unprocessable
from cloudivize.models.assets import RegionError
from cloudivize.paging import Cursor, FanOut, Mark, Position, Read, Source, SourceFailed, walk
from tests.unit.test_asset_paging import assets, connect

BARRIER_SECONDS = 10  # only a failure waits this long


def listed(name, items, page_size=2):
    """A source over ``items``, paged ``page_size`` at a time by an opaque token (its offset), recording reads."""
    reads = []

    def read(position, wanted):
        reads.append((position, wanted))
        start = int(position.token or 0)
        page = items[start : start + page_size]
        following = start + page_size
        return Read(entries=page[position.skip :], next=Position(str(following)) if following < len(items) else None)

    return Source(name=name, read=read), reads


def in_order(calls):
    return [call() for call in calls]


def test_clients_are_built_once_per_service_and_region_across_requests(customer, monkeypatch):
    connection_id = connect(customer, regions=["eu-west-1", "us-east-1"])
    built = []
    make = boto3.session.Session.client

    def counting(self, service, *args, **kwargs):
        built.append((service, kwargs.get("region_name")))
        return make(self, service, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "client", counting)

    first = assets(customer, connection_id)
    built_by_first = list(built)
    second = assets(customer, connection_id)

    assert first.status == second.status == 200 and first.json()["items"] == second.json()["items"]
    # S3 from the home region and the 4 listings of each region, less the EC2 client of the connection's first
    # region, which verification built when the connection was created: each once, by the first request only.
    assert sorted(built_by_first) == sorted(
        [(service, region) for region in ("eu-west-1", "us-east-1")
         for service in ("ec2", "rds", "lambda", "resourcegroupstaggingapi")
         if (service, region) != ("ec2", "eu-west-1")] + [("s3", "us-east-1")]
    )  # fmt: skip
    assert built == built_by_first  # the second request built none


def test_the_first_page_reads_every_source_at_once():
    count = 9  # S3 and 4 listings in each of two regions
    barrier = threading.Barrier(count, timeout=BARRIER_SECONDS)

    def meeting(position, wanted):
        barrier.wait()  # breaks (and the read fails) unless all nine are in flight together
        return Read(entries=["asset"], next=None)

    fan_out = FanOut(threads=16, per_account=count, name="test")
    sources = [Source(name=f"s{i}", read=meeting) for i in range(count)]

    walked = walk(sources, None, limit=100, fan_out=lambda calls: fan_out.run("account", calls))

    assert walked.items == ["asset"] * count and walked.reads == count and walked.marks == {}


def test_an_account_has_at_most_its_cap_of_calls_in_flight():
    in_flight, most, lock = 0, 0, threading.Lock()
    pairs = threading.Barrier(2, timeout=BARRIER_SECONDS)  # two at a time meet; a third never joins them

    def call():
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        pairs.wait()
        with lock:
            in_flight -= 1
        return "done"

    fan_out = FanOut(threads=8, per_account=2, name="test")

    assert fan_out.run("account", [call] * 6) == ["done"] * 6
    assert most == 2


def test_a_page_takes_sources_in_order_and_continues_each_where_it_was_left():
    first, first_reads = listed("a", ["a1", "a2", "a3"])
    second, second_reads = listed("b", ["b1", "b2"])
    empty, empty_reads = listed("c", [])

    page1 = walk([first, second, empty], None, limit=2, fan_out=in_order)
    page2 = walk([first, second, empty], page1.marks, limit=2, fan_out=in_order)
    page3 = walk([first, second, empty], page2.marks, limit=2, fan_out=in_order)

    assert [page1.items, page2.items, page3.items] == [["a1", "a2"], ["a3", "b1"], ["b2"]]
    assert page3.marks == {}
    # The empty source was read once, on the first page, and never again.
    assert empty_reads == [(Position(), 2)]
    # a: its first page, then its second by its token; b: first page once more, past what page 2 showed.
    assert first_reads == [(Position(), 2), (Position("2"), 2)]
    assert second_reads == [(Position(), 2), (Position(), 1), (Position(None, 1), 2)]


def test_a_failing_source_is_reported_and_the_others_still_answer():
    def refused(position, wanted):
        raise SourceFailed(
            RegionError(region="eu-west-1", service="ec2", error="UnauthorizedOperation", detail="d"), Exception()
        )

    good, _ = listed("b", ["b1"])
    walked = walk([Source(name="a", read=refused), good], None, limit=10, fan_out=in_order)

    assert walked.items == ["b1"] and [e.error for e in walked.errors] == ["UnauthorizedOperation"]
    assert walked.marks == {} and not walked.all_failed(lambda error: True)


def test_a_source_showing_nothing_for_long_ends_the_page_short_with_a_token():
    # A provider that keeps answering another page, all of it filtered out by the query.
    tokens = iter(range(1000))
    filtered = Source(name="a", read=lambda position, wanted: Read(entries=[None], next=Position(str(next(tokens)))))

    walked = walk([filtered], None, limit=5, fan_out=in_order)

    assert walked.items == [] and walked.reads == paging.MAX_READS_PER_SOURCE + 1
    assert list(walked.marks) == [0]  # the next page goes on from there


def test_a_source_read_ahead_that_showed_nothing_continues_past_that_read():
    shown, _ = listed("a", ["a1", "a2"])
    # A tagging listing whose first page holds only what other sources list (None entries), then one asset.
    filtered, filtered_reads = listed("b", [None, None, "b1"])

    page1 = walk([shown, filtered], None, limit=2, fan_out=in_order)
    page2 = walk([shown, filtered], page1.marks, limit=2, fan_out=in_order)

    assert [page1.items, page2.items] == [["a1", "a2"], ["b1"]]
    # b's first page was read at once with a's and showed nothing: it is not read again.
    assert page1.marks == {1: Mark(Position("2"), behind=Position())}
    assert filtered_reads == [(Position(), 2), (Position("2"), 2)]


def test_a_token_too_long_with_read_ahead_positions_falls_back_to_the_earlier_ones(cloud):
    sealer, context = FieldSealer(cloud.field_key_arn), page_token_context("t-1", "c-1")
    # Twenty sources read ahead past what the query does not show, each with a long provider token: too long
    # for a token, while their earlier places (their first pages) take a few bytes.
    marks = {index: Mark(Position(secrets.token_urlsafe(300)), behind=Position()) for index in range(20)}

    token = paging.seal_cursor(sealer, context, query=([], None), cursor=Cursor(scope=(), marks=marks))
    opened = paging.open_cursor(sealer, context, query=([], None), token=token)

    assert len(token) <= paging.MAX_TOKEN_CHARS
    assert opened.marks == {index: Mark() for index in range(20)}


def test_marks_of_sources_the_listing_does_not_have_are_refused():
    source, _ = listed("a", ["a1"])

    with pytest.raises(BadRequest) as refused:
        walk([source], {3: Mark()}, limit=5, fan_out=in_order)

    assert refused.value.detail == paging.OTHER_QUERY


def test_the_token_fits_a_url_for_every_default_region_and_long_provider_tokens(cloud):
    sealer, context = FieldSealer(cloud.field_key_arn), page_token_context("t-1", "c-1")
    marks = {index: Mark(ahead=2, ends=True) for index in range(1, 153)}  # 38 regions x 4 listings
    # The source being shown and one left mid-page, each with a provider token of 1,000 characters (AWS tokens
    # are a few hundred, Azure's nextLink a URL).
    marks |= {index: Mark(Position(secrets.token_urlsafe(750), 3), 7) for index in (0, 153)}
    cursor = Cursor(scope=tuple(f"region-{n}" for n in range(38)), marks=marks)

    token = paging.seal_cursor(sealer, context, query=([], None), cursor=cursor)
    opened = paging.open_cursor(sealer, context, query=([], None), token=token)

    assert len(token) <= paging.MAX_TOKEN_CHARS
    assert opened.scope == cursor.scope and opened.marks[153] == marks[153] and opened.marks[7] == marks[7]


def test_a_listing_too_wide_for_a_token_is_422_saying_to_narrow_it(cloud):
    sealer, context = FieldSealer(cloud.field_key_arn), page_token_context("t-1", "c-1")
    marks = {index: Mark(Position(secrets.token_urlsafe(300))) for index in range(20)}

    with pytest.raises(Unprocessable) as refused:
        paging.seal_cursor(sealer, context, query=([], None), cursor=Cursor(scope=(), marks=marks))

    assert "one type or one region" in refused.value.detail

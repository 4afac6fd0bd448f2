"""Paging over listings made live from several sources (a cloud's listing per region and service, or per
subscription), without listing again what an earlier page listed, and without storing anything listed.

A listing is a fixed sequence of sources; a page is the sources' items in that order, each source in the
provider's own order (docs/architecture.md, "Paging"). The first page asks every source at once for up to
``limit`` items; what it could not show is dropped, and the token says where each source that still has items
continues: the provider's own token (``NextToken``, ``Marker``, Azure's ``nextLink``...) and how many items of
the page it opens were shown already. Later pages read only the sources that still have items, and at once
only those they know they will need. Nothing listed is kept: the positions live only in the token, which is
sealed for the tenant and connection (the client can neither read nor forge it) and bound to its query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from cloudivize.crypto import FieldSealer, SealContext
from cloudivize.errors import BadRequest, Unprocessable
from cloudivize.models.assets import RegionError

T = TypeVar("T")
R = TypeVar("R")

TOKEN_VERSION = 1
# A token outlives no provider token it carries (AWS tagging tokens last 15 minutes) and no listing a person
# would still call "the same".
TOKEN_TTL_SECONDS = 15 * 60
# API Gateway takes ~10 KB of request line and headers together, the Cognito ID token being ~1-2 KB of it:
# 6 KB of token leaves room for both. Sealing adds ~680 bytes (the Encryption SDK's header, data key and
# signature), and the token is base64: the compressed positions are held to what seals within it.
MAX_TOKEN_CHARS = 6144
MAX_SEALED_PAYLOAD_CHARS = 3800
# A source whose listing keeps answering without items for the page (filtered out) is read at most this often
# per request; the page then ends early (fewer than ``limit`` items, with a token) rather than run long.
MAX_READS_PER_SOURCE = 20
# After a read of which the query showed nothing, a source is read in its largest pages (providers cap this).
LARGEST_PAGE = 1000

NOT_ISSUED = "The next_token is not one this listing issued; start again without it."
SCOPE_CHANGED = "The connection's regions or subscriptions changed since this next_token; start again without it."
OTHER_QUERY = "The next_token belongs to another query; start again without it."
EXPIRED = "The next_token has expired; start again without it."


# --- positions ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Position:
    """Where a source continues: the provider's token of a page (None: its first page) and how many of that
    page's items were shown already."""

    token: str | None = None
    skip: int = 0


@dataclass(frozen=True)
class Mark:
    """What a page leaves known of a source that still has items: where it continues, and, when it was read,
    how many items it holds from there (``ahead``) and whether its listing ends after them (``ends``).
    ``behind``: an earlier place it may continue from instead, with a shorter provider token (a source read
    ahead past entries the query does not show), for a token that must be smaller."""

    position: Position = Position()
    ahead: int | None = None
    ends: bool = False
    behind: Position | None = None


@dataclass(frozen=True)
class Read(Generic[T]):
    """One page a source read from a position: its entries after ``position.skip``, in the provider's order
    (None for an entry the query does not show, e.g. another type), and where the source continues after
    them (None: its listing ends)."""

    entries: Sequence[T | None]
    next: Position | None


class SourceFailed(Exception):
    """A source could not be read: the page reports ``error`` and goes on with the other sources. ``cause`` is
    what the provider answered, for the provider to judge a page whose every read failed (throttled, say)."""

    def __init__(self, error: RegionError, cause: BaseException) -> None:
        super().__init__(error.error)
        self.error = error
        self.cause = cause


@dataclass(frozen=True)
class Source(Generic[T]):
    """One listing of a provider (a service in a region, a kind of resource in a subscription)."""

    name: str  # e.g. "us-east-1/ec2"; never shown, never in a token (tokens name sources by their index)
    read: Callable[[Position, int], Read[T]]  # one provider call: the page at a position, sized for ``wanted``
    local: bool = False  # answers from what the request already knows, without a provider call


@dataclass(frozen=True)
class Cursor:
    """Where a listing continues: the provider's scope of sources (its regions, say) and a mark per source that
    still has items, by its index in the listing's sources."""

    scope: tuple[str, ...]
    marks: Mapping[int, Mark]


@dataclass
class Walked(Generic[T]):
    items: list[T]
    marks: dict[int, Mark]  # the sources that still have items after this page
    failures: list[SourceFailed] = field(default_factory=list)
    reads: int = 0  # provider calls made

    @property
    def errors(self) -> list[RegionError]:
        return [failure.error for failure in self.failures]

    def all_failed(self, because: Callable[[BaseException], bool]) -> bool:
        """Whether every provider call of the page failed, each for ``because``."""
        return (
            bool(self.failures)
            and len(self.failures) == self.reads
            and all(because(failure.cause) for failure in self.failures)
        )


@dataclass(frozen=True)
class Listing(Generic[T]):
    """What a provider answers for one page: the items, what could not be listed, and where the listing
    continues (None: it ends with this page)."""

    items: list[T]
    errors: list[RegionError]
    next: Cursor | None


# --- running sources at once ----------------------------------------------------------------------------
class FanOut:
    """The threads a warm container lists with, shared by its requests, and a cap on the calls one account (or
    application) has in flight at once. A source is read by one thread at a time, so a request never has two
    calls in flight on one (service, region) or (listing, subscription): the cap bounds the account as a whole."""

    def __init__(self, *, threads: int, per_account: int, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._per_account = per_account
        self._limits: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def _limit(self, account: str) -> threading.BoundedSemaphore:
        with self._lock:
            return self._limits.setdefault(account, threading.BoundedSemaphore(self._per_account))

    def run(self, account: str, calls: Sequence[Callable[[], R]]) -> list[R]:
        """Each call's result, in order; all of them at once, up to the account's cap."""
        limit = self._limit(account)

        def guarded(call: Callable[[], R]) -> R:
            with limit:
                return call()

        if len(calls) <= 1:  # no thread to wake for a single call
            return [guarded(call) for call in calls]
        return list(self._pool.map(guarded, calls))

    def bound(self, account: str, call: Callable[..., R]) -> Callable[..., R]:
        """``call`` held to the account's cap, for ``all``: calls of several accounts at once, each within its own."""
        limit = self._limit(account)

        def guarded(*args: Any) -> R:
            with limit:
                return call(*args)

        return guarded

    def all(self, calls: Sequence[Callable[[], R]]) -> list[R]:
        """Each call's result, in order, all of them at once in the container's threads (each already ``bound``)."""
        if len(calls) <= 1:
            return [call() for call in calls]
        return list(self._pool.map(lambda call: call(), calls))


# --- the walk -------------------------------------------------------------------------------------------
def _remains(position: Position, read: Read, consumed: int) -> Mark | None:
    """What is left of a source after ``consumed`` entries of ``read`` (read from ``position``) were taken:
    None when nothing is. Entries the query does not show are passed over for free."""
    rest = read.entries[consumed:]
    lead = 0
    while lead < len(rest) and rest[lead] is None:
        lead += 1
    if lead == len(rest):
        return None if read.next is None else Mark(read.next)
    ahead = sum(entry is not None for entry in rest)
    return Mark(Position(position.token, position.skip + consumed + lead), ahead=ahead, ends=read.next is None)


def _ahead(mark: Mark, read: Read) -> Mark | None:
    """The mark of a source read but not reached: where it was (not where the read ended, so that a token names
    the provider tokens of the sources being shown only, and stays small), and how many items it holds from
    there; None when it holds none. A read that held nothing the query shows is passed over: the source
    continues where the read ended (its former place kept as ``behind``, should the token have to shrink)."""
    ahead = sum(entry is not None for entry in read.entries)
    if ahead == 0:
        return None if read.next is None else Mark(read.next, behind=mark.behind or mark.position)
    return Mark(mark.position, ahead=ahead, ends=read.next is None)


def _planned(order: Sequence[int], marks: Mapping[int, Mark], limit: int) -> list[tuple[int, int]]:
    """The sources a later page reads at once, with how many items each is asked for: in order, every source
    known to end before the page is full, and the one after them."""
    plan, need = [], limit
    for index in order:
        mark = marks[index]
        plan.append((index, need))
        if mark.ends and mark.ahead is not None and mark.ahead < need:
            need -= mark.ahead
            continue
        break
    return plan


def walk(
    sources: Sequence[Source[T]],
    marks: Mapping[int, Mark] | None,
    *,
    limit: int,
    fan_out: Callable[[Sequence[Callable[[], Any]]], list[Any]],
) -> Walked[T]:
    """The next page of ``sources`` (the first when ``marks`` is None) and the marks of the sources that still
    have items after it. A source that fails is reported in ``errors`` and left out of the rest of the listing."""
    if marks is not None and any(not 0 <= index < len(sources) for index in marks):
        raise BadRequest(OTHER_QUERY)  # the listing's sources are not those the token was issued over
    known: dict[int, Mark] = {index: Mark() for index in range(len(sources))} if marks is None else dict(marks)
    order = sorted(known)
    walked: Walked[T] = Walked(items=[], marks={})
    failed: set[int] = set()
    waiting: dict[int, Read[T] | None] = {}  # what was read at once and not taken yet

    def read(index: int, position: Position, wanted: int) -> Read[T] | None:
        walked.reads += not sources[index].local
        try:
            return sources[index].read(position, wanted)
        except SourceFailed as failure:
            failed.add(index)
            walked.failures.append(failure)
            return None

    def read_at_once(plan: Sequence[tuple[int, int]]) -> None:
        answered = fan_out([lambda i=index, w=wanted: read(i, known[i].position, w) for index, wanted in plan])
        waiting.update({index: result for (index, _), result in zip(plan, answered, strict=True)})

    def take(index: int, buffered: Read[T] | None) -> tuple[Mark | None, bool]:
        """Items of one source onto the page: what is left of it, and whether the page ended there."""
        position, reads, starved = known[index].position, 0, False
        while True:
            if buffered is None:
                if reads == MAX_READS_PER_SOURCE:
                    return Mark(position), True  # a short page: the next one goes on from here
                reads += 1
                need = limit - len(walked.items)
                buffered = read(index, position, max(need, LARGEST_PAGE) if starved else need)
                if buffered is None:
                    return None, False
            consumed, before = 0, len(walked.items)
            for entry in buffered.entries:
                if len(walked.items) == limit:
                    break
                consumed += 1
                if entry is not None:
                    walked.items.append(entry)
            remaining = _remains(position, buffered, consumed)
            if len(walked.items) == limit:
                return remaining, True
            if remaining is None or remaining.position == position:  # ended (or a provider repeating itself)
                return None, False
            position, buffered, starved = remaining.position, None, len(walked.items) == before

    # The first page asks every source at once; a later one, at once, the sources it knows it will need, and
    # so again from the first source it reaches unread.
    read_at_once([(index, limit) for index in order] if marks is None else _planned(order, known, limit))
    ended = False
    for place, index in enumerate(order):
        if index in failed:
            continue
        if ended:  # not reached: its mark as it was, with what a read of it taught
            mark = _ahead(known[index], waiting[index]) if waiting.get(index) else known[index]
        else:
            if index not in waiting:
                unread = [i for i in order[place:] if i not in failed and i not in waiting]
                read_at_once(_planned(unread, known, limit - len(walked.items)))
                if index in failed:
                    continue
            mark, ended = take(index, waiting.pop(index))
        if mark is not None:
            walked.marks[index] = mark
    return walked


# --- the token ------------------------------------------------------------------------------------------
class _Body(BaseModel):
    """The sealed token's content, checked strictly once it opened (it was sealed by us, but read defensively)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: StrictInt
    q: StrictStr  # the query's fingerprint
    t: StrictInt  # issued at (epoch seconds)
    s: tuple[StrictStr, ...]  # the provider's scope
    # Marks: an index alone is a source from its start; else [index, token, skip, ahead, ends].
    m: tuple[StrictInt | tuple[StrictInt, StrictStr | None, StrictInt, StrictInt | None, StrictBool], ...] = Field(
        default=()
    )


def fingerprint(query: Sequence[object]) -> str:
    """What a token is bound to: the query it continues (types, region), not the page size."""
    return hashlib.sha256(json.dumps([str(part) for part in query]).encode()).hexdigest()[:16]


def _encoded_marks(marks: Mapping[int, Mark], *, hints: bool) -> list[Any]:
    """The marks as the token holds them; without ``hints``, only where each source continues, from its earlier
    place where it has one (``behind``): fewer and shorter provider tokens, at the cost of reading again."""
    encoded: list[Any] = []
    for index in sorted(marks):
        mark = marks[index]
        position = mark.position if hints or mark.behind is None else mark.behind
        ahead, ends = (mark.ahead, mark.ends) if hints else (None, False)
        if position == Position() and ahead is None:
            encoded.append(index)
        else:
            encoded.append([index, position.token, position.skip, ahead, ends])
    return encoded


def _compressed(body: dict[str, Any]) -> str:
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.b64encode(zlib.compress(raw, 9)).decode()


def seal_cursor(sealer: FieldSealer, context: SealContext, *, query: Sequence[object], cursor: Cursor) -> str:
    """The next_token for ``cursor``: compressed, sealed for ``context``, URL-safe."""
    body = {"v": TOKEN_VERSION, "q": fingerprint(query), "t": int(time.time()), "s": list(cursor.scope)}
    payload = _compressed(body | {"m": _encoded_marks(cursor.marks, hints=True)})
    if len(payload) > MAX_SEALED_PAYLOAD_CHARS:  # what was learnt ahead of each source is only a help: drop it
        payload = _compressed(body | {"m": _encoded_marks(cursor.marks, hints=False)})
    if len(payload) > MAX_SEALED_PAYLOAD_CHARS:
        raise Unprocessable(
            "This listing has too many parts to page through; ask for one type or one region at a time.",
            errors=[{"field": "type", "in": "query", "type": "too_many_sources", "message": "narrow the query"}],
        )
    sealed = base64.b64decode(sealer.seal(payload, context))
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_cursor(sealer: FieldSealer, context: SealContext, *, query: Sequence[object], token: str) -> Cursor:
    """The cursor a next_token holds, if this tenant's listing of this connection issued it for this query not
    long ago; a 400 otherwise."""
    try:
        sealed = base64.b64encode(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))).decode()
    except (binascii.Error, ValueError):
        raise BadRequest(NOT_ISSUED) from None
    payload = sealer.open_held(sealed, context)
    if payload is None:
        raise BadRequest(NOT_ISSUED)
    try:
        body = _Body.model_validate_json(zlib.decompress(base64.b64decode(payload, validate=True)))
    except (binascii.Error, ValueError, ValidationError, zlib.error):
        raise BadRequest(NOT_ISSUED) from None
    if body.v != TOKEN_VERSION:
        raise BadRequest(NOT_ISSUED)
    if body.q != fingerprint(query):
        raise BadRequest(OTHER_QUERY)
    if not 0 <= time.time() - body.t <= TOKEN_TTL_SECONDS:
        raise BadRequest(EXPIRED)
    marks: dict[int, Mark] = {}
    for entry in body.m:
        if isinstance(entry, int):
            marks[entry] = Mark()
        else:
            index, token_, skip, ahead, ends = entry
            marks[index] = Mark(Position(token_, skip), ahead, ends)
    if any(m.position.skip < 0 or (m.ahead is not None and m.ahead < 0) for m in marks.values()):
        raise BadRequest(NOT_ISSUED)
    return Cursor(scope=body.s, marks=marks)

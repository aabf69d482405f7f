"""QuickBooks emulator building blocks without HTTP: throttle windows, token clock, query."""

from __future__ import annotations

from decimal import Decimal

import pytest
from quickbooks_emulator import QboFault
from quickbooks_emulator.oauth import OAuthServer
from quickbooks_emulator.query import parse, tokenize
from quickbooks_emulator.throttle import Limits, Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admit(throttle: Throttle, *, is_batch: bool = False) -> bool:
    ok = throttle.try_acquire(is_batch=is_batch)
    if ok:
        throttle.release()
    return ok


def test_per_minute_window_slides_and_scales():
    clock = FakeClock()
    throttle = Throttle(Limits(per_minute=2, per_second=None, batch_per_minute=None,
                               max_concurrent=None), time_scale=10, clock=clock)
    assert [admit(throttle) for _ in range(3)] == [True, True, False]
    clock.now += 5.9  # a scaled minute is 6 s
    assert not admit(throttle)
    clock.now += 0.2
    assert admit(throttle)


def test_per_second_and_batch_limits_and_refusals_do_not_count():
    clock = FakeClock()
    throttle = Throttle(Limits(per_minute=None, per_second=2, batch_per_minute=1,
                               max_concurrent=None), clock=clock)
    assert admit(throttle, is_batch=True)
    assert not admit(throttle, is_batch=True)  # batch limit
    assert admit(throttle)
    assert not admit(throttle)  # per second
    clock.now += 1.01
    assert admit(throttle)
    assert admit(throttle)
    assert not admit(throttle, is_batch=True)  # still within the batch minute


def test_max_concurrent_counts_in_flight():
    throttle = Throttle(Limits(None, None, None, max_concurrent=1))
    assert throttle.try_acquire(is_batch=False)
    assert not throttle.try_acquire(is_batch=False)
    throttle.release()
    assert throttle.try_acquire(is_batch=False)


def test_access_token_expires_with_scaled_clock():
    clock = FakeClock()
    server = OAuthServer(client_id="c", client_secret="s", realm_id="1",
                         initial_refresh_token="rt", access_token_ttl=3600, time_scale=10,
                         clock=clock)
    result = server.token("", "grant_type=refresh_token&refresh_token=rt&client_id=c"
                              "&client_secret=s")
    assert result.status == 200
    assert result.body is not None
    bearer = "Bearer " + result.body["access_token"]
    clock.now += 359
    assert server.access_token_valid(bearer)
    clock.now += 2
    assert not server.access_token_valid(bearer)


def test_tokenizer_unescapes_and_parser_reads_clauses():
    tokens = tokenize(r"select * from Customer where DisplayName = 'O\'Brien'")
    assert tokens[-2].value == "O'Brien"
    query = parse("SELECT * FROM Item WHERE Sku IN ('a', 'b') AND UnitPrice >= 10.5 "
                  "ORDERBY Name DESC STARTPOSITION 11 MAXRESULTS 5")
    assert query.entity.name == "Item"
    assert [(c.field, c.op, c.values) for c in query.conditions] == [
        ("Sku", "in", ["a", "b"]), ("UnitPrice", ">=", [Decimal("10.5")])]
    assert (query.order, query.start, query.max_results) == ([("Name", True)], 11, 5)


@pytest.mark.parametrize("text", [
    "select * from Item where Name = 'a' or Name = 'b'",
    "select * from Item where Name != 'a'",
    "select * from Item where Name = 'it's'",
    "select * from Item orderby",
    "select from Item",
    "delete from Item",
])
def test_parse_errors_are_4000(text):
    with pytest.raises(QboFault) as excinfo:
        parse(text)
    assert excinfo.value.code == "4000"

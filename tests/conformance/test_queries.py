"""Queries as python-quickbooks builds them: escaped quotes, IN, LIKE, paging, COUNT, ORDER BY.

Grammar and answers: Intuit's "Data queries" page (reference/quickbooks-online.md:
``SELECT * | count(*) FROM Entity [WHERE ...] [ORDERBY f] [STARTPOSITION n]
[MAXRESULTS n]``, a quote inside a value escaped with a backslash, 1-based
STARTPOSITION, ``{"QueryResponse": {"totalCount": n}}`` for count(*)); both ``ORDERBY``
and ``ORDER BY`` are accepted ("Learned since"; python-quickbooks' ``all(order_by=...)``
sends ``ORDER BY`` to real companies, its ``where(order_by=...)`` sends ``ORDERBY``).
"""

from __future__ import annotations

import pytest
from quickbooks.client import QuickBooks
from quickbooks.objects.customer import Customer

PREFIX = "Query "


@pytest.fixture(scope="module")
def names(us_qb: QuickBooks) -> list[str]:
    """Five customers whose names sort in a known order, one with a quote."""
    made = [f"{PREFIX}{letter} O'Brien" if letter == "c" else f"{PREFIX}{letter}"
            for letter in ("e", "a", "c", "d", "b")]
    for name in made:
        customer = Customer()
        customer.DisplayName = name
        customer.save(qb=us_qb)
    return sorted(made, key=str.casefold)


def test_escaped_quote_in_a_value(us_qb: QuickBooks, names: list[str]) -> None:
    # Customer.filter escapes the quote as \' (python-quickbooks utils.build_where_clause).
    found = Customer.filter(DisplayName=f"{PREFIX}c O'Brien", qb=us_qb)
    assert [c.DisplayName for c in found] == [f"{PREFIX}c O'Brien"]


def test_in_list(us_qb: QuickBooks, names: list[str]) -> None:
    # Customer.choose builds "DisplayName in ('..', '..')".
    found = Customer.choose([f"{PREFIX}a", f"{PREFIX}c O'Brien", "nobody"],
                            field="DisplayName", qb=us_qb)
    assert sorted(c.DisplayName for c in found) == [f"{PREFIX}a", f"{PREFIX}c O'Brien"]


def test_like_with_percent(us_qb: QuickBooks, names: list[str]) -> None:
    found = Customer.where(f"DisplayName LIKE '{PREFIX}%'", qb=us_qb)
    assert sorted(c.DisplayName for c in found) == names


def test_count(us_qb: QuickBooks, names: list[str]) -> None:
    assert Customer.count(f"DisplayName LIKE '{PREFIX}%'", qb=us_qb) == 5


def test_orderby_one_word_and_paging(us_qb: QuickBooks, names: list[str]) -> None:
    where = f"DisplayName LIKE '{PREFIX}%'"
    first = Customer.where(where, order_by="DisplayName", start_position=1, max_results=2,
                           qb=us_qb)
    second = Customer.where(where, order_by="DisplayName", start_position=3, max_results=2,
                            qb=us_qb)
    last = Customer.where(where, order_by="DisplayName", start_position=5, max_results=2,
                          qb=us_qb)
    assert [c.DisplayName for c in first + second + last] == names


def test_order_by_two_words(us_qb: QuickBooks, names: list[str]) -> None:
    # Customer.all(order_by=...) sends "select * from Customer ORDER BY DisplayName DESC".
    found = [c.DisplayName for c in Customer.all(order_by="DisplayName DESC", max_results=1000,
                                                 qb=us_qb)]
    ours = [name for name in found if name.startswith(PREFIX)]
    assert ours == list(reversed(names))
    assert found == sorted(found, key=str.casefold, reverse=True)

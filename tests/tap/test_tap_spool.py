"""The disk-backed buffer that turns a newest-first read into an oldest-first emission."""

from __future__ import annotations

from decimal import Decimal

from tap_fakes import PATHS, product, run_sync
from tap_myfulfillment.spool import ReverseSpool


def test_newest_first_input_comes_back_oldest_first_with_exact_decimals():
    with ReverseSpool() as spool:
        for stamp in (30.0, 20.0, 20.0, 10.0):
            spool.append({"t": stamp, "amount": Decimal("0.1000")}, stamp=stamp)
        items = list(spool.oldest_first())

    assert [i["t"] for i in items] == [Decimal("10.0"), Decimal("20.0"), Decimal("20.0"), 30]
    assert all(i["amount"] == Decimal("0.1000") for i in items)
    assert str(items[0]["amount"]) == "0.1000"


def test_unsorted_input_is_sorted_by_stamp():
    with ReverseSpool() as spool:
        for stamp in (2.0, 9.0, 1.0, 5.0):
            spool.append([stamp], stamp=stamp)
        assert [i[0] for i in spool.oldest_first()] == [1, 2, 5, 9]


def test_records_live_in_a_file_not_in_memory():
    spool = ReverseSpool()
    spool.append({"big": "x" * 10_000}, stamp=1.0)
    assert spool._file.tell() > 10_000
    assert len(spool) == 1
    spool.close()
    assert spool._file.closed


def test_hand_written_zulu_bookmark_is_accepted(api):
    # A record new in the bookmark second must not look "older" than "...Z" as a string.
    api.data[PATHS["products"]] = [
        product(1, "2026-03-01 10:00:00"),
        product(3, "2026-03-01 10:00:00"),
        product(2, "2026-03-01 11:00:00"),
    ]
    state = {
        "bookmarks": {
            "products": {
                "replication_key": "updated_at",
                "replication_key_value": "2026-03-01T10:00:00Z",
                "emitted_keys_at_bookmark": ["SKU-000001"],
            }
        }
    }

    result = run_sync(state=state)

    assert [r["sku"] for r in result.records("products")] == ["SKU-000003", "SKU-000002"]

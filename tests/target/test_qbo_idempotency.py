"""Deterministic request ids within QuickBooks' length limits."""

from __future__ import annotations

import re

import pytest
from target_quickbooks.qbo import BatchOperation, batch_request_id, canonical_json, request_id

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_request_id_is_deterministic_uuid5():
    first = request_id("9130350000000001", "Item", "SKU-1")
    assert first == request_id("9130350000000001", "Item", "SKU-1")
    assert UUID.match(first)
    assert len(first) == 36


@pytest.mark.parametrize(
    "other",
    [
        ("9130350000000002", "Item", "SKU-1", None),
        ("9130350000000001", "Customer", "SKU-1", None),
        ("9130350000000001", "Item", "SKU-2", None),
        ("9130350000000001", "Item", "SKU-1", "v2"),
    ],
)
def test_request_id_changes_with_each_input(other):
    assert request_id(*other) != request_id("9130350000000001", "Item", "SKU-1")


def test_separator_prevents_ambiguous_concatenation():
    assert request_id("1", "Item", "ab", "c") != request_id("1", "Item", "a", "bc")


def test_max_len_shortens_and_rejects_too_short():
    assert len(request_id("1", "Item", "k", max_len=20)) == 20
    assert len(request_id("1", "Item", "k", max_len=50)) == 36
    with pytest.raises(ValueError, match="at least"):
        request_id("1", "Item", "k", max_len=8)


def test_batch_request_id_depends_on_ids_and_order():
    ids = [request_id("1", "Item", f"SKU-{n}") for n in range(30)]
    batch = batch_request_id(ids)
    assert len(batch) <= 36
    assert batch == batch_request_id(list(ids))
    assert batch != batch_request_id(list(reversed(ids)))
    assert batch != batch_request_id(ids[:-1])
    with pytest.raises(ValueError):
        batch_request_id([])


def test_batch_item_id_follows_payload_content():
    a = BatchOperation("Item", "create", payload={"Name": "A", "Sku": "1"}, request_key="1")
    b = BatchOperation("Item", "create", payload={"Sku": "1", "Name": "A"}, request_key="1")
    c = BatchOperation("Item", "create", payload={"Sku": "1", "Name": "B"}, request_key="1")
    assert a.item_request_id("r") == b.item_request_id("r")
    assert a.item_request_id("r") != c.item_request_id("r")
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'


@pytest.mark.parametrize(
    "kwargs",
    [
        {"entity": "Item", "operation": "create"},
        {"entity": "Item", "operation": "update", "payload": {"Name": "x"}},
        {"entity": "Item", "operation": "query"},
        {"entity": "Item; DROP", "operation": "create", "payload": {}},
        {"entity": "Item", "operation": "delete", "payload": {}},
    ],
)
def test_malformed_batch_operations_are_refused(kwargs):
    with pytest.raises(ValueError, match="BatchOperation"):
        BatchOperation(**kwargs)

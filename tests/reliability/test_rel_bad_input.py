"""Bad or awkward input from the tap (or another tap), through the real target over HTTP.

One row per kind of input, each with its expected outcome: written (as what), kept
in state as rejected or deferred (naming the record, the field and the fix), or a
run stopped with a clear message before anything is lost. After every row, each
source record is either in QuickBooks exactly once or kept verbatim in the state's
pending records: nothing is dropped silently.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from quickbooks_emulator import QuickBooksEmulator
from reliability_kit import NO_LIMITS, run_target, target_config, write_config
from singer_sdk.singerlib.json import serialize_json
from target_quickbooks.accounts import ConfigurationError
from target_quickbooks.mappers.customers import customer_display_name
from target_quickbooks.mappers.names import doc_number
from target_quickbooks.qbo import AuthError, RealmMismatchError
from target_quickbooks.state import BOOKMARK, json_safe
from target_quickbooks.target import RecordsRejectedError, TargetQuickBooks, UnknownStreamError

D = Decimal
NUM = {"type": ["number", "null"]}
STR = {"type": ["string", "null"]}
LINE = {"type": "object", "properties": {
    "sku": STR, "name": STR, "qty": NUM, "price": NUM, "tax_percent": NUM, "tax_amount": NUM,
    "discount_amount": NUM, "row_total": NUM}}
DOC = {"type": "object", "properties": {
    "id": {"type": "string"}, "increment_id": STR, "invoice_id": STR, "customer_key": STR,
    "customer_id": STR, "customer_firstname": STR, "customer_lastname": STR, "currency": STR,
    "created_at": {"type": ["string", "null"], "format": "date-time"},
    "items": {"type": ["array", "null"], "items": LINE},
    **dict.fromkeys(("subtotal", "tax_amount", "shipping_amount", "shipping_tax_amount",
                     "discount_amount", "grand_total", "adjustment_positive",
                     "adjustment_negative"), NUM)}}
SCHEMAS = {
    # The tap's own types: a value of the wrong type reaches the target anyway.
    "products": ({"type": "object", "properties": {
        "sku": {"type": "string"}, "name": STR, "type": STR, "price": NUM, "cost": NUM,
        "qty": NUM, "status": STR, "description": STR}}, ["sku"]),
    "customers": ({"type": "object", "properties": {
        "customer_key": {"type": "string"}, "customer_id": STR, "email": STR,
        "firstname": STR, "lastname": STR, "company": STR, "phone": STR,
        "billing_address": {"type": ["object", "null"], "properties": {
            "street": {"type": ["array", "null"], "items": {"type": "string"}},
            "city": STR, "postcode": STR, "country_id": STR}}}}, ["customer_key"]),
    "invoices": (DOC, ["id"]),
    "credit_memos": (DOC, ["id"]),
}

GOOD_PRODUCT = {"sku": "GOOD-1", "name": "Casque audio", "type": "simple",
                "price": D("20.00"), "cost": D("8.00"), "qty": D("5")}
GOOD_CUSTOMER = {"customer_key": "42", "customer_id": "42", "firstname": "Camille",
                 "lastname": "Martin", "email": "camille@example.fr"}


def line(sku: str = "GOOD-1", qty: str = "1", price: str = "20.00", row_total: str = "20.00",
         **extra: Any) -> dict:
    return {"sku": sku, "name": "Casque", "qty": D(qty), "price": D(price),
            "tax_percent": D("20"), "row_total": D(row_total), **extra}


def invoice(id_: str = "INV-1", number: str = "FA-0001", **fields: Any) -> dict:
    """A document of 20.00 + 4.00 VAT = 24.00 for the good customer and product."""
    doc = {"id": id_, "increment_id": number, "customer_key": "42",
           "created_at": "2026-03-01T10:00:00+00:00", "currency": "EUR",
           "items": [line()], "subtotal": D("20.00"), "tax_amount": D("4.00"),
           "shipping_amount": D("0"), "shipping_tax_amount": D("0"),
           "discount_amount": D("0"), "grand_total": D("24.00")}
    doc.update(fields)
    return doc


def memo(id_: str, number: str, **fields: Any) -> dict:
    return invoice(id_, number, invoice_id="INV-1", adjustment_positive=D("0"),
                   adjustment_negative=D("0"), **fields)


BASE = [("products", GOOD_PRODUCT), ("customers", GOOD_CUSTOMER), ("invoices", invoice())]


@dataclass
class Row:
    """One kind of input and what must come of it."""

    records: list[tuple[str, dict]]
    outcome: str  # written | rejected | deferred | stopped
    stream: str = ""
    key: str = ""  # the record's key in messages and state ("" = computed)
    field_name: str = ""  # the field the message names
    says: tuple[str, ...] = ()  # words of the reason / error
    check: Callable[[QuickBooksEmulator], None] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[QuickBooksEmulator], None] | None = None
    error: type[Exception] | None = None
    fixed_config: dict[str, Any] | None = None  # for stopped runs: the fix
    base: bool = True


def item(qbo: QuickBooksEmulator, sku: str) -> dict:
    (found,) = [i for i in qbo.entities("Item") if i.get("Sku") == sku]
    return found


def customer(qbo: QuickBooksEmulator, name: str) -> dict:
    (found,) = [c for c in qbo.entities("Customer") if c["DisplayName"] == name]
    return found


def document(qbo: QuickBooksEmulator, entity: str, number: str) -> dict:
    (found,) = [d for d in qbo.entities(entity) if d["DocNumber"] == number]
    return found


def check_colon(qbo: QuickBooksEmulator) -> None:
    assert item(qbo, "CBL-1")["Name"] == "Câble- USB-C"


def check_long_name(qbo: QuickBooksEmulator) -> None:
    name = item(qbo, "LONG-1")["Name"]
    assert len(name) == 100 and name.startswith("Très long")


def check_collision(qbo: QuickBooksEmulator) -> None:
    assert item(qbo, "MUG-A")["Name"] == "Mug- rouge"
    assert item(qbo, "MUG-B")["Name"] == "Mug- rouge [MUG-B]"


def check_decimals(qbo: QuickBooksEmulator) -> None:
    assert D(str(item(qbo, "DEC-1")["QtyOnHand"])) == D("3.1415926535")
    lines = document(qbo, "Invoice", "FA-DEC")["Line"]
    qtys = [D(str(x["SalesItemLineDetail"]["Qty"])) for x in lines
            if x.get("DetailType") == "SalesItemLineDetail"]
    assert D("1.3333333333") in qtys


def check_long_number(qbo: QuickBooksEmulator) -> None:
    number = "FA-2026-0000000000000000042"
    cut = doc_number(number)[0]
    found = document(qbo, "Invoice", cut)
    assert len(cut) == 21 and found["PrivateNote"] == number


def check_email(qbo: QuickBooksEmulator) -> None:
    found = customer(qbo, "Jo Bad (#77)")
    assert "PrimaryEmailAddr" not in found


def check_address(qbo: QuickBooksEmulator) -> None:
    found = customer(qbo, "Al Long (#78)")
    assert len(found["BillAddr"]["Line1"]) == 500
    assert found["BillAddr"]["Line2"] == "Bâtiment B"


QUOTED_NAME = "Tapenade d'olive \\ noire' OR Name = 'x"
QUOTED_CUSTOMER = {"customer_key": "79", "customer_id": "79", "firstname": "D'Arcy \\",
                   "lastname": "O'Brien' OR DisplayName = 'Camille Martin (#42)"}


def check_quotes(qbo: QuickBooksEmulator) -> None:
    assert item(qbo, "SKU'\\1")["Name"] == QUOTED_NAME
    customer(qbo, customer_display_name(QUOTED_CUSTOMER))


UNICODE_CUSTOMER = {"customer_key": "80", "customer_id": "80", "firstname": "Zoë",
                    "lastname": "Ørsted-Łukasz 日本"}


def check_unicode(qbo: QuickBooksEmulator) -> None:
    assert item(qbo, "UNI-1")["Name"] == "Crème brûlée 🍮 日本"
    customer(qbo, "Zoë Ørsted-Łukasz 日本 (#80)")


def check_zero_qty(qbo: QuickBooksEmulator) -> None:
    lines = document(qbo, "Invoice", "FA-ZERO")["Line"]
    qtys = sorted(D(str(x["SalesItemLineDetail"]["Qty"])) for x in lines
                  if x.get("DetailType") == "SalesItemLineDetail")
    assert qtys == [D(0), D(1)]


def check_latest_wins(qbo: QuickBooksEmulator) -> None:
    assert D(str(item(qbo, "TWICE-1")["UnitPrice"])) == D("7.5")


ROWS: dict[str, Row] = {
    "missing SKU": Row([("products", {"name": "Sans SKU", "type": "virtual"})],
                       "rejected", "products", "", "sku", ("'sku' is missing",)),
    "SKU null (wrong type for the schema)": Row(
        [("products", {"sku": None, "name": "SKU nul", "type": "virtual"})],
        "rejected", "products", "", "sku", ("'sku' is missing",)),
    "SKU over 100 characters": Row([("products", {"sku": "S" * 101, "name": "Long SKU"})],
                                   "rejected", "products", "", "sku", ("101 characters",)),
    "empty name": Row([("products", {"sku": "EMPTY-1", "name": " \t "})],
                      "rejected", "products", "EMPTY-1", "name", ("empty",)),
    "name with a colon": Row([("products", {"sku": "CBL-1", "name": "Câble: USB-C",
                                            "type": "virtual"})],
                             "written", check=check_colon),
    "name over 100 characters": Row([("products", {"sku": "LONG-1", "type": "virtual",
                                                   "name": "Très long " + "x" * 140})],
                                    "written", check=check_long_name),
    "two products whose cleaned names collide": Row(
        [("products", {"sku": "MUG-A", "name": "Mug: rouge", "type": "kit"}),
         ("products", {"sku": "MUG-B", "name": "Mug- rouge", "type": "kit"})],
        "written", check=check_collision),
    "non-numeric price": Row([("products", {"sku": "P-NAN", "name": "Prix", "price": "douze"})],
                             "rejected", "products", "P-NAN", "price", ("must be a number",)),
    "negative price": Row([("products", {"sku": "P-NEG", "name": "Prix", "price": D("-3")})],
                          "rejected", "products", "P-NEG", "price", ("negative",)),
    "quantity with many decimals": Row(
        [("products", {"sku": "DEC-1", "name": "Vrac", "qty": D("3.1415926535"),
                       "price": D("3.00")}),
         ("invoices", invoice("INV-DEC", "FA-DEC",
                              items=[line("DEC-1", "1.3333333333", "3.00", "4.00")],
                              tax_amount=D("0.80"), grand_total=D("4.80")))],
        "written", check=check_decimals),
    "unknown product type": Row([("products", {"sku": "T-1", "name": "Lot", "type": "bundle"})],
                                "rejected", "products", "T-1", "type", ("'bundle'",)),
    "invoice with no lines": Row([("invoices", invoice("INV-E", "FA-E", items=[]))],
                                 "rejected", "invoices", "INV-E", "items", ("at least one",)),
    "line without a SKU": Row([("invoices", invoice("INV-NS", "FA-NS",
                                                    items=[line(sku="")]))],
                              "rejected", "invoices", "INV-NS", "items[0].sku", ("missing",)),
    "line for an unknown SKU": Row(
        [("invoices", invoice("INV-U", "FA-U", items=[line("NOPE-1")]))],
        "deferred", "invoices", "INV-U", "items[].sku", ("'NOPE-1'", "not in QuickBooks")),
    "invoice for an unknown customer": Row(
        [("invoices", invoice("INV-C", "FA-C", customer_key="999"))],
        "deferred", "invoices", "INV-C", "customer_key", ("'999'", "not in QuickBooks")),
    "amounts that do not reconcile": Row(
        [("invoices", invoice("INV-R", "FA-R", grand_total=D("25.00")))],
        "rejected", "invoices", "INV-R", "grand_total", ("do not reconcile",)),
    "negative discount": Row(
        [("invoices", invoice("INV-D", "FA-D", discount_amount=D("-1"),
                              grand_total=D("25.00")))],
        "rejected", "invoices", "INV-D", "discount_amount", ("negative",)),
    "created_at not a date": Row([("invoices", invoice("INV-T", "FA-T", created_at="hier"))],
                                 "rejected", "invoices", "INV-T", "created_at", ("'hier'",)),
    "DocNumber over 21 characters": Row(
        [("invoices", invoice("INV-L", "FA-2026-0000000000000000042"))],
        "written", check=check_long_number),
    "duplicate DocNumber (another document)": Row(
        [("invoices", invoice("INV-2", "FA-0001", items=[line(qty="2", row_total="40.00")],
                              tax_amount=D("8.00"), grand_total=D("48.00")))],
        "rejected", "invoices", "INV-2", "increment_id", ("already used", "FA-0001")),
    "credit memo larger than its invoice": Row(
        [("credit_memos", memo("CM-1", "AV-1", items=[line(qty="2", row_total="40.00")],
                               tax_amount=D("8.00"), grand_total=D("48.00")))],
        "rejected", "credit_memos", "CM-1", "grand_total", ("larger than its invoice",)),
    "invalid email": Row([("customers", {"customer_key": "77", "customer_id": "77",
                                         "firstname": "Jo", "lastname": "Bad",
                                         "email": "jo@@example"})],
                         "written", check=check_email, says=("not a valid address",)),
    "very long address lines": Row(
        [("customers", {"customer_key": "78", "customer_id": "78", "firstname": "Al",
                        "lastname": "Long", "billing_address": {
                            "street": ["12 rue " + "très " * 150, "Bâtiment B"],
                            "city": "Paris", "postcode": "75002", "country_id": "FR"}})],
        "written", check=check_address, says=("cut to 500",)),
    "apostrophes and backslashes in queried names": Row(
        [("products", {"sku": "SKU'\\1", "name": QUOTED_NAME, "type": "virtual"}),
         ("customers", QUOTED_CUSTOMER)],
        "written", check=check_quotes),
    "unicode": Row([("products", {"sku": "UNI-1", "name": "Crème brûlée 🍮 日本",
                                  "type": "virtual"}),
                    ("customers", UNICODE_CUSTOMER)],
                   "written", check=check_unicode),
    "zero-quantity line": Row(
        [("invoices", invoice("INV-Z", "FA-ZERO",
                              items=[line(), line(qty="0", row_total="0")]))],
        "written", check=check_zero_qty),
    "same SKU twice in one batch": Row(
        [("products", {"sku": "TWICE-1", "name": "Deux fois", "type": "virtual",
                       "price": D("5")}),
         ("products", {"sku": "TWICE-1", "name": "Deux fois", "type": "virtual",
                       "price": D("7.5")})],
        "written", check=check_latest_wins),
    "customer without any name": Row([("customers", {"customer_key": "81",
                                                     "email": "x@example.com"})],
                                     "rejected", "customers", "81", "firstname",
                                     ("no firstname, lastname or company",)),
    "customer without a key": Row([("customers", {"firstname": "Sans", "lastname": "Clé"})],
                                  "rejected", "customers", "", "customer_key",
                                  ("'customer_key' is missing",)),
    "currency not enabled": Row(
        [("invoices", invoice("INV-USD", "FA-USD", currency="USD"))],
        "rejected", "invoices", "INV-USD", "CurrencyRef", ("USD", "multicurrency")),
    "wrong-typed account setting": Row(
        [("products", {"sku": "INV-ACC", "name": "Stock", "type": "simple"})],
        "stopped", says=("asset_account", "Checking", "Other Current Asset"),
        config={"asset_account": "Checking"}, error=ConfigurationError,
        fixed_config={"asset_account": "Inventory Asset"}, base=False),
    "realm of the other environment": Row(
        [], "stopped", says=("environment", "3100"), config={"realm_id": "123146999999999"},
        error=RealmMismatchError, fixed_config={"realm_id": "9130350000000001"}),
    "revoked refresh token": Row(
        [], "stopped", says=("invalid_grant", "authorize"),
        setup=lambda qbo: qbo.revoke_refresh_tokens(), error=AuthError),
    "record for a stream the target does not know": Row(
        [("orders", {"id": "1", "increment_id": "100000001"})], "stopped",
        says=("'orders'", "stream_maps", "products"), error=UnknownStreamError,
        fixed_config={}),
}


def messages_of(records: list[tuple[str, dict]]) -> list[dict]:
    """SCHEMA then RECORDs per stream, products and customers first (as the tap does)."""
    order = ["products", "customers", "invoices", "credit_memos"]
    streams = sorted({s for s, _ in records}, key=lambda s: order.index(s) if s in order else 9)
    out = []
    for stream in streams:
        body, keys = SCHEMAS.get(stream, ({"type": "object", "properties": {
            "id": {"type": "string"}}}, ["id"]))
        out.append({"type": "SCHEMA", "stream": stream, "schema": body, "key_properties": keys})
        out += [{"type": "RECORD", "stream": stream, "record": rec}
                for s, rec in records if s == stream]
    return out


def run_in_process(config: dict, messages: list[dict]) -> tuple[dict | None, Exception | None]:
    target = TargetQuickBooks(config=config)
    out = io.StringIO()
    error: Exception | None = None
    with redirect_stdout(out):
        try:
            target.process_lines(io.StringIO("".join(serialize_json(m) + "\n"
                                                     for m in messages)))
            target.process_endofpipe()
        except Exception as exc:
            error = exc
    states = [json.loads(x) for x in out.getvalue().splitlines() if x.startswith("{")]
    return (states[-1] if states else None), error


def exact(value: Any) -> Any:
    """A record with every number as its exact decimal text (as pending records keep them)."""
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact(v) for v in value]
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(Decimal(str(value)))
    return value


def same(a: dict, b: dict) -> bool:
    return exact(json_safe(a)) == exact(json_safe(b))


def assert_nothing_lost(qbo: QuickBooksEmulator, records: list[tuple[str, dict]],
                        entry: dict) -> None:
    """Each record is kept verbatim in pending, or QuickBooks has its entity."""
    pending = entry.get("pending", {})
    skus = {str(i.get("Sku")) for i in qbo.entities("Item")}
    names = {c["DisplayName"] for c in qbo.entities("Customer")}
    numbers = {d["DocNumber"] for e in ("Invoice", "CreditMemo", "RefundReceipt")
               for d in qbo.entities(e)}
    for stream, rec in records:
        if any(same(p["record"], rec) for p in pending.get(stream, {}).values()):
            continue
        if stream == "products":
            assert str(rec.get("sku")) in skus, rec
        elif stream == "customers":
            assert customer_display_name(rec) in names, rec
        else:
            assert doc_number(rec["increment_id"])[0] in numbers, rec


@pytest.mark.parametrize("name", list(ROWS))
def test_bad_input(name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    row = ROWS[name]
    records = [*BASE, *row.records] if row.base else row.records
    with QuickBooksEmulator(**NO_LIMITS) as qbo:
        if row.setup:
            row.setup(qbo)
        config = target_config(qbo, tmp_path, max_requests_per_second=100, **row.config)
        caplog.set_level(logging.INFO)
        state, error = run_in_process(config, messages_of(records))

        if row.outcome == "stopped":
            assert isinstance(error, row.error or Exception), error
            for word in row.says:
                assert word in str(error), (word, str(error))
            # Nothing was claimed: no state saying these records were written.
            assert state is None or not state["bookmarks"][BOOKMARK]["items"]
            if row.fixed_config is not None:  # after the fix, everything is written
                fixed = [(s, r) for s, r in records if s in SCHEMAS]
                config.update(row.fixed_config)
                state, error = run_in_process(config, messages_of(fixed))
                assert error is None, error
                assert_nothing_lost(qbo, fixed, state["bookmarks"][BOOKMARK])
                assert state["bookmarks"][BOOKMARK]["pending"] == {}
            return

        entry = state["bookmarks"][BOOKMARK]
        if row.outcome == "rejected":
            assert isinstance(error, RecordsRejectedError), error
        else:
            assert error is None, error
        assert_nothing_lost(qbo, records, entry)
        # The good records went through whatever happened to the bad one.
        assert item(qbo, "GOOD-1") and customer(qbo, "Camille Martin (#42)")
        assert document(qbo, "Invoice", "FA-0001")
        if row.check:
            row.check(qbo)
        for word in row.says:
            assert word in caplog.text, word
        if row.outcome in ("rejected", "deferred"):
            kept = entry["pending"][row.stream]
            key = row.key or next(k for k in kept if k.startswith("missing-key:")
                                  or len(k) > 100 or k == row.key)
            assert kept[key]["status"] == row.outcome
            assert kept[key]["field"] == row.field_name
            assert kept[key]["hint"]
            for word in row.says:
                assert word in kept[key]["reason"], (word, kept[key]["reason"])
            # The log line names the record, the field and the fix.
            logged = [r.getMessage() for r in caplog.records
                      if repr(key) in r.getMessage() and "Fix:" in r.getMessage()]
            assert logged and repr(row.field_name) in logged[0], logged
            assert entry["results"][row.stream][row.outcome] >= 1
        else:
            assert entry["pending"] == {}


def test_quoted_and_unicode_names_are_found_again_without_state(tmp_path: Path) -> None:
    """A lost state: the escaped natural-key queries find every entity, no duplicate."""
    records = [*BASE, *ROWS["apostrophes and backslashes in queried names"].records,
               *ROWS["unicode"].records]
    with QuickBooksEmulator(**NO_LIMITS) as qbo:
        config = target_config(qbo, tmp_path, max_requests_per_second=100)
        for _ in range(2):
            state, error = run_in_process(config, messages_of(records))
            assert error is None, error
        assert len(qbo.entities("Customer")) == 3
        assert len([i for i in qbo.entities("Item") if i.get("Sku")]) == 3
        assert len(qbo.entities("Invoice")) == 1
        results = state["bookmarks"][BOOKMARK]["results"]
        # Found by natural key and identical to the records: nothing is rewritten.
        assert results["customers"]["unchanged"] == 3
        assert results["customers"]["created"] == results["customers"]["updated"] == 0
        assert results["products"]["created"] == results["products"]["updated"] == 0


def test_stopped_runs_say_what_to_fix_in_one_line(tmp_path: Path) -> None:
    """The executable ends a stopped run with one clear line and exit code 1."""
    with QuickBooksEmulator(**NO_LIMITS) as qbo:
        config = write_config(tmp_path, target_config(qbo, tmp_path, asset_account="Checking"))
        run = run_target(config, messages_of(
            [("products", {"sku": "INV-ACC", "name": "Stock", "type": "simple"})]))
        assert run.returncode == 1
        assert "Traceback" not in run.stderr
        (last,) = [x for x in run.stderr.splitlines() if x.startswith("Error:")]
        assert "asset_account" in last and "Other Current Asset" in last
        assert "next run" in last

        unknown = run_target(config, messages_of(ROWS["record for a stream the target does "
                                                      "not know"].records))
        assert unknown.returncode == 1
        assert "Traceback" not in unknown.stderr
        assert "stream_maps" in unknown.stderr

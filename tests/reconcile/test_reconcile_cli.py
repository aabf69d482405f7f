"""``target-quickbooks-reconcile`` as a program, outside Meltano, over real sockets.

The real ``target-quickbooks`` writes the documents into the QuickBooks emulator,
then the reconcile CLI reads the same invoices and credit memos as Singer messages
on stdin: books that match say so (exit 0); a total edited, a document deleted
and a customer changed in QuickBooks are each reported with both values (exit 1).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from quickbooks_emulator import QuickBooksEmulator

VENV_BIN = Path(sys.executable).parent
REALM = "9130350000000001"

STR = {"type": ["string", "null"]}
NUM = {"type": ["number", "string", "null"]}
LINE = {"type": "object", "properties": {
    "sku": STR, "name": STR, **dict.fromkeys(("qty", "price", "tax_percent", "tax_amount",
                                              "row_total"), NUM)}}
DOC = {"type": "object", "properties": {
    "id": {"type": "string"}, "increment_id": STR, "state": STR, "invoice_id": STR,
    "customer_key": STR, "customer_id": STR, "customer_firstname": STR,
    "customer_lastname": STR, "customer_email": STR, "currency": STR,
    "created_at": {"type": ["string", "null"], "format": "date-time"},
    "items": {"type": ["array", "null"], "items": LINE},
    **dict.fromkeys(("subtotal", "tax_amount", "shipping_amount", "shipping_tax_amount",
                     "discount_amount", "grand_total"), NUM)}}
SCHEMAS = {
    "products": ({"type": "object", "properties": {
        "sku": {"type": "string"}, "name": STR, "type": STR, "price": NUM, "cost": NUM,
        "qty": NUM, "status": STR}}, ["sku"]),
    "customers": ({"type": "object", "properties": {
        "customer_key": {"type": "string"}, "customer_id": STR, "email": STR,
        "firstname": STR, "lastname": STR}}, ["customer_key"]),
    "invoices": (DOC, ["id"]),
    "credit_memos": (DOC, ["id"]),
}
PRODUCTS = [
    {"sku": "PACK-1", "name": "Pack cartouches", "type": "simple", "price": "12.90",
     "cost": "4.10", "qty": "40", "status": "1"},
    {"sku": "SRV-1", "name": "Installation", "type": "virtual", "price": "50.00"},
    {"sku": "THE-1", "name": "Thé vert", "type": "virtual", "price": "10.00"},
]
CAMILLE = {"customer_key": "42", "customer_id": "42", "customer_firstname": "Camille",
           "customer_lastname": "Martin"}
JO = {"customer_key": "guest:jo@example.com", "customer_firstname": "Jo",
      "customer_lastname": "O'Brien", "customer_email": "jo@example.com"}
CUSTOMERS = [
    {"customer_key": "42", "customer_id": "42", "firstname": "Camille", "lastname": "Martin",
     "email": "camille@example.fr"},
    {"customer_key": "guest:jo@example.com", "firstname": "Jo", "lastname": "O'Brien",
     "email": "jo@example.com"},
]


def line(sku: str, qty: str, price: str, rate: str, tax: str, total: str) -> dict:
    return {"sku": sku, "name": sku, "qty": qty, "price": price, "tax_percent": rate,
            "tax_amount": tax, "row_total": total}


def document(source_id: str, number: str, customer: dict, items: list[dict], *, tax: str,
             grand_total: str, shipping: str = "0", shipping_tax: str = "0", **extra: str,
             ) -> dict:
    subtotal = sum(Decimal(i["row_total"]) for i in items)
    return {"id": source_id, "increment_id": number, "created_at": "2026-03-02T10:00:00+00:00",
            "currency": "EUR", **customer, "items": items, "subtotal": str(subtotal),
            "tax_amount": tax, "shipping_amount": shipping, "shipping_tax_amount": shipping_tax,
            "discount_amount": "0", "grand_total": grand_total, **extra}


#: Open invoices (nothing to settle: the books match before payments are booked) and a
#: credit memo of an invoice outside this feed (unapplied in both books: its total is open).
INVOICES = [
    document("1", "200000001", CAMILLE, [line("PACK-1", "2", "12.90", "20", "5.16", "25.80")],
             tax="5.16", grand_total="30.96", state="open"),
    document("2", "200000002", CAMILLE, [line("SRV-1", "1", "50.00", "10", "5.00", "50.00")],
             tax="5.00", grand_total="62.20", shipping="6.00", shipping_tax="1.20",
             state="open"),
    document("3", "200000003", JO, [line("THE-1", "1", "10.00", "5.5", "0.55", "10.00")],
             tax="0.55", grand_total="10.55", state="open"),
]
MEMOS = [
    document("9", "300000001", JO, [line("PACK-1", "1", "12.90", "20", "2.58", "12.90")],
             tax="2.58", grand_total="15.48", state="refunded", invoice_id="999"),
]


def singer(streams: dict[str, list[dict]]) -> str:
    lines = []
    for stream, records in streams.items():
        body, keys = SCHEMAS[stream]
        lines.append({"type": "SCHEMA", "stream": stream, "schema": body, "key_properties": keys})
        lines += [{"type": "RECORD", "stream": stream, "record": r} for r in records]
    return "".join(json.dumps(message) + "\n" for message in lines)


def documents_input() -> str:
    return singer({"invoices": INVOICES, "credit_memos": MEMOS})


def run(program: str, config: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / program), "--config", str(config), *args],
                          input=stdin, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def books(tmp_path: Path) -> Iterator[tuple[QuickBooksEmulator, Path]]:
    """The documents written by the real target into an emulator; its settings file."""
    with QuickBooksEmulator(per_second=None, per_minute=None, batch_per_minute=None) as qbo:
        config = tmp_path / "config.json"
        config.write_text(json.dumps({
            "client_id": "demo-client-id", "client_secret": "demo-client-secret",
            "refresh_token": "demo-refresh-token", "realm_id": REALM,
            "api_url": qbo.api_url, "oauth_discovery_url": qbo.discovery_url,
            "token_store_path": str(tmp_path / "tokens.json"),
            "income_account": "79", "service_income_account": "1", "expense_account": "80",
            "asset_account": "81", "discount_account": "86", "tax_code": "3",
            "tax_code_map": {"20": "3", "10": "4", "5.5": "5", "0": "6"},
            "inventory_start_date": "2026-01-01"}))
        written = run("target-quickbooks", config, singer({
            "products": PRODUCTS, "customers": CUSTOMERS, "invoices": INVOICES,
            "credit_memos": MEMOS}))
        assert written.returncode == 0, written.stderr[-4000:]
        assert len(qbo.entities("Invoice")) == 3
        assert len(qbo.entities("CreditMemo")) == 1
        qbo.reset_stats()
        yield qbo, config


def test_books_that_match_exit_zero_with_zero_differences(
        books: tuple[QuickBooksEmulator, Path], tmp_path: Path) -> None:
    qbo, config = books
    report = tmp_path / "report.json"
    settings = json.loads(config.read_text())
    config.write_text(json.dumps({**settings, "reconcile_report_path": str(report)}))

    proc = run("target-quickbooks-reconcile", config, documents_input(), "--format", "json")

    assert proc.returncode == 0, proc.stderr[-4000:]
    assert report.exists(), proc.stderr[-4000:]
    result = json.loads(report.read_text())
    assert result["matches"] is True
    assert result["differences"] == []
    assert result["summary"].startswith("RECONCILE: all matches: 4 source document(s), "
                                        "4 QuickBooks document(s), 0 differences.")
    assert (result["documents_source"], result["documents_quickbooks"]) == (4, 4)
    assert {c["label"]: c["source"] for c in result["customers"]} == {
        "Camille Martin (#42)": "93.16", "Jo O'Brien (jo@example.com)": "-4.93"}
    assert not any(row["differs"] for row in result["months"] + result["customers"])
    assert qbo.stats()["by_method"].get("POST", 0) == 0  # read-only: GET queries only

    # The text report (the default format) opens with the same verdict.
    config.write_text(json.dumps(settings))
    text = run("target-quickbooks-reconcile", config, documents_input())
    assert text.returncode == 0, text.stderr[-4000:]
    assert "RECONCILE: all matches: 4 source document(s)" in text.stderr

    wrong = run("target-quickbooks-reconcile", config, "", "--format", "markdown")
    assert wrong.returncode == 2
    assert "--format markdown: the report is text or json" in wrong.stderr


def _edit_total(qbo: QuickBooksEmulator, number: str) -> None:
    row = next(r for r in qbo.entities("Invoice") if r["DocNumber"] == number)
    lines = row["Line"]
    lines[0]["Amount"] = float(Decimal(str(lines[0]["Amount"])) + 10)
    qbo.edit_entity("Invoice", row["Id"], {
        "Line": lines, "TotalAmt": float(Decimal(str(row["TotalAmt"])) + 10),
        "Balance": float(Decimal(str(row["Balance"])) + 10)})


def _change_customer(qbo: QuickBooksEmulator, number: str, display_name: str) -> None:
    customer = next(c for c in qbo.entities("Customer") if c["DisplayName"] == display_name)
    row = next(r for r in qbo.entities("Invoice") if r["DocNumber"] == number)
    qbo.edit_entity("Invoice", row["Id"], {
        "CustomerRef": {"value": customer["Id"], "name": display_name}})


def test_planted_differences_exit_non_zero_with_both_values(
        books: tuple[QuickBooksEmulator, Path], tmp_path: Path) -> None:
    qbo, config = books
    report = tmp_path / "report.json"
    settings = json.loads(config.read_text())
    config.write_text(json.dumps({**settings, "reconcile_format": "json",
                                  "reconcile_report_path": str(report)}))
    _edit_total(qbo, "200000001")
    deleted = next(r for r in qbo.entities("Invoice") if r["DocNumber"] == "200000002")
    qbo.delete_entity("Invoice", deleted["Id"])
    _change_customer(qbo, "200000003", "Camille Martin (#42)")

    proc = run("target-quickbooks-reconcile", config, documents_input())

    assert proc.returncode == 1, proc.stderr[-4000:]
    result = json.loads(report.read_text())
    assert result["matches"] is False
    found = {(d["kind"], d["subject"]): d for d in result["differences"]}
    total = found[("total", "invoice 200000001")]
    assert (total["source"], total["quickbooks"]) == ("30.96", "40.96")
    missing = found[("missing", "invoice 200000002")]
    assert missing["quickbooks"] == "not in QuickBooks"
    assert "62.20" in missing["source"] and "Camille Martin (#42)" in missing["source"]
    customer = found[("customer", "invoice 200000003")]
    assert (customer["source"], customer["quickbooks"]) == (
        "Jo O'Brien (jo@example.com)", "Camille Martin (#42)")
    assert result["summary"].startswith(f"RECONCILE: {len(result['differences'])} difference(s)")
    assert qbo.stats()["by_method"].get("POST", 0) == 0

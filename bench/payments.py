"""Payments of paid invoices per batch request (issue 13: ">= 25 writes per request").

The emulator is seeded directly with a customer and ``n`` open invoices, and the target
gets those invoices as ``paid`` records with a state whose ID map already holds them:
the run writes only the payments (one per invoice, for its open Balance), in ``/batch``
requests under QuickBooks' limits. Payments per batch request is the figure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import scenarios as sc
from bench.probe import QboProbe

#: Paid invoices of the scenario: enough for several full batches (30 operations each).
PAYMENTS = {"full": 600, "large": 600, "smoke": 60}


def _record(i: int) -> dict[str, Any]:
    return {"id": str(i), "increment_id": f"PB-{i:05d}", "state": "paid",
            "customer_key": "1", "created_at": "2026-03-01T10:00:00+00:00",
            "updated_at": "2026-03-02T10:00:00+00:00", "currency": "EUR",
            "items": [{"sku": "BENCH-1", "name": "Bench", "qty": "1", "price": "10.00",
                       "tax_percent": "20", "tax_amount": "2.00", "row_total": "10.00"}],
            "subtotal": "10.00", "tax_amount": "2.00", "shipping_amount": "0",
            "shipping_tax_amount": "0", "discount_amount": "0", "grand_total": "12.00"}


def payment_batches(profile: sc.Profile, workdir: Path) -> dict[str, Any]:
    """Write the payments of ``PAYMENTS[profile]`` paid invoices already in QuickBooks."""
    count = PAYMENTS.get(profile.name, 60)
    with sc.qbo_emulator(profile) as qbo:
        customer = qbo.add_entity("Customer", {"DisplayName": "Bench Payer (#1)"})
        invoices = {}
        for i in range(1, count + 1):
            invoice = qbo.add_entity("Invoice", {
                "CustomerRef": {"value": customer["Id"]}, "DocNumber": f"PB-{i:05d}",
                "TxnDate": "2026-03-01",
                "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 10,
                          "SalesItemLineDetail": {"ItemRef": {"value": "20"}, "Qty": 1,
                                                  "UnitPrice": 10,
                                                  "TaxCodeRef": {"value": "3"}}}]})
            invoices[str(i)] = invoice["Id"]
        state = {"bookmarks": {"target-quickbooks": {
            "realm_id": sc.REALM, "v": 1, "customers": {"1": customer["Id"]},
            "invoices": invoices, "changes_checked": "2099-01-01T00:00:00+00:00"}}}
        singer_input = workdir / "payments.singer"
        with open(singer_input, "w", encoding="utf-8") as out:
            out.write(json.dumps({"type": "STATE", "value": state}) + "\n")
            out.write(json.dumps({"type": "SCHEMA", "stream": "invoices", "key_properties": ["id"],
                                  "schema": {"type": "object",
                                             "properties": {"id": {"type": "string"}}}}) + "\n")
            for i in range(1, count + 1):
                out.write(json.dumps({"type": "RECORD", "stream": "invoices",
                                      "record": _record(i)}) + "\n")
        probe = QboProbe(qbo).install()
        config = sc.target_config(qbo, workdir, profile)
        run, final = sc.run_target(config, singer_input, workdir, "payments")
        events = [event for event in probe.snapshot() if event.kind == "batch" and event.writes]
        written = len(qbo.entities("Payment"))
        settled = sum(1 for invoice in qbo.entities("Invoice") if str(invoice["Balance"]) in
                      ("0", "0.0", "0.00"))
    results = (sc.target_entry(final).get("results") or {}).get("payments") or {}
    return {
        "invoices": count,
        "returncode": run.returncode,
        "payments_written": written,
        "invoices_settled": settled,
        "payment_batch_requests": len(events),
        "payments_per_batch_request": round(written / len(events), 1) if events else None,
        "outcomes": results,
        "stderr_tail": run.stderr[-1500:] if run.returncode else "",
    }

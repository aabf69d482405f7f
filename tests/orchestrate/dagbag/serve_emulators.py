"""Both emulators for the Airflow DAG run test, served from the project's venv.

The Airflow venv cannot import the emulators (its dependencies are Airflow's), so
the test starts this script with the project's Python: it starts both emulators on
free loopback ports, prints their URLs as one JSON line, then answers commands on
stdin, one per line:

- ``report``: one JSON line with what QuickBooks holds (invoices and their total,
  credit memos, customers, items) and what myFulfillment says should be booked
  (its non-canceled invoices and their total, its credit memos, its products);
- end of input: stop both emulators and exit.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal

from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator


def report(qbo: QuickBooksEmulator, mf: MyFulfillmentEmulator) -> dict[str, object]:
    """What each side holds, for the test's assertions (amounts as strings, exact)."""
    bookable = [inv for inv in mf.store.invoices() if inv.get("state") != "canceled"]
    paid = {str(inv["id"]): inv.get("state") == "paid" for inv in mf.store.invoices()}
    invoices = qbo.entities("Invoice")
    return {
        "qbo": {
            "invoices": len(invoices),
            "invoice_total": str(sum(Decimal(str(e["TotalAmt"])) for e in invoices)),
            "credit_memos": len(qbo.entities("CreditMemo")),
            "refund_receipts": len(qbo.entities("RefundReceipt")),
            "customers": len(qbo.entities("Customer")),
            "items": len(qbo.entities("Item")),
        },
        "mf": {
            "invoices": len(bookable),
            "invoice_total": str(sum(Decimal(str(inv["grand_total"])) for inv in bookable)),
            # A credit memo of a paid invoice is booked as a RefundReceipt (target README).
            "credit_memos": len([m for m in mf.store.credit_memos()
                                 if paid.get(str(m.get("invoice_id"))) is not True]),
            "refund_receipts": len([m for m in mf.store.credit_memos()
                                    if paid.get(str(m.get("invoice_id"))) is True]),
            # A deleted product (<sku>_deleted) is its SKU's one item.
            "products": len({str(p["sku"]).removesuffix("_deleted")
                             for p in mf.store.products()}),
        },
    }


def main() -> int:
    """Serve until stdin closes."""
    mf = MyFulfillmentEmulator(dataset="demo", port=0).start()
    qbo = QuickBooksEmulator(port=0).start()
    try:
        print(json.dumps({"mf_url": mf.url, "qbo_api_url": qbo.api_url,
                          "qbo_discovery_url": qbo.discovery_url}), flush=True)
        for line in sys.stdin:
            if line.strip() == "report":
                print(json.dumps(report(qbo, mf)), flush=True)
    finally:
        qbo.stop()
        mf.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`meltano run` of the real project, end to end, on both emulators.

These are the product's acceptance tests: the tap extracts, the target writes,
Meltano keeps the state between runs, and QuickBooks (the emulator) ends with
exactly one entity per source record.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from myfulfillment_emulator import MyFulfillmentEmulator
from myfulfillment_emulator.demo import PAID_LATER
from quickbooks_emulator import QuickBooksEmulator

from tests.harness import MeltanoProject, bookable_invoices, memo_entity, memos_by_entity

pytestmark = pytest.mark.e2e

SEEDED_ITEMS = {"Shipping", "Adjustment"}


def _customer_keys(mf: MyFulfillmentEmulator) -> set[str]:
    keys = set()
    for order in mf.store.orders():
        cid = order.get("customer_id")
        keys.add(str(cid) if cid else "guest:" + order["customer_email"].strip().lower())
    return keys


def _written_items(qbo: QuickBooksEmulator) -> list[dict]:
    return [i for i in qbo.entities("Item") if i["Name"] not in SEEDED_ITEMS]


def _target_map(state: dict) -> dict:
    return state["singer_state"]["bookmarks"]["target-quickbooks"]


def _catalog(products: list[dict]) -> dict[str, dict]:
    """The products by the SKU their item carries; a live product wins over a deleted one."""
    catalog = {p["sku"].removesuffix("_deleted"): p for p in products
               if p["sku"].endswith("_deleted")}
    catalog.update({p["sku"]: p for p in products if not p["sku"].endswith("_deleted")})
    return catalog


def _assert_inactive_references_booked(mf: MyFulfillmentEmulator, qbo: QuickBooksEmulator,
                                       items: dict[str, dict]) -> None:
    """Documents of disabled/deleted products and of the inactive customer are booked,
    and those items and that customer are inactive again."""
    inactive_skus = {sku for sku, item in items.items() if item["Active"] is False}
    booked = {(entity, d["DocNumber"]) for entity in ("Invoice", "CreditMemo", "RefundReceipt")
              for d in qbo.entities(entity)}
    sources = [("Invoice", d) for d in bookable_invoices(mf)] + [
        (memo_entity(mf, d), d) for d in mf.store.credit_memos()]
    touching = [(entity, d) for entity, d in sources
                if {line["sku"] for line in d["items"]} & inactive_skus]
    assert {"CHARGEUR-MICRO-USB", "NICOTINE-BOOSTER", "CONFITURE-ABRICOT",
            "ALIAS-XROS3-NOIR"} <= inactive_skus
    assert len({(e, d["increment_id"]) for e, d in touching}) >= 6
    for entity, document in touching:
        number = document["increment_id"]
        assert any(e == entity and (n == number or number.startswith(n.split("~")[0]))
                   for e, n in booked), (entity, number)
    (customer,) = [c for c in qbo.entities("Customer")
                   if c["DisplayName"] == "Éloïse Bernard (#108)"]
    assert customer["Active"] is False
    theirs = [i for i in qbo.entities("Invoice")
              if i["CustomerRef"]["value"] == customer["Id"]]
    assert len(theirs) == len([d for d in bookable_invoices(mf) if d["customer_id"] == "108"])
    assert theirs


def _source_key(document: dict) -> str:
    cid = document.get("customer_id")
    return str(cid) if cid else "guest:" + document["customer_email"].strip().lower()


def _source_balances(mf: MyFulfillmentEmulator) -> dict[str, Decimal]:
    """Each customer's open balance at the source: open invoices less their credit memos."""
    invoices = {inv["id"]: inv for inv in mf.store.invoices()}
    owed: dict[str, Decimal] = {}
    for invoice in invoices.values():
        if invoice["state"] not in ("paid", "canceled"):
            key = _source_key(invoice)
            owed[key] = owed.get(key, Decimal(0)) + Decimal(invoice["grand_total"])
    for memo in mf.store.credit_memos():
        invoice = invoices[memo["invoice_id"]]
        if invoice["state"] not in ("paid", "canceled"):
            key = _source_key(invoice)
            owed[key] -= Decimal(memo["grand_total"])
    return owed


def _assert_balances_match(mf: MyFulfillmentEmulator, qbo: QuickBooksEmulator) -> None:
    """Every customer's open balance in QuickBooks (invoice Balance less credit memos'
    unapplied credit) equals the source's, and so does the Customer's own Balance."""
    sources = {("Invoice", d["increment_id"]): d for d in bookable_invoices(mf)}
    sources |= {("CreditMemo", d["increment_id"]): d for d in mf.store.credit_memos()}
    by_customer: dict[str, str] = {}
    qbo_owed: dict[str, Decimal] = {}
    for entity, sign in (("Invoice", 1), ("CreditMemo", -1)):
        for document in qbo.entities(entity):
            note = document.get("PrivateNote") or ""
            (source,) = [d for (e, n), d in sources.items() if e == entity
                         and (n == document["DocNumber"] or n in note)]
            key = _source_key(source)
            by_customer[key] = document["CustomerRef"]["value"]
            qbo_owed[key] = qbo_owed.get(key, Decimal(0)) + sign * Decimal(
                str(document["Balance"]))
    source_owed = _source_balances(mf)
    customers = {c["Id"]: c for c in qbo.entities("Customer")}
    checked = set()
    for key in sorted(set(qbo_owed) | set(source_owed)):
        assert qbo_owed.get(key, Decimal(0)) == source_owed.get(key, Decimal(0)), key
        assert Decimal(str(customers[by_customer[key]]["Balance"])) == qbo_owed[key], key
        checked.add(key)
    # Every customer who owes something at the source is among those checked.
    assert {key for key, owed in source_owed.items() if owed} <= checked
    assert len(checked) >= 5


def test_sync_all_writes_one_entity_per_record_and_second_run_writes_nothing(
    project: MeltanoProject, mf_emulator: MyFulfillmentEmulator, qbo_emulator: QuickBooksEmulator
) -> None:
    project.run("sync-all")

    products = mf_emulator.store.products()
    catalog = _catalog(products)
    items = _written_items(qbo_emulator)
    # One item per SKU: a deleted product (``<sku>_deleted``) is the item of its SKU.
    assert sorted(i["Sku"] for i in items) == sorted(catalog)
    by_sku = {i["Sku"]: i for i in items}
    expected_type = {"simple": "Inventory", "virtual": "Service", "kit": "NonInventory",
                     "alias": "NonInventory"}
    for sku, product in catalog.items():
        item = by_sku[sku]
        assert item["Type"] == expected_type[product["type"]], product["sku"]
        if item["Type"] == "Inventory":
            assert item["IncomeAccountRef"]["value"] == "79"
            assert item["ExpenseAccountRef"]["value"] == "80"
            assert item["AssetAccountRef"]["value"] == "81"
        if item["Type"] == "Service":
            assert item["IncomeAccountRef"]["value"] == "1"
        assert ":" not in item["Name"] and len(item["Name"]) <= 100
        deleted = product["sku"].endswith("_deleted") or product["status"] == "0"
        assert item["Active"] is (not deleted), product["sku"]
    _assert_inactive_references_booked(mf_emulator, qbo_emulator, by_sku)

    customers = qbo_emulator.entities("Customer")
    assert len(customers) == len(_customer_keys(mf_emulator))
    assert len({c["DisplayName"] for c in customers}) == len(customers)

    invoices = qbo_emulator.entities("Invoice")
    assert len(invoices) == len(bookable_invoices(mf_emulator))
    source_by_note = {inv["increment_id"]: inv for inv in bookable_invoices(mf_emulator)}
    for invoice in invoices:
        number = invoice.get("PrivateNote") or invoice["DocNumber"]
        source = next(
            (s for n, s in source_by_note.items() if n == invoice["DocNumber"] or n in number),
            None,
        )
        assert source is not None, invoice["DocNumber"]
        assert Decimal(str(invoice["TotalAmt"])) == Decimal(source["grand_total"])
        assert _vat_per_rate(invoice) == _source_vat_per_rate(source), invoice["DocNumber"]
    # Credit memos of paid invoices are RefundReceipts (money returned, paid from the
    # refund account), the others CreditMemos; each with the source's total and VAT.
    expected_memos = memos_by_entity(mf_emulator)
    assert expected_memos["RefundReceipt"]
    accounts = {a["Id"]: a for a in qbo_emulator.entities("Account")}
    for entity, sources_of_entity in expected_memos.items():
        memos = qbo_emulator.entities(entity)
        assert len(memos) == len(sources_of_entity), entity
        memo_sources = {m["increment_id"]: m for m in sources_of_entity}
        for memo in memos:
            source = next(s for n, s in memo_sources.items()
                          if n == memo["DocNumber"] or n in (memo.get("PrivateNote") or ""))
            assert Decimal(str(memo["TotalAmt"])) == Decimal(source["grand_total"])
            assert _vat_per_rate(memo) == _source_vat_per_rate(source), memo["DocNumber"]
            if entity == "RefundReceipt":
                account = accounts[memo["DepositToAccountRef"]["value"]]
                assert account["AccountType"] in ("Bank", "Other Current Asset")

    # Paid invoices are settled, open ones are owed: balances equal the source's.
    paid = [d for d in bookable_invoices(mf_emulator) if d["state"] == "paid"]
    assert len(qbo_emulator.entities("Payment")) == len(paid) + 1  # + the memo applied
    _assert_balances_match(mf_emulator, qbo_emulator)

    # The ID map made the round trip through Meltano state.
    item_map = _target_map(project.state("create-products"))
    assert set(item_map["items"]) == set(catalog)
    for feed in ("export-invoices", "export-credit-memos"):
        assert "reactivated" not in _target_map(project.state(feed)), feed
    assert item_map["realm_id"] == "9130350000000001"

    # Second run: nothing new is extracted, nothing is written.
    qbo_emulator.reset_stats()
    mf_emulator.reset_stats()
    project.run("sync-all")
    by_kind = qbo_emulator.stats()["by_kind"]
    assert by_kind.get("create", 0) == 0
    assert by_kind.get("update", 0) == 0
    assert len(_written_items(qbo_emulator)) == len(catalog)
    assert len(qbo_emulator.entities("Invoice")) == len(bookable_invoices(mf_emulator))
    _assert_inactive_references_booked(mf_emulator, qbo_emulator,
                                       {i["Sku"]: i for i in _written_items(qbo_emulator)})

    # An open invoice is paid later: its next export writes its payment, dated that day.
    (later,) = [d for d in mf_emulator.store.invoices() if d["order_increment_id"] == PAID_LATER]
    assert later["state"] == "open"
    paid_at = "2026-03-09 23:30:00"  # the 10th in Paris
    mf_emulator.store.touch_invoice(later["id"], state="paid", updated_at=paid_at)
    before = {p["Id"] for p in qbo_emulator.entities("Payment")}
    project.run("export-invoices")
    (payment,) = [p for p in qbo_emulator.entities("Payment") if p["Id"] not in before]
    assert Decimal(str(payment["TotalAmt"])) == Decimal(later["grand_total"])
    stamp = dt.datetime.fromisoformat(paid_at).replace(tzinfo=dt.timezone.utc)
    assert payment["TxnDate"] == stamp.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
    _assert_balances_match(mf_emulator, qbo_emulator)


#: The VAT rates of the project's tax_code_map (meltano.yml).
VAT_RATES = (Decimal("0"), Decimal("5.5"), Decimal("10"), Decimal("20"))


def _vat_per_rate(document: dict) -> dict[Decimal, Decimal]:
    """The VAT QuickBooks booked per rate (non-zero amounts), from ``TxnTaxDetail``."""
    booked: dict[Decimal, Decimal] = {}
    for line in (document.get("TxnTaxDetail") or {}).get("TaxLine") or []:
        rate = Decimal(str(line["TaxLineDetail"]["TaxPercent"])).normalize()
        booked[rate] = booked.get(rate, Decimal(0)) + Decimal(str(line["Amount"]))
    return {rate: amount for rate, amount in booked.items() if amount}


def _source_vat_per_rate(source: dict) -> dict[Decimal, Decimal]:
    """The source's VAT per rate: its lines' ``tax_amount`` plus shipping VAT at its rate."""
    vat: dict[Decimal, Decimal] = {}
    for item in source["items"]:
        rate = Decimal(str(item["tax_percent"])).normalize()
        vat[rate] = vat.get(rate, Decimal(0)) + Decimal(str(item.get("tax_amount") or 0))
    shipping = Decimal(str(source.get("shipping_amount") or 0))
    shipping_tax = Decimal(str(source.get("shipping_tax_amount") or 0))
    if shipping_tax:
        # Shipping VAT is rounded on small amounts (0.80 on 3.98): its rate is the
        # nearest of the VAT rates the project maps.
        rate = min(VAT_RATES, key=lambda known: abs(known - shipping_tax * 100 / shipping))
        vat[rate] = vat.get(rate, Decimal(0)) + shipping_tax
    return {rate: amount.quantize(Decimal("0.01")) for rate, amount in vat.items() if amount}


def test_changed_products_flow_through_hourly_and_daily_feeds(
    project: MeltanoProject, mf_emulator: MyFulfillmentEmulator, qbo_emulator: QuickBooksEmulator
) -> None:
    project.run("create-products", "update-products")
    products = mf_emulator.store.products()
    changed = [p["sku"] for p in products if p["type"] == "simple"][:2]
    for sku in changed:
        mf_emulator.store.touch_product(sku, price="99.9900")
    mf_emulator.store.add_product(sku="NEW-0001", name="Nouveau produit", type="virtual",
                                  price="5.0000", cost="1.0000", qty="0.0000", status="1")

    mf_emulator.reset_stats()
    qbo_emulator.reset_stats()
    project.run("create-products")  # hourly: the new product only
    assert qbo_emulator.stats()["by_kind"].get("update", 0) == 0
    assert "NEW-0001" in {i["Sku"] for i in _written_items(qbo_emulator)}
    # Early stop: a handful of list requests, not the whole catalog.
    assert mf_emulator.stats()["by_path"].get("/catalog-product/products", 0) <= 2

    qbo_emulator.reset_stats()
    project.run("update-products")  # daily: the changed prices
    by_sku = {i["Sku"]: i for i in _written_items(qbo_emulator)}
    for sku in changed:
        assert Decimal(str(by_sku[sku]["UnitPrice"])) == Decimal("99.99")
    stats = qbo_emulator.stats()
    assert stats["by_kind"].get("create", 0) == 0


def test_documents_before_customers_are_deferred_then_written(
    project: MeltanoProject, mf_emulator: MyFulfillmentEmulator, qbo_emulator: QuickBooksEmulator
) -> None:
    project.run("create-products")
    # Deferral is expected when feeds run out of order: not an error exit.
    project.run("export-invoices")
    # Only the customer the demo company already held (inactive) has its invoices now.
    known = [i for i in bookable_invoices(mf_emulator) if i["customer_id"] == "108"]
    assert known
    assert len(qbo_emulator.entities("Invoice")) == len(known)
    pending = _target_map(project.state("export-invoices")).get("pending", {})
    assert len(pending.get("invoices", {})) == len(bookable_invoices(mf_emulator)) - len(known)

    project.run("export-customers")
    project.run("export-invoices")
    assert len(qbo_emulator.entities("Invoice")) == len(bookable_invoices(mf_emulator))
    assert not _target_map(project.state("export-invoices")).get("pending", {}).get("invoices")

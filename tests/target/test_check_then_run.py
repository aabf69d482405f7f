"""A config `check` passes is a config the first run does not stop on (bare company).

The bare company is what Intuit creates: accounts, tax codes, a default discount
account in Preferences, no Shipping/Adjustment items. The run books an invoice with
shipping and a discount, and a credit memo with adjustments, over real sockets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.accounts import ConfigurationError
from target_quickbooks.admin.check import check
from test_target_emulator import messages, run
from test_target_fakes import CONFIG

REALM = CONFIG["realm_id"]


@pytest.fixture
def bare() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator(bare=True, per_second=None, per_minute=None,
                            batch_per_minute=None) as qbo:
        yield qbo


def _settings(qbo: QuickBooksEmulator, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    settings = {key: value for key, value in CONFIG.items() if key != "discount_account"}
    settings.update(api_url=qbo.api_url, oauth_discovery_url=qbo.discovery_url,
                    token_store_path=str(tmp_path / "tokens.json"), **overrides)
    return settings


def _check(settings: dict[str, Any], states: dict[str, Any] | None = None) -> tuple[int, str]:
    lines: list[str] = []
    problems = check(settings, echo=lines.append, states=states)
    return problems, "\n".join(lines)


def test_a_passing_check_means_the_first_run_books_everything(bare, tmp_path):
    settings = _settings(bare, tmp_path)
    problems, output = _check(settings)
    assert problems == 0, output
    assert "shipping_item: 'Shipping' is not in QuickBooks: the first document" in output
    assert "discount_account: Id 86 Discounts given (from company default" in output

    overrides = {k: v for k, v in settings.items() if k not in CONFIG}
    _, state = run(bare, tmp_path, messages(), discount_account=None, **overrides)

    entry = state["bookmarks"]["target-quickbooks"]
    assert set(entry["invoices"]) == {"5001"} and set(entry["credit_memos"]) == {"7001"}
    assert entry["pending"] == {}
    items = {item["Name"]: item for item in bare.entities("Item")}
    assert items["Shipping"]["Type"] == "Service"
    assert items["Shipping"]["IncomeAccountRef"]["value"] == "1"
    assert items["Adjustment"]["Type"] == "Service"
    invoice = bare.entities("Invoice")[0]
    details = [line.get("SalesItemLineDetail", {}) for line in invoice["Line"]]
    assert {"value": items["Shipping"]["Id"], "name": "Shipping"} in [
        d.get("ItemRef") for d in details]
    discount = next(line for line in invoice["Line"]
                    if line["DetailType"] == "DiscountLineDetail")
    assert discount["DiscountLineDetail"]["DiscountAccountRef"]["value"] == "86"
    # The rates the documents carried are kept for the next check.
    assert entry["rates_seen"] == ["10", "20"]
    problems, output = _check(settings, {"invoices": {"singer_state": state}})
    assert problems == 0, output
    assert "OK    VAT rates seen: 10, 20 %: each has a tax code" in output


def test_a_rate_seen_but_no_longer_mapped_fails_check_as_the_run_refuses_it(bare, tmp_path):
    settings = _settings(bare, tmp_path)
    overrides = {k: v for k, v in settings.items() if k not in CONFIG}
    _, state = run(bare, tmp_path, messages(), discount_account=None, **overrides)
    narrower = _settings(bare, tmp_path, tax_code_map={"20": "3", "5.5": "5", "0": "6"})
    problems, output = _check(narrower, {"invoices": {"singer_state": state}})
    assert problems == 1, output
    line = next(x for x in output.splitlines() if x.startswith("FAIL  VAT rates seen"))
    assert "documents carried 10 %" in line and '"10": "4"' in line
    # ... and the run indeed refuses a document at 10 %.
    invoice = {**messages()[-3]["record"], "id": "5002", "increment_id": "FA-5002"}
    msgs = messages(invoices=(invoice,), memos=())
    _, after = run(bare, tmp_path, [{"type": "STATE", "value": state}, *msgs],
                   expect_rejected=True, discount_account=None,
                   **{**overrides, "tax_code_map": narrower["tax_code_map"]})
    pending = after["bookmarks"]["target-quickbooks"]["pending"]["invoices"]["5002"]
    assert "tax_code_map has no entry" in pending["reason"]


def test_opt_out_fails_check_where_the_run_stops(bare, tmp_path):
    settings = _settings(bare, tmp_path, create_missing_items=False)
    problems, output = _check(settings)
    assert problems == 2, output
    assert "FAIL  shipping_item: Setting `shipping_item` = 'Shipping'" in output
    assert "FAIL  adjustment_item:" in output
    overrides = {k: v for k, v in settings.items() if k not in CONFIG}
    with pytest.raises(ConfigurationError, match="`create_missing_items` is false"):
        run(bare, tmp_path, messages(), discount_account=None, **overrides)
    assert not {"Shipping", "Adjustment"} & {item["Name"] for item in bare.entities("Item")}

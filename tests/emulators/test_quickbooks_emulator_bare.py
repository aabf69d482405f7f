"""The bare company: what Intuit creates for a new French company, and nothing of the demo's."""

from __future__ import annotations

from quickbooks_emulator import QuickBooksEmulator
from quickbooks_emulator.__main__ import build_parser


def test_bare_company_has_accounts_and_tax_codes_but_no_items_vendor_or_employee():
    with QuickBooksEmulator(bare=True) as bare, QuickBooksEmulator() as demo:
        for entity in ("Account", "TaxCode", "TaxRate", "CompanyInfo"):
            assert len(bare.entities(entity)) == len(demo.entities(entity)), entity
        for entity in ("Item", "Vendor", "Employee"):
            assert bare.entities(entity) == [], entity
            assert demo.entities(entity), entity
        bare_forms = bare.entities("Preferences")[0]["SalesFormsPrefs"]
        demo_forms = demo.entities("Preferences")[0]["SalesFormsPrefs"]
        assert bare_forms["DefaultDiscountAccount"] == "86"
        assert "DefaultDiscountAccount" not in demo_forms  # the demo company is unchanged


def test_bare_is_a_command_line_option():
    assert build_parser().parse_args(["--bare"]).bare is True
    assert build_parser().parse_args([]).bare is False

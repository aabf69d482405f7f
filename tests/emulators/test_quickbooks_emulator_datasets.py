"""The QuickBooks emulator's named starting data."""

from __future__ import annotations

import pytest
from myfulfillment_emulator import demo
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.mappers.customers import customer_display_name


def test_default_company_holds_no_customer():
    assert QuickBooksEmulator().entities("Customer") == []


def test_demo_company_holds_the_shop_customer_the_accountant_made_inactive():
    (customer,) = QuickBooksEmulator(dataset="demo").entities("Customer")
    assert customer["Active"] is False
    buyer = demo.CUSTOMERS[demo.INACTIVE_IN_QUICKBOOKS]
    # The name the target gives this shop customer, so it finds this one, inactive.
    assert customer["DisplayName"] == customer_display_name(
        {"customer_key": buyer.customer_id, "customer_id": buyer.customer_id,
         "firstname": buyer.firstname, "lastname": buyer.lastname, "email": buyer.email})


def test_unknown_dataset_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="demo, empty"):
        QuickBooksEmulator(dataset="full")

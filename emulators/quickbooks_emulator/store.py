"""Company data: records per entity, Ids, SyncTokens, MetaData and the seed fixtures.

Why: one place owns the company's state so that create/update/query/batch all see the
same data under one lock, and so that batch "snapshot" visibility is easy to express.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .faults import qbo_time

HOME_CURRENCY = {"FR": ("EUR", "Euro"), "US": ("USD", "United States Dollar"),
                 "GB": ("GBP", "British Pound Sterling"), "CA": ("CAD", "Canadian Dollar")}

SEED_ACCOUNTS = (
    ("79", "Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("1", "Services", "Income", "ServiceFeeIncome"),
    ("80", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("81", "Inventory Asset", "Other Current Asset", "Inventory"),
    ("86", "Discounts given", "Income", "DiscountsRefundsGiven"),
    ("35", "Checking", "Bank", "Checking"),
)
# (TaxCode Id, name, TaxRate Id, rate)
SEED_TAX_CODES = (
    ("3", "TVA 20%", "13", Decimal(20)),
    ("4", "TVA 10%", "14", Decimal(10)),
    ("5", "TVA 5,5%", "15", Decimal("5.5")),
    ("6", "TVA 0%", "16", Decimal(0)),
)
_CLASSIFICATION = {"Income": "Revenue", "Cost of Goods Sold": "Expense",
                   "Other Current Asset": "Asset", "Bank": "Asset"}


class Company:
    """All records of one QBO company (realm), guarded by one re-entrant lock.

    Args:
        realm_id: Company id.
        country: Two-letter country; non-US companies require tax codes on lines.
    """

    def __init__(self, realm_id: str, country: str = "FR") -> None:
        self.realm_id = realm_id
        self.country = country.upper()
        currency = HOME_CURRENCY.get(self.country, ("EUR", "Euro"))
        self.home_currency: str = currency[0]
        self.home_currency_name: str = currency[1]
        self.multicurrency = False
        self.lock = threading.RLock()
        self.records: dict[str, dict[str, dict[str, Any]]] = {}
        self._next_id = 100
        self._next_address_id = 0
        self._seed()

    # -- basic record access -------------------------------------------------------
    def table(self, entity: str) -> dict[str, dict[str, Any]]:
        """Return the (live) id → record mapping of an entity."""
        return self.records.setdefault(entity, {})

    def get(self, entity: str, object_id: object) -> dict[str, Any] | None:
        """Return the live record or None."""
        return self.table(entity).get(str(object_id))

    def all(self, entity: str) -> list[dict[str, Any]]:
        """Return the live records of an entity, by numeric Id."""
        return sorted(self.table(entity).values(), key=lambda r: _id_key(r["Id"]))

    def new_id(self) -> str:
        """Allocate an Id (one sequence for the company, so Ids never collide across types)."""
        with self.lock:
            self._next_id += 1
            return str(self._next_id)

    def new_address_id(self) -> str:
        """Allocate an address Id (its own sequence, so entity Ids stay dense)."""
        with self.lock:
            self._next_address_id += 1
            return str(self._next_address_id)

    def insert(self, entity: str, record: dict[str, Any], object_id: str | None = None
               ) -> dict[str, Any]:
        """Store a new record: assigns Id, SyncToken "0", domain and MetaData."""
        with self.lock:
            now = qbo_time(with_millis=False)
            record["Id"] = object_id or self.new_id()
            record["SyncToken"] = "0"
            record["domain"] = "QBO"
            record["sparse"] = False
            record["MetaData"] = {"CreateTime": now, "LastUpdatedTime": now}
            self.table(entity)[record["Id"]] = record
            return record

    def replace(self, entity: str, record: dict[str, Any]) -> dict[str, Any]:
        """Store an updated record: SyncToken + 1, LastUpdatedTime now."""
        with self.lock:
            old = self.table(entity)[record["Id"]]
            record["SyncToken"] = str(int(old["SyncToken"]) + 1)
            record["MetaData"] = {"CreateTime": old["MetaData"]["CreateTime"],
                                  "LastUpdatedTime": qbo_time(with_millis=False)}
            record["domain"] = "QBO"
            record["sparse"] = False
            self.table(entity)[record["Id"]] = record
            return record

    def delete(self, entity: str, object_id: str) -> None:
        """Remove a record (transactions only)."""
        with self.lock:
            self.table(entity).pop(object_id, None)

    def export_records(self) -> dict[str, Any]:
        """Deep copy of every record plus the Id sequence (for ``--state-file``)."""
        with self.lock:
            return {"records": copy.deepcopy(self.records), "next_id": self._next_id}

    def import_records(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`export_records` returned."""
        with self.lock:
            self.records = state["records"]
            self._next_id = int(state["next_id"])

    # -- seeds ---------------------------------------------------------------------
    def _seed_insert(self, entity: str, object_id: str, record: dict[str, Any]) -> None:
        self.insert(entity, record, object_id)

    def _seed(self) -> None:
        for acc_id, name, acc_type, sub_type in SEED_ACCOUNTS:
            self._seed_insert("Account", acc_id, {
                "Name": name, "FullyQualifiedName": name, "SubAccount": False, "Active": True,
                "Classification": _CLASSIFICATION[acc_type], "AccountType": acc_type,
                "AccountSubType": sub_type, "CurrentBalance": Decimal(0),
                "CurrentBalanceWithSubAccounts": Decimal(0),
                "CurrencyRef": {"value": self.home_currency, "name": self.home_currency_name},
            })
        for code_id, name, rate_id, rate in SEED_TAX_CODES:
            self._seed_insert("TaxRate", rate_id, {
                "Name": f"{name} (vente)", "Description": name, "Active": True, "RateValue": rate,
                "AgencyRef": {"value": "1"}, "SpecialTaxType": "NONE",
                "DisplayType": "ReadOnly",
            })
            self._seed_insert("TaxCode", code_id, {
                "Name": name, "Description": name, "Active": True, "Hidden": False,
                "Taxable": rate > 0, "TaxGroup": False,
                "SalesTaxRateList": {"TaxRateDetail": [{
                    "TaxRateRef": {"value": rate_id, "name": f"{name} (vente)"},
                    "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0,
                }]},
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            })
        for item_id, name in (("20", "Shipping"), ("21", "Adjustment")):
            self._seed_insert("Item", item_id, {
                "Name": name, "FullyQualifiedName": name, "Active": True, "Type": "Service",
                "Taxable": False, "UnitPrice": Decimal(0),
                "IncomeAccountRef": {"value": "1", "name": "Services"},
                "TrackQtyOnHand": False, "SubItem": False,
            })
        self._seed_insert("Vendor", "56", {
            "DisplayName": "Transports Dupont", "CompanyName": "Transports Dupont SARL",
            "PrintOnCheckName": "Transports Dupont SARL", "Active": True,
            "Balance": Decimal(0),
        })
        self._seed_insert("Employee", "55", {
            "DisplayName": "Camille Martin", "GivenName": "Camille", "FamilyName": "Martin",
            "PrintOnCheckName": "Camille Martin", "Active": True,
        })
        self._seed_insert("CompanyInfo", "1", {
            "CompanyName": "Démo Fulfillment SARL", "LegalName": "Démo Fulfillment SARL",
            "CompanyAddr": {"Id": "1", "Line1": "12 rue de la Paix", "City": "Paris",
                            "PostalCode": "75002", "Country": self.country},
            "Country": self.country, "SupportedLanguages": "fr",
            "DefaultTimeZone": "Europe/Paris", "FiscalYearStartMonth": "January",
            "CompanyStartDate": "2024-01-01",
            "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
        })
        self._seed_insert("Preferences", "1", {
            "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True,
                                        "QuantityWithPriceAndRate": True,
                                        "QuantityOnHand": True},
            "SalesFormsPrefs": {"CustomTxnNumbers": True, "AllowDiscount": True,
                                "AllowShipping": False, "AllowDeposit": False,
                                "ETransactionEnabledStatus": "NotApplicable"},
            "CurrencyPrefs": {"MultiCurrencyEnabled": self.multicurrency,
                              "HomeCurrency": {"value": self.home_currency}},
            "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True},
            "AccountingInfoPrefs": {"BookCloseDate": None, "TrackDepartments": False},
        })


def _id_key(object_id: str) -> tuple[int, str]:
    return (int(object_id), "") if object_id.isdigit() else (1 << 62, object_id)


class View:
    """What one operation may *see* of the company.

    Batch semantics: objects created earlier in the same batch are hidden from reads,
    queries, references and update targets (QBO: "an item cannot see objects created
    earlier in the same batch"), but uniqueness checks still see them (the database
    constraint is real, so a duplicate name inside one batch is refused).

    Args:
        company: The company.
        hidden: Ids created earlier in the current batch.
    """

    def __init__(self, company: Company, hidden: set[str] | None = None) -> None:
        self.company = company
        self.hidden: set[str] = hidden if hidden is not None else set()

    def get(self, entity: str, object_id: object) -> dict[str, Any] | None:
        """Return the visible record or None."""
        if str(object_id) in self.hidden:
            return None
        return self.company.get(entity, object_id)

    def all(self, entity: str) -> list[dict[str, Any]]:
        """Return the visible records of an entity."""
        return [r for r in self.company.all(entity) if r["Id"] not in self.hidden]

    def all_for_uniqueness(self, entities: Iterable[str]) -> Iterable[tuple[str, dict[str, Any]]]:
        """Yield (entity, record) of every record, hidden or not."""
        for entity in entities:
            for record in self.company.all(entity):
                yield entity, record

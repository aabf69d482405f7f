"""Company data: records per entity, Ids, SyncTokens, MetaData and the seed fixtures.

Why: one place owns the company's state so that create/update/query/batch all see the
same data under one lock, and so that batch "snapshot" visibility is easy to express.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .balances import customer_deltas
from .entities import NAME_LIST_ENTITIES
from .faults import qbo_time
from .indexes import QUERY_INDEXED_FIELDS, FieldIndex, UniqueIndex
from .localization import LANGUAGES, default_language
from .query_cache import QueryCache

#: The company's time zone per country (guess for multi-zone countries: Intuit's sandbox
#: companies are US Pacific). QuickBooks dates transactions by this calendar.
COUNTRY_ZONES = {"FR": "Europe/Paris", "US": "America/Los_Angeles", "GB": "Europe/London",
                 "CA": "America/Toronto"}
HOME_CURRENCY = {"FR": ("EUR", "Euro"), "US": ("USD", "United States Dollar"),
                 "GB": ("GBP", "British Pound Sterling"), "CA": ("CAD", "Canadian Dollar")}

SEED_ACCOUNTS = (
    ("79", "Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("1", "Services", "Income", "ServiceFeeIncome"),
    ("80", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("81", "Inventory Asset", "Other Current Asset", "Inventory"),
    ("86", "Discounts given", "Income", "DiscountsRefundsGiven"),
    ("35", "Checking", "Bank", "Checking"),
    # Intuit creates it in every company; Payments land there by default (README).
    ("90", "Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
)
#: Payment methods of a new company (Intuit's sandbox lists Cash, Check, Credit Card...;
#: a guess for a French company, README).
SEED_PAYMENT_METHODS = (("91", "Cash", "NON_CREDIT_CARD"), ("92", "Check", "NON_CREDIT_CARD"),
                        ("93", "Credit Card", "CREDIT_CARD"))
# (TaxCode Id, name, TaxRate Id, rate)
SEED_TAX_CODES = (
    ("3", "TVA 20%", "13", Decimal(20)),
    ("4", "TVA 10%", "14", Decimal(10)),
    ("5", "TVA 5,5%", "15", Decimal("5.5")),
    ("6", "TVA 0%", "16", Decimal(0)),
)
_CLASSIFICATION = {"Income": "Revenue", "Cost of Goods Sold": "Expense",
                   "Other Current Asset": "Asset", "Bank": "Asset"}


def tombstone(object_id: str) -> dict[str, Any]:
    """What change data capture lists for a deleted object: Id, ``status: Deleted``, when.

    The shape of Intuit's ``ChangeDataCapture`` reference sample (see ``cdc.py``).
    """
    return {"Id": object_id, "status": "Deleted", "domain": "QBO",
            "MetaData": {"LastUpdatedTime": qbo_time(with_millis=False)}}


class Company:
    """All records of one QBO company (realm), guarded by one re-entrant lock.

    Records change only through :meth:`insert`, :meth:`replace`, :meth:`delete` and
    :meth:`import_records` (stored dicts are never edited in place): those keep the lookup
    indexes (:mod:`quickbooks_emulator.indexes`) and the Id order in step with the data.

    Args:
        realm_id: Company id.
        country: Two-letter country; non-US companies require tax codes on lines.
        language: Language of Fault texts (``en``/``fr``); None: the country's (French
            for FR, see :mod:`quickbooks_emulator.localization`).
        multicurrency: Whether multicurrency is on (Preferences.CurrencyPrefs).
        bare: Seed only what Intuit creates for a new company: accounts, tax codes,
            CompanyInfo and Preferences (with ``SalesFormsPrefs.DefaultDiscountAccount``,
            the "Discounts given" account, as Intuit's Preferences carry it), no items,
            vendor or employee.
    """

    def __init__(self, realm_id: str, country: str = "FR", language: str | None = None,
                 multicurrency: bool = False, *, bare: bool = False) -> None:
        self.realm_id = realm_id
        #: A company as Intuit creates it (see :meth:`_seed`), not the demo's.
        self.bare = bare
        self.country = country.upper()
        self.language = language or default_language(self.country)
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language}")
        currency = HOME_CURRENCY.get(self.country, ("EUR", "Euro"))
        self.home_currency: str = currency[0]
        self.home_currency_name: str = currency[1]
        self.multicurrency = multicurrency
        self.timezone_name = COUNTRY_ZONES.get(self.country, "UTC")
        #: "Now" (UTC); tests replace it to pin the day.
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
        self.lock = threading.RLock()
        self.records: dict[str, dict[str, dict[str, Any]]] = {}
        self._next_id = 100
        self._next_address_id = 0
        self._order: dict[str, list[str] | None] = {}  # entity -> Ids sorted, None: stale
        self._field_indexes: dict[str, dict[str, FieldIndex]] = {}
        self._name_indexes: dict[str, UniqueIndex] = {}
        self._doc_indexes: dict[str, UniqueIndex] = {}
        #: entity -> Id -> what change data capture lists for a deleted object.
        self._tombstones: dict[str, dict[str, dict[str, Any]]] = {}
        #: Rows of recent query statements, dropped at every change (paging reads them once).
        self.query_cache = QueryCache()
        self._seed()

    def today(self) -> str:
        """Today in the company's time zone (``YYYY-MM-DD``): the default ``TxnDate``."""
        return self.clock().astimezone(ZoneInfo(self.timezone_name)).date().isoformat()

    # -- basic record access -------------------------------------------------------
    def table(self, entity: str) -> dict[str, dict[str, Any]]:
        """Return the (live) id → record mapping of an entity."""
        return self.records.setdefault(entity, {})

    def get(self, entity: str, object_id: object) -> dict[str, Any] | None:
        """Return the live record or None."""
        return self.table(entity).get(str(object_id))

    def all(self, entity: str) -> list[dict[str, Any]]:
        """Return the live records of an entity, by numeric Id."""
        table = self.table(entity)
        return [table[object_id] for object_id in self.ordered_ids(entity)]

    def ordered_ids(self, entity: str) -> list[str]:
        """Return the Ids of an entity by numeric Id (cached; appends keep it sorted)."""
        order = self._order.get(entity)
        if order is None:
            order = sorted(self.table(entity), key=_id_key)
            self._order[entity] = order
        return order

    # -- indexes -------------------------------------------------------------------
    def field_candidates(self, entity: str, field: str, values: Iterable[str]
                         ) -> set[str] | None:
        """Ids that may satisfy ``field = v`` for some v (None: the field has no index).

        An over-approximation of the query's equality (see :class:`FieldIndex`): the
        caller re-checks each candidate.
        """
        index = self._field_index(entity).get(field.lower())
        return None if index is None else index.candidates(values)

    def name_owners(self, entities: Iterable[str], name: str) -> list[tuple[str, str]]:
        """(entity, Id) of every record whose unique name equals ``name``.

        The rule of duplicate-name faults: Item ``Name`` or ``DisplayName`` (Customer,
        Vendor, Employee) compared ``strip().casefold()``, inactive and batch-hidden
        records included. Ordered by ``entities`` then numeric Id, as a scan would be.
        """
        found: list[tuple[str, str]] = []
        for entity in entities:
            ids = self._unique_index(self._name_indexes, entity).owners(name)
            found.extend((entity, object_id) for object_id in sorted(ids, key=_id_key))
        return found

    def doc_number_owners(self, entity: str, doc_number: str) -> list[str]:
        """Ids of the ``entity`` records whose DocNumber is exactly ``doc_number``."""
        ids = self._unique_index(self._doc_indexes, entity).owners(doc_number)
        return sorted(ids, key=_id_key)

    def _field_index(self, entity: str) -> dict[str, FieldIndex]:
        indexes = self._field_indexes.get(entity)
        if indexes is None:
            indexes = {name: FieldIndex(name) for name in QUERY_INDEXED_FIELDS}
            for record in self.table(entity).values():
                for index in indexes.values():
                    index.add(record)
            self._field_indexes[entity] = indexes
        return indexes

    def _unique_index(self, kind: dict[str, UniqueIndex], entity: str) -> UniqueIndex:
        index = kind.get(entity)
        if index is None:
            if kind is self._doc_indexes:
                index = UniqueIndex("DocNumber", normalise_name=False)
            else:
                field = "DisplayName" if entity in NAME_LIST_ENTITIES else "Name"
                index = UniqueIndex(field, normalise_name=True)
            for record in self.table(entity).values():
                index.add(record)
            kind[entity] = index
        return index

    def _indexes_of(self, entity: str) -> list[FieldIndex | UniqueIndex]:
        """The built indexes of an entity (an index is built on first use, then kept)."""
        found: list[FieldIndex | UniqueIndex] = list(self._field_indexes.get(entity, {}).values())
        for kind in (self._name_indexes, self._doc_indexes):
            if entity in kind:
                found.append(kind[entity])
        return found

    def _store(self, entity: str, record: dict[str, Any]) -> None:
        """Put a record in its table, replacing any with its Id, and update the indexes."""
        table = self.table(entity)
        old = table.get(record["Id"])
        self.query_cache.changed()
        for index in self._indexes_of(entity):
            if old is not None:
                index.remove(old)
            index.add(record)
        table[record["Id"]] = record
        self._move_balances(entity, old, record)
        if old is None:
            order = self._order.get(entity)
            if order is not None and order and _id_key(order[-1]) >= _id_key(record["Id"]):
                self._order[entity] = None  # out-of-sequence Id (seed/forced): re-sort later
            elif order is not None:
                order.append(record["Id"])

    def _move_balances(self, entity: str, old: dict[str, Any] | None,
                       new: dict[str, Any] | None) -> None:
        """Keep each Customer's computed ``Balance`` in step (:mod:`.balances`).

        Stored in place of the customer's record without a new SyncToken: a figure
        QuickBooks computes, not a change of the customer (a guess, README).
        """
        for customer_id, delta in customer_deltas(entity, old, new).items():
            customer = self.table("Customer").get(customer_id)
            if customer is not None:
                balance = Decimal(str(customer.get("Balance") or 0)) + delta
                self.table("Customer")[customer_id] = {
                    **customer, "Balance": balance, "BalanceWithJobs": balance}

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
            self._store(entity, record)
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
            self._store(entity, record)
            return record

    def delete(self, entity: str, object_id: str) -> None:
        """Remove a record (transactions only)."""
        with self.lock:
            old = self.table(entity).pop(object_id, None)
            if old is None:
                return
            self.query_cache.changed()
            for index in self._indexes_of(entity):
                index.remove(old)
            self._move_balances(entity, old, None)
            order = self._order.get(entity)
            if order is not None:
                order.remove(object_id)
            self._tombstones.setdefault(entity, {})[object_id] = tombstone(object_id)

    def tombstones(self, entity: str) -> list[dict[str, Any]]:
        """The deleted objects of an entity, as change data capture lists them."""
        return list(self._tombstones.get(entity, {}).values())

    def export_records(self) -> dict[str, Any]:
        """Deep copy of every record plus the Id sequence (for ``--state-file``)."""
        with self.lock:
            return {"records": copy.deepcopy(self.records), "next_id": self._next_id,
                    "tombstones": copy.deepcopy(self._tombstones)}

    def import_records(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`export_records` returned."""
        with self.lock:
            self.records = state["records"]
            self._next_id = int(state["next_id"])
            self._tombstones = state.get("tombstones") or {}
            self.query_cache.changed()
            self._order.clear()  # indexes and order are rebuilt on first use
            self._field_indexes.clear()
            self._name_indexes.clear()
            self._doc_indexes.clear()

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
        for method_id, name, kind in SEED_PAYMENT_METHODS:
            self._seed_insert("PaymentMethod", method_id,
                              {"Name": name, "Active": True, "Type": kind})
        for item_id, name in () if self.bare else (("20", "Shipping"), ("21", "Adjustment")):
            self._seed_insert("Item", item_id, {
                "Name": name, "FullyQualifiedName": name, "Active": True, "Type": "Service",
                "Taxable": False, "UnitPrice": Decimal(0),
                "IncomeAccountRef": {"value": "1", "name": "Services"},
                "TrackQtyOnHand": False, "SubItem": False,
            })
        if not self.bare:
            self._seed_people()
        self._seed_company()

    def _seed_people(self) -> None:
        self._seed_insert("Vendor", "56", {
            "DisplayName": "Transports Dupont", "CompanyName": "Transports Dupont SARL",
            "PrintOnCheckName": "Transports Dupont SARL", "Active": True,
            "Balance": Decimal(0),
        })
        self._seed_insert("Employee", "55", {
            "DisplayName": "Camille Martin", "GivenName": "Camille", "FamilyName": "Martin",
            "PrintOnCheckName": "Camille Martin", "Active": True,
        })

    def _seed_company(self) -> None:
        sales_forms: dict[str, Any] = {"CustomTxnNumbers": True, "AllowDiscount": True,
                                       "AllowShipping": False, "AllowDeposit": False,
                                       "ETransactionEnabledStatus": "NotApplicable"}
        if self.bare:
            # Intuit's Preferences name the default discount account by Id (XML
            # <DefaultDiscountAccount>86</...> in Intuit forum payloads); the demo
            # company keeps its historical Preferences.
            sales_forms["DefaultDiscountAccount"] = "86"
        self._seed_insert("CompanyInfo", "1", {
            "CompanyName": "Démo Fulfillment SARL", "LegalName": "Démo Fulfillment SARL",
            "CompanyAddr": {"Id": "1", "Line1": "12 rue de la Paix", "City": "Paris",
                            "PostalCode": "75002", "Country": self.country},
            "Country": self.country, "SupportedLanguages": "fr",
            "DefaultTimeZone": self.timezone_name, "FiscalYearStartMonth": "January",
            "CompanyStartDate": "2024-01-01",
            "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
        })
        self._seed_insert("Preferences", "1", {
            "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True,
                                        "QuantityWithPriceAndRate": True,
                                        "QuantityOnHand": True},
            "SalesFormsPrefs": sales_forms,
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
    constraint is real, so a duplicate name inside one batch is refused): those go to the
    company's indexes directly (:meth:`Company.name_owners`, :meth:`Company.doc_number_owners`).

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

    def by_ids(self, entity: str, ids: Iterable[str]) -> list[dict[str, Any]]:
        """Return the visible records among ``ids``, by numeric Id (like :meth:`all`)."""
        table = self.company.table(entity)
        visible = [i for i in ids if i not in self.hidden and i in table]
        return [table[i] for i in sorted(visible, key=_id_key)]

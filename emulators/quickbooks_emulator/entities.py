"""Which entities exist, their URL names and the properties QBO knows for each.

Why: QBO refuses unknown properties (2010) and queries on unknown properties (4001).
Keeping the vocabulary in one table lets validation and the query engine share it.
"""

from __future__ import annotations

from dataclasses import dataclass

_COMMON = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})

ADDRESS_FIELDS = frozenset({
    "Id", "Line1", "Line2", "Line3", "Line4", "Line5", "City", "CountrySubDivisionCode",
    "PostalCode", "Country", "Lat", "Long", "CountryCode", "County", "Note",
})
REF_FIELDS = frozenset({"value", "name", "type"})

ITEM_FIELDS = _COMMON | {
    "Name", "Sku", "Description", "Active", "SubItem", "ParentRef", "Level",
    "FullyQualifiedName", "Taxable", "SalesTaxIncluded", "UnitPrice", "RatePercent", "Type",
    "IncomeAccountRef", "PurchaseDesc", "PurchaseTaxIncluded", "PurchaseCost",
    "ExpenseAccountRef", "AssetAccountRef", "TrackQtyOnHand", "QtyOnHand", "InvStartDate",
    "SalesTaxCodeRef", "PurchaseTaxCodeRef", "ReorderPoint", "PrefVendorRef", "ClassRef",
    "TaxClassificationRef", "Source", "ItemCategoryType", "AbatementRate", "ReverseChargeRate",
    "ServiceType", "UQCId", "UQCDisplayText", "QtyOnPurchaseOrder", "QtyOnSalesOrder",
}

_NAME_LIST = {
    "DisplayName", "Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "CompanyName",
    "PrintOnCheckName", "Active", "PrimaryEmailAddr", "PrimaryPhone", "Mobile",
    "AlternatePhone", "Fax", "WebAddr", "BillAddr", "ShipAddr", "Notes", "Balance",
    "CurrencyRef", "OtherAddr", "PrimaryTaxIdentifier", "SecondaryTaxIdentifier",
}
CUSTOMER_FIELDS = _COMMON | _NAME_LIST | {
    "Taxable", "Job", "BillWithParent", "ParentRef", "Level", "FullyQualifiedName",
    "SalesTermRef", "PaymentMethodRef", "OpenBalanceDate", "BalanceWithJobs",
    "PreferredDeliveryMethod", "ResaleNum", "DefaultTaxCodeRef", "TaxExemptionReasonId",
    "BusinessNumber", "GSTIN", "GSTRegistrationType", "IsProject", "ARAccountRef",
    "ClientEntityId", "CustomerTypeRef", "TaxRegimeId", "Source",
}
VENDOR_FIELDS = _COMMON | _NAME_LIST | {
    "Vendor1099", "AcctNum", "TermRef", "APAccountRef", "TaxIdentifier", "BillRate",
}
EMPLOYEE_FIELDS = _COMMON | _NAME_LIST | {
    "EmployeeNumber", "SSN", "BillableTime", "BillRate", "BirthDate", "Gender", "HiredDate",
    "ReleasedDate", "Organization",
}

SALES_TXN_FIELDS = _COMMON | {
    "DocNumber", "TxnDate", "PrivateNote", "CustomerMemo", "CustomerRef", "Line",
    "TxnTaxDetail", "CurrencyRef", "ExchangeRate", "BillAddr", "ShipAddr", "ShipFromAddr",
    "BillEmail", "BillEmailCc", "BillEmailBcc", "SalesTermRef", "DueDate", "ShipDate",
    "TrackingNum", "ShipMethodRef", "ClassRef", "DepartmentRef", "ApplyTaxAfterDiscount",
    "PrintStatus", "EmailStatus", "Deposit", "DepositToAccountRef",
    "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment", "AllowIPNPayment",
    "AllowOnlinePayment", "GlobalTaxCalculation", "TotalAmt", "Balance", "HomeTotalAmt",
    "HomeBalance", "CustomField", "LinkedTxn", "TransactionLocationType", "TxnSource",
    "PaymentMethodRef", "PaymentRefNum", "RemainingCredit", "FreeFormAddress",
    "TaxExemptionRef", "DeliveryInfo", "RecurDataRef", "ProjectRef", "InvoiceLink",
    "ItemRef", "TxnStatus",
}
#: A RefundReceipt is a sales document plus how the money went back (python-quickbooks'
#: RefundReceipt object: ``PaymentType``, ``CheckPayment``, ``CreditCardPayment``).
REFUND_RECEIPT_FIELDS = SALES_TXN_FIELDS | {"PaymentType", "CheckPayment", "CreditCardPayment"}
LINE_FIELDS = frozenset({
    "Id", "LineNum", "Description", "Amount", "DetailType", "SalesItemLineDetail",
    "DiscountLineDetail", "SubTotalLineDetail", "DescriptionLineDetail", "GroupLineDetail",
    "LinkedTxn", "ProjectRef",
})
SALES_ITEM_LINE_FIELDS = frozenset({
    "ItemRef", "ClassRef", "UnitPrice", "RatePercent", "PriceLevelRef", "MarkupInfo", "Qty",
    "ItemAccountRef", "TaxCodeRef", "ServiceDate", "TaxInclusiveAmt", "DiscountRate",
    "DiscountAmt", "TaxClassificationRef",
})
DISCOUNT_LINE_FIELDS = frozenset({
    "PercentBased", "DiscountPercent", "DiscountAccountRef", "ClassRef", "TaxCodeRef",
})
TXN_TAX_FIELDS = frozenset({"TxnTaxCodeRef", "TotalTax", "TaxLine"})

ACCOUNT_FIELDS = _COMMON | {
    "Name", "SubAccount", "ParentRef", "FullyQualifiedName", "Active", "Classification",
    "AccountType", "AccountSubType", "AcctNum", "Description", "CurrentBalance",
    "CurrentBalanceWithSubAccounts", "CurrencyRef", "TaxCodeRef",
}
TAXCODE_FIELDS = _COMMON | {
    "Name", "Description", "Active", "Hidden", "Taxable", "TaxGroup", "SalesTaxRateList",
    "PurchaseTaxRateList", "TaxCodeConfigType",
}
TAXRATE_FIELDS = _COMMON | {
    "Name", "Description", "Active", "RateValue", "AgencyRef", "TaxReturnLineRef",
    "SpecialTaxType", "DisplayType", "EffectiveTaxRate",
}
COMPANYINFO_FIELDS = _COMMON | {
    "CompanyName", "LegalName", "CompanyAddr", "CustomerCommunicationAddr", "LegalAddr",
    "PrimaryPhone", "CompanyStartDate", "FiscalYearStartMonth", "Country",
    "SupportedLanguages", "DefaultTimeZone", "Email", "WebAddr", "NameValue",
}
PREFERENCES_FIELDS = _COMMON | {
    "AccountingInfoPrefs", "ProductAndServicesPrefs", "SalesFormsPrefs", "VendorAndPurchasesPrefs",
    "TimeTrackingPrefs", "TaxPrefs", "CurrencyPrefs", "ReportPrefs", "OtherPrefs",
    "EmailMessagesPrefs",
}
PAYMENT_FIELDS = _COMMON | {
    "TotalAmt", "CustomerRef", "CurrencyRef", "ExchangeRate", "PrivateNote",
    "PaymentMethodRef", "UnappliedAmt", "DepositToAccountRef", "Line", "TxnSource",
    "ARAccountRef", "TxnDate", "CreditCardPayment", "TransactionLocationType",
    "PaymentRefNum", "TaxExemptionRef", "ProcessPayment", "ProjectRef", "TxnStatus",
    "HomeTotalAmt",
}
PAYMENTMETHOD_FIELDS = _COMMON | {"Name", "Active", "Type"}


@dataclass(frozen=True)
class EntitySpec:
    """One QBO entity.

    Attributes:
        name: Entity name as in bodies and queries (``Item``).
        path: Lower-case URL segment (``item``).
        fields: Top-level properties QBO knows.
        writable: Whether the emulator accepts creates/updates through the API.
        has_active: Whether the entity carries ``Active`` (queries hide inactive ones).
        deletable: Whether ``operation=delete`` is allowed (transactions only).
    """

    name: str
    path: str
    fields: frozenset[str]
    writable: bool = False
    has_active: bool = True
    deletable: bool = False


SPECS: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec("Item", "item", ITEM_FIELDS, writable=True),
        EntitySpec("Customer", "customer", CUSTOMER_FIELDS, writable=True),
        EntitySpec("Invoice", "invoice", SALES_TXN_FIELDS, writable=True, has_active=False,
                   deletable=True),
        EntitySpec("CreditMemo", "creditmemo", SALES_TXN_FIELDS, writable=True,
                   has_active=False, deletable=True),
        EntitySpec("RefundReceipt", "refundreceipt", REFUND_RECEIPT_FIELDS, writable=True,
                   has_active=False, deletable=True),
        EntitySpec("Payment", "payment", PAYMENT_FIELDS, writable=True, has_active=False,
                   deletable=True),
        EntitySpec("PaymentMethod", "paymentmethod", PAYMENTMETHOD_FIELDS, writable=True),
        EntitySpec("Vendor", "vendor", VENDOR_FIELDS),
        EntitySpec("Employee", "employee", EMPLOYEE_FIELDS),
        EntitySpec("Account", "account", ACCOUNT_FIELDS),
        EntitySpec("TaxCode", "taxcode", TAXCODE_FIELDS),
        EntitySpec("TaxRate", "taxrate", TAXRATE_FIELDS),
        EntitySpec("CompanyInfo", "companyinfo", COMPANYINFO_FIELDS, has_active=False),
        EntitySpec("Preferences", "preferences", PREFERENCES_FIELDS, has_active=False),
    )
}
BY_PATH: dict[str, EntitySpec] = {spec.path: spec for spec in SPECS.values()}
BY_LOWER_NAME: dict[str, EntitySpec] = {spec.name.lower(): spec for spec in SPECS.values()}
# Names that must be unique across these entity types (DisplayName, error 6240).
NAME_LIST_ENTITIES = ("Customer", "Vendor", "Employee")


def spec_for(name: str) -> EntitySpec:
    """Return the spec of an entity by name, case-insensitively.

    Raises:
        KeyError: unknown entity.
    """
    return BY_LOWER_NAME[name.lower()]

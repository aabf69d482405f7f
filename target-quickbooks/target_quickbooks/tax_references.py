"""Tax codes from the settings, their sales rates, and the company's time zone.

Why a module of its own: a tax code mapped to the wrong rate books VAT at the
wrong percent, so the check that each ``tax_code_map`` entry's code has the
rate it is mapped from lives beside the lookups it relies on. The time zone is
here as the other per-company fact documents need (``TxnDate``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from target_quickbooks.company_time import CompanyZone, UnknownTimeZone, company_zone
from target_quickbooks.mappers.money import rate_key
from target_quickbooks.mappers.vat import SalesRate
from target_quickbooks.reference_lookup import ConfigurationError, ReferenceLookup, entity_ref
from target_quickbooks.settings import tax_code_table

__all__ = ["TaxReferences"]


class TaxReferences(ReferenceLookup):
    """Resolves ``tax_code``, ``tax_code_map`` and ``timezone``."""

    def _named(self, entity: str, setting: str, value: str) -> dict[str, str]:
        key = (entity, str(value))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            found = self._find(entity, str(value))
            if found is None:
                raise ConfigurationError(
                    f"Setting `{setting}` = {value!r}: no QuickBooks {entity} has this Id or "
                    f"Name. Create it in QuickBooks or change the setting."
                )
            self._cache[key] = entity_ref(found)
            return self._cache[key]

    def default_tax_code(self) -> dict[str, str] | None:
        """The ``tax_code`` reference, or None when the setting is empty."""
        value = self.config.get("tax_code")
        return self._named("TaxCode", "tax_code", value) if value else None

    def tax_code_for_rates(self, rates: Iterable[str]) -> dict[str, dict[str, str]]:
        """``tax_code_map`` references of the given rate keys (``"20"``, ``"5.5"``)."""
        table = tax_code_table(self.config)
        return {
            rate: self._named("TaxCode", f"tax_code_map[{rate!r}]", table[rate])
            for rate in set(rates) if rate in table
        }

    def sales_rates(self) -> dict[str, SalesRate]:
        """TaxCode Id → its one sales rate, for each configured code; read once per run.

        The configured codes are ``tax_code`` and the ``tax_code_map`` entries.

        Codes without a sales rate list (US companies) are left out, and so are codes
        with several rates (their VAT cannot be stated per rate; a document that uses
        one is refused by the mapper). Empty when no code has rates: then documents
        carry ``TotalTax`` only.

        Raises:
            ConfigurationError: a ``tax_code_map`` entry's code has a sales rate of
                another percent (``"5.5"`` mapped to a 20 % code would book 5.5 % VAT
                amounts as 20 % VAT).
        """
        if self._sales_rates is not None:
            return self._sales_rates
        codes = self.tax_code_for_rates(tax_code_table(self.config))
        default = self.default_tax_code()
        wanted = [ref for ref in [*codes.values(), default] if ref]
        found: dict[str, SalesRate] = {}
        for ref in wanted:
            code = self._find("TaxCode", ref["value"]) or {}
            details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
            if len(details) != 1:
                continue
            rate_id = str((details[0].get("TaxRateRef") or {}).get("value") or "")
            rate = self._find("TaxRate", rate_id) if rate_id.isdigit() else None
            if rate is None or rate.get("RateValue") in (None, ""):
                continue
            found[ref["value"]] = SalesRate(entity_ref(rate), Decimal(str(rate["RateValue"])))
        for key, ref in codes.items():
            sales_rate = found.get(ref["value"])
            if sales_rate is not None and rate_key(sales_rate.percent) != key:
                raise ConfigurationError(
                    f"Setting `tax_code_map[{key!r}]` = TaxCode Id {ref['value']} "
                    f"'{ref.get('name', '')}', whose sales rate is {rate_key(sales_rate.percent)} "
                    f"%, not {key} %. Map {key} to the tax code of that rate."
                )
        self._sales_rates = found
        return found

    def timezone(self) -> CompanyZone:
        """The company's time zone: the ``timezone`` setting, else derived from CompanyInfo.

        Deriving costs one query, once per run, only when the setting is empty.

        Raises:
            ConfigurationError: ``timezone`` is not an IANA zone name.
        """
        with self._lock:
            if self._zone is None:
                setting = self.config.get("timezone")
                try:
                    if setting:
                        self._zone = company_zone(setting, None)
                    else:
                        rows = self.client.query("SELECT * FROM CompanyInfo")
                        self._zone = company_zone(None, rows[0] if rows else None)
                except UnknownTimeZone as exc:
                    raise ConfigurationError(str(exc)) from None
            return self._zone

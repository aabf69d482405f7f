"""The fix hints key on codes and schema names, never on the Fault's (translated) text."""

from __future__ import annotations

from target_quickbooks.qbo.errors import FaultError, QuickBooksFault
from target_quickbooks.writer.hints import (
    CURRENCY_HINT,
    DEFAULT_FAULT_HINT,
    FIX_HINTS,
    fault_hint,
)


def _fault(code: str, message: str, detail: str, element: str | None = None
           ) -> QuickBooksFault:
    return QuickBooksFault(status=400, fault_type="ValidationFault",
                           errors=[FaultError(code, message, detail, element)])


def test_currency_hint_in_a_french_company() -> None:
    fault = _fault("6000", "Une erreur de validation métier s'est produite",
                   "Erreur de validation métier : la devise USD n'est pas celle du client",
                   "CurrencyRef")
    assert fault_hint(fault) == CURRENCY_HINT


def test_english_text_alone_does_not_choose_the_hint() -> None:
    # "currency" in a Detail without the CurrencyRef element is some other business rule.
    fault = _fault("6000", "A business validation error has occurred",
                   "Business Validation Error: the currency exchange rate date is closed")
    assert fault_hint(fault) == FIX_HINTS["6000"]


def test_french_duplicate_name_gets_the_6240_hint() -> None:
    fault = _fault("6240", "Nom en double", "Ce nom existe déjà. : Id=425")
    assert fault_hint(fault) == FIX_HINTS["6240"]
    assert fault_hint(_fault("9999", "Inconnu", "")) == DEFAULT_FAULT_HINT

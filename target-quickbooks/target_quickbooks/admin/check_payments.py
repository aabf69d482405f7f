"""The checks ``check`` runs for payments: the deposit account and the payment methods.

Like :mod:`target_quickbooks.admin.check_rules`: ``FAIL`` is what a run would stop on.
"""

from __future__ import annotations

from target_quickbooks.accounts import ConfigurationError, References
from target_quickbooks.admin.check_rules import Line
from target_quickbooks.payment_refs import PaymentReferences
from target_quickbooks.qbo import QuickBooksError


def deposit_account(references: References) -> list[Line]:
    """The account payments are deposited to, of a type QuickBooks accepts."""
    source = "setting" if references.config.get("deposit_account") else (
        "default: the company's Undeposited Funds")
    try:
        ref = PaymentReferences(references).deposit_account()
    except (ConfigurationError, QuickBooksError) as exc:
        return [("FAIL", "deposit_account", str(exc))]
    return [("OK", "deposit_account", f"Id {ref['value']} {ref['name']} ({source})")]


def payment_methods(references: References) -> list[Line]:
    """``payment_method`` and each ``payment_method_map`` name: found, or created on first use."""
    config = references.config
    names = {"payment_method": str(config.get("payment_method") or "").strip()}
    table = config.get("payment_method_map") or {}
    if isinstance(table, dict):
        names.update({f"payment_method_map[{code!r}]": str(name).strip()
                      for code, name in sorted(table.items())})
    if not any(names.values()):
        return [("INFO", "payment_method", "not set: payments carry no payment method")]
    refs = PaymentReferences(references)
    lines: list[Line] = []
    for subject, name in names.items():
        if not name:
            continue
        try:
            found = refs.find_method(name)
            if found is not None:
                lines.append(("OK", subject, f"Id {found['value']} {found['name']}"))
                continue
            refs.creation_problem(name)
        except (ConfigurationError, QuickBooksError) as exc:
            lines.append(("FAIL", subject, str(exc)))
            continue
        lines.append(("OK", subject, f"{name!r} is not in QuickBooks: the first payment that "
                      "needs it creates it (`create_missing_items` false to opt out)"))
    return lines

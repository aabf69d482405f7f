"""Named starting data of the company, beyond the seed every company has.

``empty`` (the default): the seed only (accounts, tax codes, Shipping/Adjustment items,
a vendor and an employee). ``demo``: a company that already holds customers from an
earlier integration, one of which the accountant made inactive. That customer buys
again in the myFulfillment emulator's demo shop (``demo.INACTIVE_IN_QUICKBOOKS``,
customer #108), so its new invoices meet QuickBooks' refusal of a transaction for an
inactive customer (2500), as on a real company.
"""

from __future__ import annotations

from typing import Any

DATASETS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "empty": (),
    "demo": (
        ("Customer", {
            "DisplayName": "Éloïse Bernard (#108)", "GivenName": "Éloïse",
            "FamilyName": "Bernard", "PrimaryEmailAddr": {"Address": "eloise.bernard@example.fr"},
            "Active": False,
        }),
    ),
}


def dataset_records(name: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    """The records of the dataset ``name``.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown QuickBooks emulator dataset {name!r}: use one of "
                         f"{', '.join(sorted(DATASETS))}")
    return DATASETS[name]

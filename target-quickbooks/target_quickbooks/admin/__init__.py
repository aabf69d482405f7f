"""Operator commands: ``authorize``, ``check`` and ``report``.

They run outside a Singer pipeline (``meltano invoke target-quickbooks:<command>``
or ``target-quickbooks-admin <command>``), with the target's own settings.
"""

from __future__ import annotations

from target_quickbooks.admin.cli import main

__all__ = ["main"]

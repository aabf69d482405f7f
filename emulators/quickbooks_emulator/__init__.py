"""Strict offline emulator of QuickBooks Online (Accounting API v3 + Intuit OAuth 2.0).

Why: the connector must be proven against QBO's real refusals (duplicate names, stale
SyncTokens, unknown properties, VAT codes on lines, query grammar, batch and throttling
limits, rotating refresh tokens) without a network. Behaviour follows
``reference/quickbooks-online.md``; every choice where the reference is silent is
documented in the module that makes it.

Usage::

    with QuickBooksEmulator() as qbo:
        auth = AuthClient("demo-client-id", "demo-client-secret", redirect, qbo.discovery_url)
        ...
"""

from __future__ import annotations

from .emulator import QuickBooksEmulator
from .faults import QboFault

__all__ = ["QboFault", "QuickBooksEmulator"]

"""Offline emulator of the myFulfillment (Boostmyshop) REST API.

It follows ``reference/myfulfillment-api.md``: bearer-token login, paged collections
with string totals, ``filters[..]``/``sorts[..]``, HTTP 400 ``Too Many Attempts.``
rate limiting, and a deterministic French demo shop whose amounts reconcile.
"""

from __future__ import annotations

from myfulfillment_emulator.dataset import Dataset, load
from myfulfillment_emulator.server import MyFulfillmentEmulator
from myfulfillment_emulator.store import Store

__all__ = ["Dataset", "MyFulfillmentEmulator", "Store", "load"]

"""Singer tap for Boostmyshop myFulfillment: products, orders, customers and documents."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"

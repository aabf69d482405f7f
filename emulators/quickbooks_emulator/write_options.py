"""Request options that change how a write is validated.

Why a module of its own: the server reads them from the URL, the API passes them
through, and only the sales document rules use them; none of those should import
the others to share this one type.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WriteOptions"]


@dataclass(frozen=True)
class WriteOptions:
    """Request options that change validation (``include=allowduplicatedocnum``)."""

    allow_duplicate_docnum: bool = False

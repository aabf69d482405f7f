"""Names QuickBooks accepts: item Names, customer DisplayNames and DocNumbers.

Every function is deterministic: the same source record gives the same name on
every run, so the target finds its own entities again by natural key.
"""

from __future__ import annotations

import hashlib
import re

from target_quickbooks.mappers import MappingError

NAME_MAX = 100
DOC_NUMBER_MAX = 21
_DOC_PREFIX = 12
_SKU_SUFFIX_MAX = 30
_FORBIDDEN = re.compile(r"[:\t\r\n\v\f]")
_SPACES = re.compile(r"\s+")


def short_hash(text: str, length: int = 8) -> str:
    """First ``length`` hex digits of the SHA-1 of ``text`` (stable across runs)."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:length]


def clean_name(raw: object, *, field: str = "name", max_len: int = NAME_MAX) -> str:
    """Make a name QuickBooks accepts: no colon/tab/newline, single spaces, ≤ ``max_len``.

    A colon becomes ``-`` (QuickBooks uses it for sub-item paths); tabs and newlines
    become spaces; runs of whitespace collapse to one space.

    Raises:
        MappingError: when nothing printable is left.
    """
    text = "" if raw is None else str(raw)
    text = _FORBIDDEN.sub(lambda match: "-" if match.group() == ":" else " ", text)
    text = _SPACES.sub(" ", text).strip()
    text = text[:max_len].rstrip()
    if not text:
        raise MappingError(
            f"'{field}' is empty after cleaning ({raw!r}); give the record a name",
            field=field,
            hint=f"fill in '{field}' at the source",
        )
    return text


def sku_suffix(sku: str) -> str:
    """Suffix that makes a colliding item name unique: `` [SKU]``, or a hash of a long SKU."""
    label = sku if len(sku) <= _SKU_SUFFIX_MAX else short_hash(sku)
    return f" [{label}]"


def unique_item_name(name: str, sku: str) -> str:
    """``name`` with the SKU suffix, cut so that the result stays ≤ 100 characters."""
    suffix = sku_suffix(sku)
    return name[: NAME_MAX - len(suffix)].rstrip() + suffix


def display_name(
    *,
    firstname: object,
    lastname: object,
    company: object,
    discriminator: str,
) -> str:
    """``"<first> <last> (<discriminator>)"``, unique per customer and ≤ 100 characters.

    The person's name (or the company when there is none) is shortened first so that
    the discriminator, which carries the uniqueness, survives the cut.

    Raises:
        MappingError: when the record has neither a name nor a company.
    """
    parts = (str(part).strip() for part in (firstname, lastname) if part is not None)
    person = " ".join(part for part in parts if part)
    base = person or (str(company).strip() if company else "")
    if not base:
        raise MappingError(
            "customer has no firstname, lastname or company; one of them is required",
            field="firstname",
            hint="fill in the customer's name or company at the source",
        )
    tail = clean_name(f"({discriminator})", field="customer_key")
    room = NAME_MAX - len(tail) - 1
    if room <= 0:
        return tail[:NAME_MAX]
    head = clean_name(base, field="firstname", max_len=room)
    return f"{head} {tail}"


def doc_number(increment_id: object) -> tuple[str, str | None]:
    """DocNumber for a source number, and the PrivateNote carrying it when cut.

    Over 21 characters: the first 12 characters, ``~`` and 8 hex digits of the
    SHA-1 of the full number (21 characters), the full number in ``PrivateNote``.

    Raises:
        MappingError: when the number is missing.
    """
    number = "" if increment_id is None else str(increment_id).strip()
    if not number:
        raise MappingError("'increment_id' is missing: the document number is required",
                           field="increment_id",
                           hint="the source must give every document its number")
    if len(number) <= DOC_NUMBER_MAX:
        return number, None
    return f"{number[:_DOC_PREFIX]}~{short_hash(number)}", number

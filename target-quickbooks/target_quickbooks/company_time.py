"""The company's time zone: which day a source timestamp belongs to in the books.

QuickBooks dates a transaction (``TxnDate``) by the company's calendar, and VAT
periods follow it: a French invoice made at 00:30 on 1 April in Paris
(22:30 UTC on 31 March) belongs to April. The source sends UTC timestamps, so the
target needs the company's zone. It is the ``timezone`` setting when set; else it
is derived from ``CompanyInfo``:

1. the country, when the country has one zone (FR → Europe/Paris);
2. for a country with several zones (US, CA, AU, ...), the zone of that country
   whose UTC offset at that instant equals the offset QuickBooks' own timestamps
   carry (``MetaData.CreateTime``, e.g. ``2026-03-06T05:21:08-08:00``);
3. else that offset as a fixed zone; else UTC.

Each answer says where it came from, so ``check`` can show it and a user can set
``timezone`` when the guess is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Countries (ISO-2, as CompanyInfo.Country carries it) with a single civil time zone.
SINGLE_ZONE = {
    "FR": "Europe/Paris", "GB": "Europe/London", "IE": "Europe/Dublin",
    "BE": "Europe/Brussels", "LU": "Europe/Luxembourg", "DE": "Europe/Berlin",
    "ES": "Europe/Madrid", "IT": "Europe/Rome", "NL": "Europe/Amsterdam",
    "CH": "Europe/Zurich", "AT": "Europe/Vienna", "PT": "Europe/Lisbon",
    "IN": "Asia/Kolkata", "SG": "Asia/Singapore", "HK": "Asia/Hong_Kong",
    "MY": "Asia/Kuala_Lumpur", "PH": "Asia/Manila", "AE": "Asia/Dubai",
    "ZA": "Africa/Johannesburg", "NZ": "Pacific/Auckland",
}
#: Countries with several zones: the candidates, most populous first (ties go to it).
MULTI_ZONE = {
    "US": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
           "America/Phoenix", "America/Anchorage", "Pacific/Honolulu"),
    "CA": ("America/Toronto", "America/Vancouver", "America/Edmonton", "America/Winnipeg",
           "America/Regina", "America/Halifax", "America/St_Johns"),
    "AU": ("Australia/Sydney", "Australia/Brisbane", "Australia/Melbourne",
           "Australia/Perth", "Australia/Adelaide", "Australia/Darwin", "Australia/Hobart"),
}
_COUNTRY_NAMES = {"FRANCE": "FR", "UNITED KINGDOM": "GB", "UK": "GB", "USA": "US",
                  "UNITED STATES": "US", "CANADA": "CA", "AUSTRALIA": "AU"}


class UnknownTimeZone(ValueError):
    """The ``timezone`` setting is not an IANA zone name."""


@dataclass(frozen=True)
class CompanyZone:
    """A time zone and where it came from (shown by ``check``)."""

    tz: dt.tzinfo
    name: str
    source: str


def zone_named(name: str) -> dt.tzinfo:
    """The IANA zone ``name`` (``Europe/Paris``).

    Raises:
        UnknownTimeZone: not a zone name the time-zone database knows.
    """
    text = str(name).strip()
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: empty, absolute or ".." paths
        raise UnknownTimeZone(
            f"setting `timezone` = {name!r} is not an IANA time zone name; use a name like "
            "Europe/Paris or America/New_York (the company's time zone), or leave it unset to "
            "derive it from the company's country"
        ) from None


def company_zone(setting: object, company: Mapping[str, Any] | None) -> CompanyZone:
    """The time zone of the books: the ``timezone`` setting, else derived from ``company``.

    Args:
        setting: the ``timezone`` setting (None or blank: derive).
        company: QuickBooks' CompanyInfo (None when it could not be read).

    Raises:
        UnknownTimeZone: the setting is not a zone name.
    """
    if setting not in (None, ""):
        return CompanyZone(zone_named(str(setting)), str(setting).strip(), "setting `timezone`")
    company = company or {}
    address = company.get("CompanyAddr") if isinstance(company.get("CompanyAddr"), Mapping) else {}
    raw_country = str(company.get("Country") or (address or {}).get("Country") or "").strip()
    country = _COUNTRY_NAMES.get(raw_country.upper(), raw_country.upper())
    if country in SINGLE_ZONE:
        name = SINGLE_ZONE[country]
        return CompanyZone(ZoneInfo(name), name, f"company country {country}")
    stamp = _timestamp(company)
    if stamp is not None and country in MULTI_ZONE:
        for name in MULTI_ZONE[country]:
            if stamp.astimezone(ZoneInfo(name)).utcoffset() == stamp.utcoffset():
                return CompanyZone(ZoneInfo(name), name,
                                   f"company country {country} and the UTC offset "
                                   f"{stamp.isoformat()[19:]} of QuickBooks' timestamps")
    if stamp is not None and stamp.utcoffset() is not None:
        fixed = dt.timezone(stamp.utcoffset() or dt.timedelta(0))
        return CompanyZone(fixed, str(fixed), f"the UTC offset of QuickBooks' timestamps "
                                              f"(country {country or 'unknown'})")
    return CompanyZone(dt.timezone.utc, "UTC",
                       f"no setting and nothing to derive it from (country "
                       f"{country or 'unknown'}): set `timezone`")


def _timestamp(company: Mapping[str, Any]) -> dt.datetime | None:
    meta = company.get("MetaData")
    if not isinstance(meta, Mapping):
        return None
    for key in ("LastUpdatedTime", "CreateTime"):
        try:
            stamp = dt.datetime.fromisoformat(str(meta.get(key) or ""))
        except ValueError:
            continue
        if stamp.tzinfo is not None:
            return stamp
    return None

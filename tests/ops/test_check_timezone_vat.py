"""``check`` shows the company's time zone and checks the VAT rate of each mapped code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.admin import main

from tests.ops.test_admin_commands import _config


@pytest.fixture
def qbo() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator() as emu:
        yield emu


def _check(qbo: QuickBooksEmulator, tmp_path: Path, **overrides: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--config",
                                       str(_config(qbo, tmp_path, **overrides))])
    return result.exit_code, result.output


def _line(output: str, prefix: str) -> str:
    return next(x for x in output.splitlines() if x.startswith(prefix))


def test_check_shows_the_zone_derived_from_the_company_country(qbo, tmp_path):
    code, output = _check(qbo, tmp_path)
    assert code == 0, output
    assert "Europe/Paris (from company country FR)" in _line(output, "OK    timezone")
    rates = _line(output, "OK    tax_code_map VAT rates")
    assert "TaxCode 3 → TaxRate Id 13 (20 %)" in rates
    assert "TaxCode 5 → TaxRate Id 15 (5.5 %)" in rates


def test_check_shows_the_configured_zone(qbo, tmp_path):
    code, output = _check(qbo, tmp_path, timezone="America/Martinique")
    assert code == 0, output
    assert "America/Martinique (from setting `timezone`)" in _line(output, "OK    timezone")


def test_check_fails_on_an_unknown_zone_naming_the_setting(qbo, tmp_path):
    code, output = _check(qbo, tmp_path, timezone="Europe/Pariss")
    assert code == 1
    line = _line(output, "FAIL  timezone")
    assert "setting `timezone`" in line and "'Europe/Pariss'" in line and "IANA" in line


def test_check_fails_when_a_rate_is_mapped_to_the_code_of_another_rate(qbo, tmp_path):
    code, output = _check(qbo, tmp_path, tax_code_map={"20": "3", "5.5": "3"})
    assert code == 1
    line = _line(output, "FAIL  tax_code_map VAT rates")
    assert "tax_code_map['5.5']" in line and "20 %, not 5.5 %" in line

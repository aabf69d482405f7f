"""``check`` fails where a run would: typos, discount account, items, VAT rates, token life."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.admin import main
from target_quickbooks.admin.check import check
from target_quickbooks.qbo import TokenStore
from target_quickbooks.settings import CONFIG_SCHEMA
from target_quickbooks.state_check import Problems, StateDamagedError, validate_entry

from tests.ops.test_admin_commands import REALM, _config


# Tests that run check twice in a second: each run is its own client (own limiter).
@pytest.fixture
def qbo() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator(per_second=None) as emu:
        yield emu


@pytest.fixture
def bare() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator(bare=True, per_second=None) as emu:
        yield emu


def _cli(qbo: QuickBooksEmulator, tmp_path: Path, *extra: str, **overrides: Any
         ) -> tuple[int, str]:
    config = _config(qbo, tmp_path, **overrides)
    result = CliRunner().invoke(main, ["check", "--config", str(config), *extra])
    return result.exit_code, result.output


def _lines(output: str, prefix: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(prefix)]


def _state_file(tmp_path: Path, rates: list[str], realm: str = REALM) -> Path:
    path = tmp_path / "export-invoices.json"
    path.write_text(json.dumps({"singer_state": {"bookmarks": {"target-quickbooks": {
        "realm_id": realm, "v": 1, "rates_seen": rates}}}}))
    return path


def test_a_misspelt_setting_in_the_config_file_fails_with_the_closest_name(qbo, tmp_path):
    code, output = _cli(qbo, tmp_path, discount_acount="Discounts given")
    assert code == 1
    [line] = _lines(output, "FAIL  setting names")
    assert "`discount_acount` is not a target-quickbooks setting" in line
    assert "did you mean `discount_account`?" in line


def test_misspelt_settings_in_meltano_yml_are_found_in_feeds_and_environments(qbo, tmp_path):
    project = tmp_path / "meltano.yml"
    project.write_text("""
plugins:
  loaders:
  - name: target-quickbooks
    config: {shiping_item: Port}
  - name: target-quickbooks--create-products
    inherit_from: target-quickbooks
    config: {product_mode: create, tax_code_mapp: {}}
  - name: target-other
    config: {anything: 1}
environments:
- name: prod
  config:
    plugins:
      loaders:
      - name: target-quickbooks
        config: {realm_id: '1', timezon: Europe/Paris, _comment: x}
""")
    lines: list[str] = []
    problems = check(json.loads(_config(qbo, tmp_path).read_text()), echo=lines.append,
                     meltano_yml=project)
    fails = _lines("\n".join(lines), "FAIL  setting names")
    assert problems == 3
    assert any("plugins.loaders[target-quickbooks]: `shiping_item`" in x
               and "`shipping_item`" in x for x in fails)
    assert any("[target-quickbooks--create-products]: `tax_code_mapp`" in x for x in fails)
    assert any("environments[prod] plugins.loaders[target-quickbooks]: `timezon`" in x
               for x in fails)


def test_the_projects_own_meltano_yml_has_no_unknown_setting(qbo, tmp_path):
    code, output = _cli(qbo, tmp_path)
    assert code == 0, output
    assert not _lines(output, "FAIL")


def test_no_discount_account_and_no_company_default_fails(qbo, tmp_path):
    code, output = _cli(qbo, tmp_path, discount_account="")
    assert code == 1
    [line] = _lines(output, "FAIL  discount_account")
    assert "DefaultDiscountAccount" in line and "Discounts given" in line


def test_the_company_default_discount_account_passes(bare, tmp_path):
    code, output = _cli(bare, tmp_path, discount_account="")
    assert code == 0, output
    assert "OK    discount_account: Id 86 Discounts given (from company default" in output


def test_missing_items_are_announced_not_failed_and_fail_when_opted_out(bare, tmp_path):
    code, output = _cli(bare, tmp_path)
    assert code == 0, output
    assert "OK    adjustment_item: 'Adjustment' is not in QuickBooks" in output
    assert bare.entities("Item") == []  # check creates nothing
    code, output = _cli(bare, tmp_path, create_missing_items=False)
    assert code == 1
    assert len(_lines(output, "FAIL  shipping_item")) == 1
    assert len(_lines(output, "FAIL  adjustment_item")) == 1


def test_an_unmapped_rate_seen_in_state_fails_and_other_codes_are_information(qbo, tmp_path):
    state = _state_file(tmp_path, ["0", "20"])
    code, output = _cli(qbo, tmp_path, "--state-file", str(state))
    assert code == 1
    [line] = _lines(output, "FAIL  VAT rates seen")
    assert "documents carried 0 %" in line and '"0": "6"' in line
    info = _lines(output, "INFO  other VAT codes")
    assert len(info) == 1 and "TaxCode 4 'TVA 10%' (10 %)" in info[0]


def test_rates_of_another_company_are_not_held_against_this_one(qbo, tmp_path):
    state = _state_file(tmp_path, ["0"], realm="123")
    code, output = _cli(qbo, tmp_path, "--state-file", str(state))
    assert code == 0, output
    assert "INFO  VAT rates seen: none yet" in output


def test_all_rates_seen_mapped_passes(qbo, tmp_path):
    state = _state_file(tmp_path, ["5.5", "20"])
    code, output = _cli(qbo, tmp_path, "--state-file", str(state))
    assert code == 0, output
    assert "OK    VAT rates seen: 5.5, 20 %: each has a tax code" in output


def test_check_warns_when_the_authorization_ends_within_14_days(qbo, tmp_path):
    config = json.loads(_config(qbo, tmp_path).read_text())
    lines: list[str] = []
    assert check(config, echo=lines.append) == 0
    tokens = TokenStore(config["token_store_path"]).read(REALM)
    assert tokens is not None and tokens.refresh_hard_expires_at
    end = dt.datetime.fromtimestamp(tokens.refresh_hard_expires_at, dt.timezone.utc)
    assert any(x.startswith("OK    authorization: ends") for x in lines)

    lines.clear()
    problems = check(config, echo=lines.append, now=end - dt.timedelta(days=10))
    assert problems == 0  # a warning, not a failure: today's run still works
    [warn] = _lines("\n".join(lines), "WARN  authorization")
    assert "(10 days left)" in warn or "(9 days left)" in warn
    assert "meltano invoke target-quickbooks:authorize" in warn
    assert lines[-1] == "All checks passed. (1 warning(s): see WARN above)"


def test_damaged_rates_seen_stops_like_any_damaged_field():
    with pytest.raises(StateDamagedError) as error:
        validate_entry({"realm_id": REALM, "rates_seen": ["20", 5.5]}, Problems())
    assert 'bookmarks["target-quickbooks"].rates_seen[1]' in str(error.value)
    with pytest.raises(StateDamagedError):
        validate_entry({"realm_id": REALM, "rates_seen": "20"}, Problems())


def test_meltano_yml_declares_every_setting_of_the_target():
    # Meltano passes only declared settings: one missing here never reaches the target.
    project = yaml.safe_load((Path(__file__).parents[2] / "meltano.yml").read_text())
    [plugin] = [loader for loader in project["plugins"]["loaders"]
                if loader["name"] == "target-quickbooks"]
    assert {s["name"] for s in plugin["settings"]} == set(CONFIG_SCHEMA["properties"])


def test_payments_deposit_account_and_methods(bare, tmp_path):
    code, output = _cli(bare, tmp_path)
    assert code == 0, output
    assert "OK    deposit_account: Id 90 Undeposited Funds (default" in output
    assert "INFO  payment_method: not set" in output
    code, output = _cli(bare, tmp_path, deposit_account="Services", payment_method="Cash",
                        payment_method_map={"banktransfer": "Virement"})
    assert code == 1
    [line] = _lines(output, "FAIL  deposit_account")
    assert "'Income'" in line and "Bank or Other Current Asset" in line
    assert "OK    payment_method: Id 91 Cash" in output
    assert "OK    payment_method_map['banktransfer']: 'Virement' is not in QuickBooks" in output
    code, output = _cli(bare, tmp_path, deposit_account="Checking", payment_method="Virement",
                        create_missing_items=False)
    assert code == 1
    assert "OK    deposit_account: Id 35 Checking (setting)" in output
    assert len(_lines(output, "FAIL  payment_method")) == 1
    assert bare.entities("PaymentMethod") and not [
        method for method in bare.entities("PaymentMethod") if method["Name"] == "Virement"]

"""`tax_code_map` survives the ways Meltano and users write rates."""

from __future__ import annotations

from target_quickbooks.settings import tax_code_table


def test_plain_keys_are_normalised() -> None:
    assert tax_code_table({"tax_code_map": {"20.0000": "3", "0": "6"}}) == {"20": "3", "0": "6"}


def test_meltano_dot_nesting_is_flattened_back() -> None:
    # Meltano turns {"5.5": "5"} into {"5": {"5": "5"}} in the generated config.
    assert tax_code_table({"tax_code_map": {"5": {"5": "5"}, "20": "3"}}) == {"5.5": "5", "20": "3"}


def test_decimal_comma_is_accepted() -> None:
    assert tax_code_table({"tax_code_map": {"5,5": "TVA 5,5%"}}) == {"5.5": "TVA 5,5%"}

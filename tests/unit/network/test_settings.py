"""CPANET_* settings: defaults, lists of paths, and a bad value refused with the variable's name."""

from __future__ import annotations

import pytest

from network.settings import load_settings, split_paths


def test_defaults_and_explicit_values() -> None:
    default = load_settings({})
    assert default.http.port == 8000 and default.clicks.preload and default.clicks.range_files == ()
    given = load_settings({"CPANET_PORT": "9001", "CPANET_CLICK_PRELOAD": "off", "CPANET_DEBUG": "yes"})
    assert given.http.port == 9001 and not given.clicks.preload and given.http.debug


def test_path_lists_split_on_the_path_separator_or_commas() -> None:
    assert split_paths("/a/tor.txt:/b/vpn.txt, /c/dc.txt,,") == ("/a/tor.txt", "/b/vpn.txt", "/c/dc.txt")
    assert split_paths("  ") == ()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CPANET_PORT", "80a", "CPANET_PORT='80a' is not a whole number"),
        ("CPANET_FRAUD_IP_SLOTS", "1e6", "CPANET_FRAUD_IP_SLOTS='1e6' is not a whole number"),
        ("CPANET_DEBUG", "maybe", "CPANET_DEBUG='maybe' is not a boolean"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_settings({name: value})

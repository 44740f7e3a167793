"""Which requests the click front sends straight to the click handler, before litestar."""

from __future__ import annotations

import pytest

from network.tracking.front import is_click_path


@pytest.mark.parametrize(
    ("path", "click"),
    [
        ("/c/12", True),
        ("/s/7", True),
        ("/aff_c", True),
        ("/click", True),
        ("/", True),  # CAKE's /?a=&c=
        ("/c", False),  # reaches the same handler through litestar's mount
        ("/api/v1/offers", False),
        ("/ui/login", False),
        ("/postback", False),
        ("/health", False),
        ("/clicks", False),
        ("/schema", False),
    ],
)
def test_click_paths(path: str, click: bool) -> None:
    assert is_click_path(path) is click

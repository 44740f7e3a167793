"""Device and OS from the user agent: the coarse classes targeting uses (docs/api.md)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=65536)
def classify(user_agent: str) -> tuple[str, str]:
    """(device, os): device in desktop/mobile/tablet, os in windows/macos/linux/android/ios/other."""
    ua = user_agent.lower()
    if "ipad" in ua or ("android" in ua and "mobile" not in ua) or "tablet" in ua:
        device = "tablet"
    elif "mobi" in ua or "iphone" in ua or "android" in ua:
        device = "mobile"
    else:
        device = "desktop"
    if "android" in ua:
        os_name = "android"
    elif "iphone" in ua or "ipad" in ua or "ipod" in ua:
        os_name = "ios"
    elif "windows" in ua:
        os_name = "windows"
    elif "mac os x" in ua or "macintosh" in ua:
        os_name = "macos"
    elif "linux" in ua or "x11" in ua:
        os_name = "linux"
    else:
        os_name = "other"
    return device, os_name

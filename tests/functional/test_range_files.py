"""Operator range files (``CPANET_FRAUD_RANGE_FILES``: TOR exit lists, X4BNet VPN lists, ipcat CSV) reach the
click engine's data-centre table through the snapshot registry, are re-read when they change, and a broken
or vanished file keeps its last good ranges. No mocks: real files, the real registry and engine."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fastpath import FraudFlag, FraudSettings
from fastpath.data_sources import bundled_datacenter_ranges
from fastpath.netaddr import V4_MAPPED, load_range_lines
from fastpath.results import Click
from network.settings import load_settings
from network.tracking.ranges import RangeFiles
from network.tracking.registry import SnapshotRegistry
from tests.support.client import Client
from tests.support.world import World

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
FRAUD = FraudSettings(duplicate_slots=1024, ip_slots=1024, sub_slots=256, ua_cache_size=256)


def _write(path: Path, text: str, bump_ns: int = 0) -> None:
    path.write_text(text, encoding="utf-8")
    if bump_ns:  # a distinct modification time even on a coarse clock
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump_ns))


async def test_range_files_flag_clicks_and_follow_their_updates(
    client: Client, world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tor = tmp_path / "tor-exits.txt"
    _write(tor, "# Tor bulk exit list\n198.51.100.7\n2001:db8:dead::1\n")
    vpn = tmp_path / "x4bnet-vpn.txt"
    _write(vpn, "203.0.113.0/25\n")
    csv = tmp_path / "ipcat.csv"
    _write(csv, "192.0.2.10,192.0.2.20,Example VPN,https://vpn.example\n")
    registry = SnapshotRegistry(preload=False, fraud=FRAUD, max_age=0.0, ranges=RangeFiles([tor, vpn, csv]))
    host = f"t-{world.tag}.example"
    await registry.refresh()

    async def flagged(ip: str) -> bool:
        node = await registry.node_for(host)
        assert node is not None
        click = Click(world.offers["public"], world.webmaster_id, datetime.now(UTC).timestamp(), ip, CHROME)
        return FraudFlag.DATACENTER_IP in FraudFlag(node.engine.check_fraud(click).flags)

    bundled_first = bundled_datacenter_ranges()[0][0]
    assert bundled_first >> 32 == V4_MAPPED >> 32  # an IPv4 cloud range: the bundled table is still there
    bundled_ip = ".".join(str((bundled_first >> s) & 255) for s in (24, 16, 8, 0))
    assert await flagged(bundled_ip)
    for ip in ("198.51.100.7", "2001:db8:dead::1", "203.0.113.100", "192.0.2.10", "192.0.2.20"):
        assert await flagged(ip), ip
    for ip in ("198.51.100.8", "203.0.113.200", "192.0.2.21", "2001:db8:dead::2"):
        assert not await flagged(ip), ip

    # The cron job replaced the list: the next snapshot build reads it.
    _write(tor, "198.51.100.7\n198.51.100.99\n", bump_ns=1_000_000)
    await registry.refresh()
    assert await flagged("198.51.100.99") and not await flagged("2001:db8:dead::1")

    # A half-written download does not empty the table; neither does a vanished file.
    with caplog.at_level(logging.WARNING, logger="cpanet.tracking"):
        _write(tor, "198.51.100.7\n198.51.100.\n", bump_ns=2_000_000)
        await registry.refresh()
        assert await flagged("198.51.100.99")
        tor.unlink()
        await registry.refresh()
        await registry.refresh()
        assert await flagged("198.51.100.99") and await flagged("203.0.113.1")
    messages = [r.getMessage() for r in caplog.records]
    assert sum("not reloaded" in m and "tor-exits.txt:2" in m for m in messages) == 1, messages
    assert sum("is gone" in m for m in messages) == 1, messages  # once, not at every build

    # The next download brings it back.
    _write(tor, "198.51.100.42\n", bump_ns=3_000_000)
    await registry.refresh()
    assert await flagged("198.51.100.42") and not await flagged("198.51.100.99")


def test_a_missing_or_malformed_range_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot read .*absent\.txt"):
        RangeFiles([tmp_path / "absent.txt"])
    bad = tmp_path / "bad.txt"
    _write(bad, "# comment\n10.0.0.0/8\n10.1.2.300 ; typo\n")
    with pytest.raises(ValueError, match=r"bad.txt:3: not an IP address, CIDR or range: '10.1.2.300'"):
        RangeFiles([bad])


def test_serve_refuses_a_bad_range_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "tor.txt"
    _write(bad, "198.51.100.7\n198.51.100.\n")
    env = {
        **os.environ,
        "CPANET_FRAUD_RANGE_FILES": str(bad),
        "CPANET_DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
        "CPANET_PORT": "1",  # never reached: the settings are refused first
    }
    done = subprocess.run(
        [sys.executable, "-m", "network.cli", "serve"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert f"Error: configuration: {bad}:2: not an IP address, CIDR or range: '198.51.100.'" in done.stderr
    assert "Traceback" not in done.stderr


def test_range_lines_and_the_setting() -> None:
    parsed = load_range_lines("1.2.3.4  first seen 2026-12-01\n5.6.7.0/24 ; SBL1\n9.9.9.0-9.9.9.9\n")
    assert parsed == [
        (V4_MAPPED | 0x01020304, V4_MAPPED | 0x01020304),
        (V4_MAPPED | 0x05060700, V4_MAPPED | 0x050607FF),
        (V4_MAPPED | 0x09090900, V4_MAPPED | 0x09090909),
    ]
    settings = load_settings({"CPANET_FRAUD_RANGE_FILES": "/srv/tor.txt:/srv/vpn.txt, /srv/dc.txt,"})
    assert settings.clicks.range_files == ("/srv/tor.txt", "/srv/vpn.txt", "/srv/dc.txt")
    assert load_settings({}).clicks.range_files == ()

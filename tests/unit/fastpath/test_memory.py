"""Fraud state stays within its fixed tables however many distinct IPs arrive."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

from fastpath import Click, FraudSettings
from fastpath.tables import state_bytes

from .conftest import CHROME, T0, EngineFactory, offer, spec

SETTINGS = FraudSettings(duplicate_slots=8192, ip_slots=4096, sub_slots=1024, ua_cache_size=64)
CHUNK = 65_536
OCTETS = [f".{i}" for i in range(256)]
SUBS = [(f"s{i}",) for i in range(4096)]
_new = tuple.__new__


def distinct_ip_clicks(start: int, count: int) -> Iterator[list[Click]]:
    """Chunks of clicks from consecutive distinct IPv4 addresses (start and count multiples of 256)."""
    for base in range(start >> 8, (start + count) >> 8, CHUNK >> 8):
        chunk: list[Click] = []
        for prefix in range(base, min(base + (CHUNK >> 8), (start + count) >> 8)):
            head = f"{11 + (prefix >> 16)}.{prefix >> 8 & 255}.{prefix & 255}"
            ts = T0 + prefix * 0.0256
            chunk.extend(
                [
                    _new(
                        Click,
                        (
                            1,
                            7,
                            ts,
                            head + octet,
                            CHROME,
                            "c",
                            False,
                            None,
                            None,
                            SUBS[(prefix + k) & 4095],
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            None,
                        ),
                    )
                    for k, octet in enumerate(OCTETS)
                ]
            )
        yield chunk


def test_tables_are_allocated_once_and_never_grow(make_engine: EngineFactory, impl: str) -> None:
    count = 20_480 if impl == "c" else 10_240  # tracemalloc slows the twin down most
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        engine = make_engine(spec(offer(1), fraud=SETTINGS))
        allocated = tracemalloc.get_traced_memory()[0] - before
        bytes_ = state_bytes(SETTINGS.duplicate_slots, SETTINGS.ip_slots, SETTINGS.sub_slots)
        assert engine.state_stats()["state_bytes"] == bytes_ == 8192 * 16 + (4096 + 1024) * 40
        assert bytes_ <= allocated < bytes_ + 2 * 2**20  # the tables plus the snapshot's small offer dict
        for chunk in distinct_ip_clicks(0, count):
            engine.decide_batch(chunk)
            del chunk
        settled = tracemalloc.get_traced_memory()[0]
        for chunk in distinct_ip_clicks(count, count):
            engine.decide_batch(chunk)
            del chunk
        growth = tracemalloc.get_traced_memory()[0] - settled
        assert growth < 256 * 1024, growth
    finally:
        tracemalloc.stop()


def test_tracked_keys_stay_under_the_cap(make_engine: EngineFactory, impl: str) -> None:
    # 10M distinct IPs through the compiled batch path; the twin proves the same bound on 300k.
    total = 10_000_128 if impl == "c" else 300_032
    engine = make_engine(spec(offer(1), fraud=SETTINGS))
    for chunk in distinct_ip_clicks(0, total):
        decisions = engine.decide_batch(chunk)
        assert decisions[-1].verdict.ip_count == 1
        stats = engine.state_stats()
        assert stats["ip_keys"] <= stats["ip_slots"] == 4096
        assert stats["duplicate_keys"] <= stats["duplicate_slots"] == 8192
        assert stats["sub_keys"] <= stats["sub_slots"] == 1024
        assert stats["ua_cache"] <= stats["ua_cache_size"]
    stats = engine.state_stats()
    assert stats["ip_keys"] == 4096 and stats["duplicate_keys"] == 8192  # full, and evicting the oldest


def test_eviction_gives_false_negatives_not_false_positives(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1), fraud=FraudSettings(duplicate_slots=4, ip_slots=4)))
    first = Click(1, 7, T0, "1.1.1.1", CHROME, "c")
    assert engine.check_fraud(first).valid
    for i in range(64):
        engine.check_fraud(Click(1, 7, T0 + 1 + i, f"2.2.{i}.1", CHROME, "c"))
    again = engine.check_fraud(first._replace(ts=T0 + 100))
    assert again.duplicate_age == -1.0 and again.ip_count == 1  # evicted: counted as new

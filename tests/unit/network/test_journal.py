"""The click journal: frames survive segment rotation, and the interval fsync can run in a worker thread while
clicks keep being appended on the event loop."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from network.tracking.events import ClickEvent
from network.tracking.journal import JournalReader, JournalWriter, decode_frames, segments


def _event(n: int) -> ClickEvent:
    return ClickEvent(
        f"c{n:06d}",
        1,
        1.0e9 + n,
        7,
        3,
        None,
        None,
        False,
        "ok",
        True,
        0,
        0,
        "81.2.69.160",
        "ua" * 50,
        "",
        "US",
        "desktop",
        "windows",
        "v",
        "",
        "",
        ("s",),
    )


def _read_all(directory: Path, writer: JournalWriter) -> list[str]:
    reader = JournalReader(directory)
    ids: list[str] = []
    while True:
        frames, count, after = reader.read(100, writer.segment)
        if not count:
            return ids
        ids.extend(e.click_id for e in decode_frames(frames))
        reader.commit(after)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts descriptors through /proc")
def test_rotated_segments_are_fsynced_and_closed_by_the_next_sync(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, fsync="interval", segment_bytes=2048)
    before = _open_fds()
    for n in range(60):
        writer.append(_event(n))
    assert len(segments(tmp_path)) > 3
    # Finished segments stay open until a sync has flushed them...
    assert _open_fds() > before
    writer.sync()
    # ...and then only the current one is open.
    assert _open_fds() == before
    assert _read_all(tmp_path, writer) == [f"c{n:06d}" for n in range(60)]
    writer.close()


def test_sync_in_a_thread_while_appending_loses_nothing(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, fsync="interval", segment_bytes=4096)
    stop = threading.Event()
    failures: list[BaseException] = []

    def syncing() -> None:
        try:
            while not stop.is_set():
                writer.sync()
        except BaseException as exc:  # reported below: a sync must never hit a closed descriptor
            failures.append(exc)

    thread = threading.Thread(target=syncing)
    thread.start()
    try:
        for n in range(3000):
            writer.append(_event(n))
    finally:
        stop.set()
        thread.join()
    assert failures == []
    writer.close()
    assert _read_all(tmp_path, writer) == [f"c{n:06d}" for n in range(3000)]


@pytest.mark.parametrize("policy", ["always", "never"])
def test_other_policies_close_finished_segments_at_once(tmp_path: Path, policy: str) -> None:
    writer = JournalWriter(tmp_path, fsync=policy, segment_bytes=2048)
    for n in range(40):
        writer.append(_event(n))
    assert writer._retired == []
    assert _read_all(tmp_path, writer) == [f"c{n:06d}" for n in range(40)]
    writer.close()

"""The forwarder's loop: batches, retries after a failed delivery, and the interval fsync on its own clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pika.exceptions import AMQPConnectionError

from network.stopping import Stop
from network.tracking.events import ClickEvent
from network.tracking.forwarder import Forwarder
from network.tracking.journal import JournalWriter, decode_frames


def _event(n: int) -> ClickEvent:
    return ClickEvent(
        f"c{n:06d}", 1, 1.0e9 + n, 7, 3, None, None, False, "ok", True, 0, 0, "81.2.69.160", "ua", "", "US",
        "desktop", "windows", "v", "", "", ("s",),
    )  # fmt: skip


class Recording:
    """A destination that keeps what it is given and refuses the first ``failures`` deliveries."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.batches: list[list[str]] = []

    async def deliver(self, frames: bytes) -> None:
        if self.failures:
            self.failures -= 1
            raise AMQPConnectionError("broker away")
        self.batches.append([e.click_id for e in decode_frames(frames)])

    async def close(self) -> None:
        return None


class CountingWriter(JournalWriter):
    syncs = 0

    def sync(self) -> None:
        self.syncs += 1
        super().sync()


async def _run_for(forwarder: Forwarder, seconds: float) -> None:
    stop = Stop()
    task = asyncio.create_task(forwarder.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task


async def test_full_batches_go_at_once_and_a_failed_one_is_sent_again(tmp_path: Path) -> None:
    writer = CountingWriter(tmp_path, fsync="interval")
    for n in range(2500):
        writer.append(_event(n))
    destination = Recording(failures=2)
    forwarder = Forwarder(writer, destination, batch_size=1000, idle=0.05, fsync_every=0.02)
    await _run_for(forwarder, 1.2)  # two failures: 0.1 s and 0.2 s of backoff
    assert [len(b) for b in destination.batches] == [1000, 1000, 500]
    assert [c for b in destination.batches for c in b] == [f"c{n:06d}" for n in range(2500)]
    # The fsync kept its clock through the outage and the idle waits (about every 20 ms for 1.2 s).
    assert writer.syncs >= 10
    writer.close()


async def test_after_a_partial_batch_the_next_read_waits_idle(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, fsync="never")
    destination = Recording()
    forwarder = Forwarder(writer, destination, batch_size=1000, idle=0.3)
    stop = Stop()
    task = asyncio.create_task(forwarder.run(stop))
    writer.append(_event(1))
    await asyncio.sleep(0.05)
    for n in range(2, 6):
        writer.append(_event(n))  # arrive while the forwarder waits: they leave together
    await asyncio.sleep(0.5)
    stop.set()
    await task
    assert destination.batches == [["c000001"], ["c000002", "c000003", "c000004", "c000005"]]
    writer.close()

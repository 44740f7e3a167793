"""Cooperative shutdown for the app's background loops (click forwarder, snapshot polling, embedded jobs).

A loop checks the stop signal between units of work and waits on it instead of sleeping, so shutdown never
cancels it in the middle of a database transaction. That matters on SQLite: a task cancelled while
piccolo's ``BEGIN IMMEDIATE`` runs leaves its connection open and holding the write lock, and every later
writer in the process waits for the 30 s busy timeout and fails with "database is locked".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger("cpanet")


class Stop:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        self._event.set()

    async def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if a stop comes first; True when stopping."""
        if self._event.is_set():
            return True
        try:
            await asyncio.wait_for(self._event.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True


async def stop_tasks(stop: Stop, tasks: Iterable[asyncio.Task[None]], grace: float = 35.0) -> None:
    """Signal the loops, give them ``grace`` seconds to finish what they are doing, then cancel the rest.

    The grace outlasts the SQLite busy timeout (30 s), so a loop that is waiting for the lock gets its answer
    before it is cancelled."""
    pending = [t for t in tasks if not t.done()]
    stop.set()
    if pending:
        _, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            log.warning(
                "background task %s did not stop within %.0f s; cancelling it", task.get_name(), grace
            )
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

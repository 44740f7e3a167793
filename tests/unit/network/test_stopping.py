"""Background loops are stopped between units of work, never inside one (network/stopping.py)."""

from __future__ import annotations

import asyncio

from network.stopping import Stop, stop_tasks


async def test_a_loop_finishes_its_unit_of_work_before_it_stops() -> None:
    stop = Stop()
    started = finished = 0
    inside = asyncio.Event()

    async def loop() -> None:
        nonlocal started, finished
        while not stop.stopping:
            started += 1
            inside.set()
            await asyncio.sleep(0.2)  # a transaction in progress: must not be interrupted
            finished += 1
            await stop.sleep(30)  # idle: a stop ends the wait at once

    task = asyncio.create_task(loop())
    await inside.wait()
    await stop_tasks(stop, [task], grace=10)
    assert task.done() and not task.cancelled()
    assert started == finished == 1


async def test_a_loop_that_ignores_the_stop_is_cancelled_after_the_grace() -> None:
    stop = Stop()

    async def stubborn() -> None:
        await asyncio.sleep(3600)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await stop_tasks(stop, [task], grace=0.05)
    assert task.cancelled()


async def test_sleep_says_whether_the_stop_came_first() -> None:
    stop = Stop()
    assert await stop.sleep(0.01) is False
    stop.set()
    assert await stop.sleep(30) is True and stop.stopping

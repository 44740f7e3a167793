"""The click journal: an append-only local log that every click is written to before its 302 is sent.

It is also the spool. A forwarder reads it from the last committed position and delivers batches (to
RabbitMQ, or to the database in embedded mode); the position moves only after the delivery is confirmed, so
an outage just lets the journal grow, and the backlog is replayed on recovery. Delivery is at least once;
storage de-duplicates on click_id.

Durability (CPANET_CLICK_FSYNC):
- ``always``: fsync after every click before the redirect. A click that got its 302 survives a power loss.
- ``interval`` (default): the forwarder fsyncs every 50 ms, in a worker thread so that a slow disk never
  stalls the event loop that answers clicks. A killed process (SIGKILL, OOM) loses nothing, because the
  write already reached the kernel; a power loss can lose the clicks of the last 50 ms plus the time the
  last fsync took (milliseconds on an idle disk, up to seconds on a saturated one).
- ``never``: the kernel writes when it likes. A killed process loses nothing; a power loss can lose the
  clicks of the last few seconds.

Layout: ``<dir>/clicks-<segment>.log`` files of length-prefixed msgpack frames, and ``<dir>/committed``
holding ``<segment> <offset>``.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import msgspec

from network.tracking.events import ClickEvent

FRAME = struct.Struct("<I")
SEGMENT_BYTES = 16 * 1024 * 1024
FSYNC_POLICIES = ("always", "interval", "never")
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(ClickEvent)


def encode(event: ClickEvent) -> bytes:
    payload = _encoder.encode(event)
    return FRAME.pack(len(payload)) + payload


def decode_frames(data: bytes) -> list[ClickEvent]:
    """Every complete frame in ``data`` (a message body or a journal read)."""
    events, view, at = [], memoryview(data), 0
    while at + FRAME.size <= len(data):
        (size,) = FRAME.unpack_from(view, at)
        if at + FRAME.size + size > len(data):
            break
        events.append(_decoder.decode(view[at + FRAME.size : at + FRAME.size + size]))
        at += FRAME.size + size
    return events


@dataclass(frozen=True, order=True)
class Position:
    segment: int
    offset: int


def _segment_path(directory: Path, segment: int) -> Path:
    return directory / f"clicks-{segment:012d}.log"


def segments(directory: Path) -> list[int]:
    return sorted(int(p.stem.split("-")[1]) for p in directory.glob("clicks-*.log"))


class JournalWriter:
    """Appends on the click path. One writer per directory (one click process per spool directory)."""

    def __init__(
        self, directory: Path, *, fsync: str = "interval", segment_bytes: int = SEGMENT_BYTES
    ) -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"CPANET_CLICK_FSYNC must be one of {', '.join(FSYNC_POLICIES)}")
        self.directory = directory
        self.fsync = fsync
        self.segment_bytes = segment_bytes
        directory.mkdir(parents=True, exist_ok=True)
        # Finished segments still to be fsynced and closed by the next sync() (interval mode only).
        self._retired: list[int] = []
        existing = segments(directory)
        # Never append to a segment a previous process may have left with a torn last frame: start a new one.
        self.segment = (existing[-1] + 1) if existing else 1
        self._open()

    def _open(self) -> None:
        path = _segment_path(self.directory, self.segment)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._size = 0

    def append(self, event: ClickEvent) -> None:
        frame = encode(event)
        # One write per frame: a kill can tear only the last frame, and frames never interleave.
        os.write(self._fd, frame)
        self._size += len(frame)
        if self.fsync == "always":
            os.fsync(self._fd)
        if self._size >= self.segment_bytes:
            if self.fsync == "interval":
                # The next sync() fsyncs and closes it, off the click path.
                self._retired.append(self._fd)
            else:
                os.close(self._fd)
            self.segment += 1
            self._open()

    def sync(self) -> None:
        """fsync everything appended so far. Safe to run in a worker thread while append() goes on in the
        event loop: a segment finished meanwhile stays open until a later sync() has fsynced it."""
        # Order matters: the current descriptor is read before the retired list is taken, so if a rotation
        # retires it in between, it is in that list and is fsynced here before being closed.
        current = self._fd
        retired, self._retired = self._retired, []
        os.fsync(current)
        for fd in retired:
            os.fsync(fd)
            os.close(fd)

    def close(self) -> None:
        self.sync()
        os.close(self._fd)


class JournalReader:
    """Reads from the committed position; commits only what was delivered; removes finished segments."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._committed_path = directory / "committed"
        self.position = self._load()

    def _load(self) -> Position:
        try:
            segment, offset = self._committed_path.read_text().split()
            return Position(int(segment), int(offset))
        except (FileNotFoundError, ValueError):
            existing = segments(self.directory)
            return Position(existing[0] if existing else 1, 0)

    def read(self, max_events: int, writer_segment: int) -> tuple[bytes, int, Position]:
        """Up to ``max_events`` complete frames from the position: (frames, count, position after them)."""
        position = self.position
        while True:
            path = _segment_path(self.directory, position.segment)
            data = b""
            if path.exists():
                with path.open("rb") as f:
                    f.seek(position.offset)
                    # Events are bounded (user agent and referrer 1,000 chars, subs 255): far below 64 KiB.
                    data = f.read(max(max_events * 2048, 65536))
            frames, count, used = self._complete(data, max_events)
            if count or position.segment >= writer_segment:
                return frames, count, Position(position.segment, position.offset + used)
            # This segment is finished (the writer moved on) and fully read: go to the next one.
            later = [s for s in segments(self.directory) if s > position.segment]
            if not later:
                return b"", 0, position
            position = Position(later[0], 0)
            self.commit(position)

    @staticmethod
    def _complete(data: bytes, max_events: int) -> tuple[bytes, int, int]:
        at = count = 0
        while count < max_events and at + FRAME.size <= len(data):
            (size,) = FRAME.unpack_from(data, at)
            if at + FRAME.size + size > len(data):
                break
            at += FRAME.size + size
            count += 1
        return data[:at], count, at

    def commit(self, position: Position) -> None:
        tmp = self._committed_path.with_suffix(".tmp")
        tmp.write_text(f"{position.segment} {position.offset}")
        os.replace(tmp, self._committed_path)
        finished = [s for s in segments(self.directory) if s < position.segment]
        for segment in finished:
            _segment_path(self.directory, segment).unlink(missing_ok=True)
        self.position = position

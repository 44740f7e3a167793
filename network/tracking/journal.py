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
holding ``<segment> <offset>`` (zero-padded to a fixed width and overwritten in place; see JournalReader).
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import msgspec

from network.tracking.events import ClickEvent

FRAME = struct.Struct("<I")
SEGMENT_BYTES = 16 * 1024 * 1024
FSYNC_POLICIES = ("always", "interval", "never")


class _PositionRecord:
    """``<segment> <offset>\n`` in fixed width (zero-padded), so each commit overwrites the whole record."""

    size = 12 + 1 + 20 + 1

    @staticmethod
    def pack(segment: int, offset: int) -> bytes:
        return b"%012d %020d\n" % (segment, offset)


_POSITION = _PositionRecord
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
        self._lock = threading.Lock()  # rotation against sync() in a worker thread; never held for I/O
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
            self._rotate()

    def _rotate(self) -> None:
        # The next segment is opened before the current one is retired: os.open releases the GIL, and a
        # sync() running meanwhile must never see a descriptor it may already have closed as the current one.
        new_fd = os.open(
            _segment_path(self.directory, self.segment + 1), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
        )
        with self._lock:
            old, self._fd, self._size = self._fd, new_fd, 0
            self.segment += 1
            if self.fsync == "interval":
                # The next sync() fsyncs and closes it, off the click path.
                self._retired.append(old)
        if self.fsync != "interval":
            os.close(old)

    def sync(self) -> None:
        """fsync everything appended so far. Safe to run in a worker thread while append() goes on in the
        event loop: a segment finished meanwhile stays open until a later sync() has fsynced it."""
        # Under the lock, so that a rotation cannot retire the current descriptor into a list already taken
        # (it would never be fsynced or closed) or switch descriptors half-way.
        with self._lock:
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
        # The position is overwritten in place, one pwrite of a fixed-width record into a file that keeps its
        # blocks: replacing a file by rename (or truncating it) makes ext4 write it back at once (its
        # auto_da_alloc heuristic), 0.3 ms or more per batch on the event loop. A pwrite of 34 bytes into
        # one page completes before a kill takes effect. After a power cut the file may hold an older
        # position (or nothing readable: then reading restarts at the oldest segment kept); either way
        # clicks are delivered again, never skipped, and storage ignores the ones it has.
        self._committed_fd = os.open(self._committed_path, os.O_RDWR | os.O_CREAT, 0o600)
        self._write_position(self.position)
        os.ftruncate(self._committed_fd, _POSITION.size)
        # The segment being read stays open between reads (one pread per batch, no open/close).
        self._open_segment = 0
        self._fd = -1

    def _write_position(self, position: Position) -> None:
        os.pwrite(self._committed_fd, _POSITION.pack(position.segment, position.offset), 0)

    def _load(self) -> Position:
        try:
            segment, offset = self._committed_path.read_text().split()
            return Position(int(segment), int(offset))
        except (FileNotFoundError, ValueError):
            existing = segments(self.directory)
            return Position(existing[0] if existing else 1, 0)

    def _read_at(self, segment: int, offset: int, size: int) -> bytes:
        if segment != self._open_segment:
            self.close()
            try:
                self._fd = os.open(_segment_path(self.directory, segment), os.O_RDONLY)
            except FileNotFoundError:
                return b""
            self._open_segment = segment
        return os.pread(self._fd, size, offset)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd, self._open_segment = -1, 0

    def __del__(self) -> None:
        self.close()
        if getattr(self, "_committed_fd", -1) >= 0:
            os.close(self._committed_fd)
            self._committed_fd = -1

    def read(self, max_events: int, writer_segment: int) -> tuple[bytes, int, Position]:
        """Up to ``max_events`` complete frames from the position: (frames, count, position after them)."""
        position = self.position
        while True:
            # Events are bounded (user agent and referrer 1,000 chars, subs 255): far below 64 KiB.
            data = self._read_at(position.segment, position.offset, max(max_events * 2048, 65536))
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
        unpack, end = FRAME.unpack_from, len(data) - FRAME.size
        while count < max_events and at <= end:
            (size,) = unpack(data, at)
            if at + FRAME.size + size > len(data):
                break
            at += FRAME.size + size
            count += 1
        return data[:at], count, at

    def commit(self, position: Position) -> None:
        self._write_position(position)
        if position.segment != self.position.segment:
            # A segment boundary was crossed: the finished segments go (the directory is listed only then).
            if self._open_segment and self._open_segment < position.segment:
                self.close()
            for segment in segments(self.directory):
                if segment < position.segment:
                    _segment_path(self.directory, segment).unlink(missing_ok=True)
        self.position = position

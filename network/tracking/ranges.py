"""Operator-supplied IP range files for the click engine's data-centre table (VPN, TOR, hosting lists).

fastpath bundles cloud, hosting and crawler ranges; no maintained VPN or TOR exit list can be installed from a
package registry, so an operator who wants them downloads them (a cron job: the Tor Project's bulk exit list,
X4BNet's ``lists_vpn`` outputs, FireHOL, Spamhaus DROP) and names the files in ``CPANET_FRAUD_RANGE_FILES``.
Clicks from those addresses get the ``datacenter_ip`` reason like the bundled ranges.

A file is read when a snapshot is built (at start, on every change of a network, and at least every five
minutes) and only again when its size or modification time changed. At start every file must exist and
parse, or the node does not start; later, a file that disappears or no longer parses keeps its last good
ranges and is logged (once per file and version), so that a half-written download never empties the table.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fastpath.data_sources import bundled_datacenter_ranges
from fastpath.netaddr import load_range_lines

log = logging.getLogger("cpanet.tracking")

Range = tuple[int, int]


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple[int, int]  # (size, mtime_ns) when read
    ranges: tuple[Range, ...]


class RangeFiles:
    """The bundled ranges plus the operator's files, re-read only when a file changed."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.paths = tuple(Path(p) for p in paths)
        self._loaded: dict[Path, _Loaded] = {}
        self._failed: dict[Path, tuple[int, int]] = {}  # the stamp of a version that did not parse
        self._missing: set[Path] = set()  # warned about once, until the file is back
        # One tuple object until a file changes: build_snapshot keeps the table built from the last one.
        self._ranges: tuple[Range, ...] | None = None
        self._lock = threading.Lock()  # snapshots are built in worker threads
        for path in self.paths:  # at start: fail loudly
            self._loaded[path] = self._read(path)
        if self.paths:
            log.info("extra IP range files for the data-centre table: %s", self.counts())

    @staticmethod
    def _read(path: Path) -> _Loaded:
        try:
            status = path.stat()
            text = path.read_text(encoding="utf-8", errors="strict")
        except OSError as exc:
            raise ValueError(f"CPANET_FRAUD_RANGE_FILES: cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise ValueError(f"CPANET_FRAUD_RANGE_FILES: {path} is not UTF-8 text") from exc
        return _Loaded((status.st_size, status.st_mtime_ns), tuple(load_range_lines(text, source=str(path))))

    def _refresh(self) -> bool:
        changed = False
        for path in self.paths:
            old = self._loaded[path]
            try:
                status = path.stat()
            except OSError as exc:
                if path not in self._missing:
                    self._missing.add(path)
                    log.warning(
                        "range file %s is gone (%s); keeping its %d ranges", path, exc, len(old.ranges)
                    )
                continue
            if path in self._missing:
                self._missing.discard(path)
                log.info("range file %s is back", path)
            stamp = (status.st_size, status.st_mtime_ns)
            if stamp == old.stamp or stamp == self._failed.get(path):
                continue
            try:
                self._loaded[path] = self._read(path)
            except ValueError as exc:
                self._failed[path] = stamp
                log.warning(
                    "range file %s not reloaded, keeping its last %d ranges: %s", path, len(old.ranges), exc
                )
                continue
            changed = True
        return changed

    def ranges(self) -> tuple[Range, ...] | None:
        """SnapshotSpec.datacenter_ranges for these files (None without files: the bundled table)."""
        if not self.paths:
            return None
        with self._lock:
            if self._refresh() or self._ranges is None:
                extra = [r for loaded in self._loaded.values() for r in loaded.ranges]
                self._ranges = (*bundled_datacenter_ranges(), *extra)  # build_snapshot merges them
            return self._ranges

    def counts(self) -> dict[str, int]:
        """Ranges read from each file (for the start-up log)."""
        return {str(path): len(self._loaded[path].ranges) for path in self.paths}


__all__ = ["RangeFiles"]

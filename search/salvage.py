"""Salvaging a damaged index.db: what SQLite can still read is copied into a new database with
the same ids (ids are FAISS ids and are never reused), first by `VACUUM INTO`, else row by row
around the damage; a broken file header is rebuilt. Works on plain sqlite3 connections, below the
ORM, because the ORM cannot open what is damaged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.types import Modality
from search.db import STALE_SIZE, Database, has_log, read_path, sqlite_uri

TABLES = ("meta", "models", "videos", "segments", "keyframes", "spans")
"""The tables a salvage copies, parents first (rows whose parent row is lost are dropped)."""
COUNTED = ("videos", "segments", "keyframes", "spans")
"""The tables whose ids come from AUTOINCREMENT (never reused)."""
SALVAGE_CHUNK = 1000
"""Rowids read per query while salvaging; a range that cannot be read is halved down to single rows."""


@dataclass(frozen=True)
class Salvage:
    """What `salvage` brought over from a damaged database into a new one.

    `kept`, per table: rows copied; `lost`: rows known to be lost (rowids that could not be read,
    rows whose parent row was lost, ids the caller knew of that did not come through);
    `stale`: videos that lost rows, marked to be indexed again (their files are remembered);
    `header_rebuilt`: the first 100 bytes were unreadable and were rebuilt from vidsearch's own
    settings; `copied`: SQLite itself read every row (VACUUM INTO)."""

    kept: dict[str, int]
    lost: dict[str, int]
    stale: tuple[Path, ...]
    header_rebuilt: bool
    copied: bool

    @property
    def whole(self) -> bool:
        """Whether nothing is known to be lost."""
        return not any(self.lost.values()) and not self.stale


def salvage(source: Path, target: Path, known: Mapping[str, Iterable[int]] | None = None) -> Salvage | None:
    """Copy what can be read of the damaged database `source` (never written) into a new database
    `target` (which must not exist) of this schema, with the same ids.

    First with SQLite's own `VACUUM INTO`, which rewrites every page (and so mends damage outside
    the rows: indexes, free pages); when that cannot read everything, table by table, row by row,
    around the rows that cannot be read. A damaged header (the first 100 bytes) is rebuilt from
    the values vidsearch always uses. `known` gives ids the caller knows existed ("keyframes",
    "spans": those of the vector files), to find rows lost without an error. Videos that lost
    rows are marked stale (`STALE_SIZE`). None when nothing can be read (not even the list of
    tables); `target` is then left absent. `target` ends without a write-ahead log."""
    scratch = target.with_name(target.name + ".header")
    try:
        for candidate, rebuilt in ((source, False), (scratch, True)):
            if rebuilt and not _rebuild_header(source, scratch):
                break
            try:
                reader = sqlite3.connect(sqlite_uri(candidate, mode="ro"), uri=True)
            except sqlite3.Error:
                continue
            try:
                if _tables(reader) is None:
                    continue
                copied = _vacuum(reader, target)
                lost = {table: [] for table in TABLES} if copied else _copy_rows(reader, target)
                sequences = _sequences(reader)
            finally:
                reader.close()
            return _audit(target, lost, sequences, known or {}, rebuilt, copied)
        return None
    finally:
        _remove_database(scratch)


def _tables(reader: sqlite3.Connection) -> dict[str, list[str]] | None:
    """{table: column names} of the tables of TABLES that the database has; None when its schema
    cannot be read."""
    try:
        names = {str(row[0]) for row in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: [str(c[1]) for c in reader.execute(f"PRAGMA table_info({t})")] for t in TABLES if t in names}
    except sqlite3.Error:
        return None


def _vacuum(reader: sqlite3.Connection, target: Path) -> bool:
    """Whether VACUUM INTO rewrote the whole database into `target`, sound (else no `target`)."""
    try:
        reader.execute("VACUUM INTO ?", (str(target),))
        copied = sqlite3.connect(target)
        try:
            sound = [row[0] for row in copied.execute("PRAGMA integrity_check")] == ["ok"]
        finally:
            copied.close()
    except sqlite3.Error:
        sound = False
    if not sound:
        _remove_database(target)
    return sound


def _copy_rows(reader: sqlite3.Connection, target: Path) -> dict[str, list[int]]:
    """Copy every row of TABLES that can be read into a new database of this schema at `target`,
    under its own id; returns, per table, the ids (rowids) known to be lost: unreadable, or left
    out because their parent row was lost. A video whose row is lost but whose path its index
    on `path` still holds is given a row again (see `_rescue_videos`): no file is forgotten that
    the database still names somewhere."""
    fresh = Database(target)
    try:
        fresh.create()
    finally:
        fresh.close()
    columns = _tables(reader) or {}
    lost: dict[str, list[int]] = {table: [] for table in TABLES}
    rescued: list[int] = []
    writer = sqlite3.connect(target)
    try:
        writer.execute("PRAGMA foreign_keys = ON")
        for table in TABLES:
            wanted = [str(c[1]) for c in writer.execute(f"PRAGMA table_info({table})")]
            names = [c for c in wanted if c in columns.get(table, [])]
            if not names:
                continue
            insert = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            for rowid, row in _readable(reader, table, names, lost[table]):
                if table == "meta" and row[names.index("key")] == "schema_version":
                    continue  # the new database's own
                try:
                    writer.execute(insert, row)
                except sqlite3.IntegrityError:  # its video or segment was lost (or a second row of one path)
                    lost[table].append(rowid)
                    parent = {"segments": "video_id", "spans": "video_id", "keyframes": "segment_id"}.get(table)
                    if parent is not None:  # a row that was there: the lost parent existed
                        lost["segments" if parent == "segment_id" else "videos"].append(int(row[names.index(parent)]))
            if table == "videos":
                rescued = _rescue_videos(reader, writer)
        _describe_rescued(writer, rescued)
        writer.commit()
    finally:
        writer.close()
    return lost


RESCUED = {"path", "content_hash", "complete"}
"""Columns of `videos` that have an index of their own, from which a lost row can be pieced together."""


def _rescue_videos(reader: sqlite3.Connection, writer: sqlite3.Connection) -> list[int]:
    """Give a row again to each video whose row could not be read but whose path the index on
    `videos.path` holds (indexes are b-trees of their own, often spared by damage to the table's
    pages): the path, its content hash and completeness from their indexes, the rest unknown
    until the video is indexed again, so it is stale (`STALE_SIZE`). Returns their ids."""
    found: dict[int, dict[str, Any]] = {}
    try:
        indexes = [
            str(row[0])
            for row in reader.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'videos'")
        ]
    except sqlite3.Error:
        return []
    for name in indexes:
        try:
            columns = [str(c[2]) for c in reader.execute(f"PRAGMA index_info({name})")]
        except sqlite3.Error:
            continue
        if len(columns) != 1 or columns[0] not in RESCUED:
            continue
        try:
            for rowid, value in reader.execute(f"SELECT rowid, {columns[0]} FROM videos INDEXED BY {name}"):
                found.setdefault(int(rowid), {})[columns[0]] = value
        except sqlite3.Error:
            continue  # what was read before the damage is kept
    have = {int(row[0]) for row in writer.execute("SELECT id FROM videos")}
    rescued = []
    for key, values in sorted(found.items()):
        if key in have or not values.get("path"):
            continue
        try:
            writer.execute(
                "INSERT INTO videos (id, path, content_hash, size, mtime, duration, fps, width, height, rotation, "
                "has_audio, has_video, tracks, codec, modalities, language, complete, indexed_at) "
                "VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 1, 1, '', '', '', '', ?, 0)",
                (
                    key,
                    values["path"],
                    values.get("content_hash") or "",
                    STALE_SIZE,
                    int(values.get("complete", 1) or 0),
                ),
            )
        except sqlite3.Error:
            continue
        rescued.append(key)
    return rescued


def _describe_rescued(writer: sqlite3.Connection, rescued: list[int]) -> None:
    """Fill in what the rows of rescued videos can be known from: their length (the end of their
    last segment), whether they have pictures (keyframes) and the modalities their spans and
    keyframes show. The rest waits for them to be indexed again."""
    for key in rescued:
        end = writer.execute("SELECT max(end) FROM segments WHERE video_id = ?", (key,)).fetchone()[0]
        pictures = writer.execute(
            "SELECT count(*) FROM keyframes k JOIN segments s ON s.id = k.segment_id WHERE s.video_id = ?", (key,)
        ).fetchone()[0]
        heard = [
            str(row[0]) for row in writer.execute("SELECT DISTINCT modality FROM spans WHERE video_id = ?", (key,))
        ]
        modalities = [m for m in Modality if (m == Modality.VISUAL and pictures) or m in heard]
        writer.execute(
            "UPDATE videos SET duration = ?, has_video = ?, modalities = ? WHERE id = ?",
            (float(end or 0.0), 1 if pictures else 0, ",".join(modalities), key),
        )


def _readable(
    reader: sqlite3.Connection, table: str, names: list[str], lost: list[int]
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(rowid, row) of the rows of `table` (columns `names`) that can be read, in rowid order; the
    rowids that cannot be read go to `lost`. Ranges are read SALVAGE_CHUNK rowids at a time, and
    a range that fails is halved until the failing rowids stand alone."""
    top = _top_rowid(reader, table)
    listed = f"SELECT rowid, {', '.join(names)} FROM {table}"
    if top is None:  # not even the last rowid can be found: read on until the damage, and stop there
        last = 0
        try:
            for row in reader.execute(f"{listed} ORDER BY rowid"):
                last = int(row[0])
                yield last, tuple(row[1:])
        except sqlite3.Error:
            lost.append(last + 1)
        return
    pending = [(low, min(low + SALVAGE_CHUNK - 1, top)) for low in range(1, top + 1, SALVAGE_CHUNK)][::-1]
    while pending:
        low, high = pending.pop()
        try:
            rows = reader.execute(f"{listed} WHERE rowid BETWEEN ? AND ? ORDER BY rowid", (low, high)).fetchall()
        except sqlite3.Error:
            if low == high:
                lost.append(low)
            else:
                middle = (low + high) // 2
                pending += [(middle + 1, high), (low, middle)]
            continue
        yield from ((int(row[0]), tuple(row[1:])) for row in rows)


def _top_rowid(reader: sqlite3.Connection, table: str) -> int | None:
    """The largest rowid `table` has held: its last row's, or what sqlite_sequence says; None
    when neither can be read."""
    found = []
    for query, parameters in (
        (f"SELECT max(rowid) FROM {table}", ()),
        ("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)),
    ):
        try:
            row = reader.execute(query, parameters).fetchone()
        except sqlite3.Error:
            continue
        found.append(int(row[0]) if row is not None and row[0] is not None else 0)
    return max(found) if found else None


def _sequences(reader: sqlite3.Connection) -> dict[str, int]:
    """{table: the largest id it has handed out}, as far as the damaged database tells."""
    try:
        old = {str(name): int(seq) for name, seq in reader.execute("SELECT name, seq FROM sqlite_sequence")}
    except sqlite3.Error:
        old = {}
    return {table: max(old.get(table, 0), _top_rowid(reader, table) or 0) for table in COUNTED}


def _audit(
    target: Path,
    lost: dict[str, list[int]],
    sequences: dict[str, int],
    known: Mapping[str, Iterable[int]],
    rebuilt: bool,
    copied: bool,
) -> Salvage:
    """Finish the salvaged database `target`: no id the damaged one handed out is handed out
    again (vector files may hold vectors under it), and the videos that lost rows are marked
    stale: rows of one table written for one video hold consecutive ids, so a lost id belongs to
    the video of the kept row just before it or of the one just after it (both are marked); a
    gap between a video's segments marks it too. Its write-ahead log is folded in."""
    import bisect

    connection = sqlite3.connect(target)
    try:
        for table, highest in sequences.items():
            if highest and connection.execute("SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)).fetchone():
                connection.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (highest, table))
            elif highest:
                connection.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, highest))
        owners = {
            "segments": connection.execute("SELECT id, video_id FROM segments ORDER BY id").fetchall(),
            "keyframes": connection.execute(
                "SELECT k.id, s.video_id FROM keyframes k JOIN segments s ON s.id = k.segment_id ORDER BY k.id"
            ).fetchall(),
            "spans": connection.execute("SELECT id, video_id FROM spans ORDER BY id").fetchall(),
        }
        missing = {table: set(lost.get(table, [])) for table in TABLES}
        for table, ids in known.items():
            kept = {key for key, _ in owners.get(table, [])}
            missing.setdefault(table, set()).update(set(ids) - kept)
        videos = [int(row[0]) for row in connection.execute("SELECT id FROM videos ORDER BY id")]
        ranges: set[tuple[int, int]] = set()
        for table, kept_rows in owners.items():
            keys = [key for key, _ in kept_rows]
            for at in {bisect.bisect_left(keys, key) for key in missing.get(table, ())}:
                low = kept_rows[at - 1][1] if at > 0 else (videos[0] if videos else 0)
                high = kept_rows[at][1] if at < len(kept_rows) else (videos[-1] if videos else 0)
                ranges.add((min(low, high), max(low, high)))
        previous: dict[int, float] = {}
        for video, start, end in connection.execute(
            "SELECT video_id, start, end FROM segments ORDER BY video_id, start"
        ):
            if video in previous and start > previous[video] + 1e-3:
                ranges.add((int(video), int(video)))
            previous[video] = max(float(end), previous.get(video, float(end)))
        for low, high in sorted(ranges):
            connection.execute("UPDATE videos SET size = ? WHERE id BETWEEN ? AND ?", (STALE_SIZE, low, high))
        paths = [
            read_path(str(row[0]))
            for row in connection.execute("SELECT path FROM videos WHERE size = ?", (STALE_SIZE,))
        ]
        kept_counts = {t: int(connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}
        connection.commit()
        connection.execute("PRAGMA journal_mode = DELETE").fetchone()
    finally:
        connection.close()
    counted = {table: len(ids) for table, ids in missing.items() if ids}
    return Salvage(kept_counts, counted, tuple(sorted(paths)), rebuilt, copied)


def _remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


HEADER = 100
"""Bytes of the SQLite file header."""


def _rebuild_header(source: Path, copy: Path) -> bool:
    """Copy `source` to `copy` with its header rebuilt from what vidsearch's databases always
    have (UTF-8, schema format 4, no auto-vacuum, no reserved bytes), keeping its page size when
    that is plausible (else SQLite's default, 4096) and forgetting its free-page list (VACUUM and
    the row copy never read it). False when there is no header to rebuild (a file too short)."""
    import shutil

    try:
        if source.stat().st_size < 2 * HEADER:
            return False
        shutil.copyfile(source, copy)
        if has_log(source):
            shutil.copyfile(source.with_name(source.name + "-wal"), copy.with_name(copy.name + "-wal"))
        size = copy.stat().st_size
        with copy.open("r+b") as handle:
            header = handle.read(HEADER)
            page = int.from_bytes(header[16:18], "big")
            page = 65536 if page == 1 else page
            if page < 512 or page > 65536 or page & (page - 1) or size % page:
                page = 4096
            fixed = bytearray(HEADER)
            fixed[0:16] = b"SQLite format 3\x00"
            fixed[16:18] = (1 if page == 65536 else page).to_bytes(2, "big")
            fixed[18] = fixed[19] = 2 if has_log(source) else 1  # WAL, or the rollback journal
            fixed[21:24] = bytes((64, 32, 32))  # payload fractions: fixed by the file format
            fixed[24:28] = fixed[92:96] = (1).to_bytes(4, "big")  # equal: the page count below is valid
            fixed[28:32] = (size // page).to_bytes(4, "big")
            fixed[40:44] = header[40:44]  # schema cookie: any value will do
            fixed[44:48] = (4).to_bytes(4, "big")  # schema format 4
            fixed[56:60] = (1).to_bytes(4, "big")  # UTF-8
            fixed[96:100] = header[96:100]
            handle.seek(0)
            handle.write(bytes(fixed))
    except OSError:
        return False
    return True

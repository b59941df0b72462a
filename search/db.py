"""SQLite metadata through SQLAlchemy. The only module that imports SQLAlchemy.

Ids never get reused (AUTOINCREMENT), so a FAISS id always names the same keyframe or span, or
nothing. A video is `complete` only once its vectors are on disk; incomplete rows are leftovers
of an interrupted run and are dropped by the next writer. Span text is also in an FTS5 table
(kept in step by triggers) for keyword search ranked by BM25, and the character pairs of its
CJK runs in a second one (`span_grams`), since a run of CJK characters is one FTS5 token. A
span is searchable only once its video is complete and lists the span's modality
(`Store.extend` lists a modality after saving its vectors). Writes that fail for want of space
or permission raise IndexWriteError; their transaction is rolled back. Reads that the system
refuses raise IndexUnreadable, and a damaged file (not a database, a malformed page)
IndexDamaged: one line each, never a traceback, and never taken for "no schema version".
`salvage` copies what can be read of a damaged file into a new one (for `vidsearch doctor
--repair`).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote_from_bytes, unquote_to_bytes

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    SQLColumnExpression,
    String,
    create_engine,
    delete,
    event,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import DatabaseError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from indexer.types import AudioTrack, IndexedVideo, Modality, TextSpan, Word, known_modalities, model_role
from search import textmatch
from search.errors import IndexDamaged, IndexUnreadable, IndexWriteError
from search.types import KeyframeRecord, ModelRecord, SegmentRecord, SpanRecord, VideoRecord

log = logging.getLogger(__name__)

SCHEMA_VERSION = "4"
READABLE = frozenset({"3", SCHEMA_VERSION})
"""Schema versions a reader searches. Version 3 lacks the CJK pair index (`span_grams`): its
searches find a CJK word inside a longer run by meaning only, until a writer upgrades it."""
STALE_SIZE = -1
"""The size a salvage gives a video that lost rows: no file has it, so the next `vidsearch index`
of the file (or `--update`) indexes it again, while searches still find what was saved of it."""

RAW = "raw:"
"""How a stored path that is not valid UTF-8 begins (no absolute path can): the rest is its bytes,
percent-encoded."""


def stored_path(path: Path) -> str:
    """`path` as index.db keeps it: its text when it is valid UTF-8 (every path indexes ever held),
    else RAW and its bytes percent-encoded, so any name the operating system accepts (bytes such
    as 0xFF or Latin-1 é from old archives) is kept byte for byte."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return RAW + quote_from_bytes(os.fsencode(path), safe="/ ")
    return text


def read_path(text: str) -> Path:
    """The path `stored_path` stored as `text`."""
    return Path(os.fsdecode(unquote_to_bytes(text[len(RAW) :]))) if text.startswith(RAW) else Path(text)


class FilePath(TypeDecorator[Path]):
    """A column of file paths, stored as `stored_path` spells them."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Path | None, dialect: Dialect) -> str | None:
        return None if value is None else stored_path(Path(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Path | None:
        return None if value is None else read_path(value)


class Base(DeclarativeBase):
    pass


class MetaRow(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(String)


class ModelRow(Base):
    __tablename__ = "models"
    modality: Mapped[str] = mapped_column(String, primary_key=True)
    model: Mapped[str] = mapped_column(String)
    dim: Mapped[int] = mapped_column(Integer)
    available: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String, default="")
    config: Mapped[str] = mapped_column(String, default="")
    weights: Mapped[str] = mapped_column(String, default="")
    library_version: Mapped[str] = mapped_column(String, default="")
    updated_at: Mapped[float] = mapped_column(Float)


class VideoRow(Base):
    __tablename__ = "videos"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[Path] = mapped_column(FilePath, unique=True)
    content_hash: Mapped[str] = mapped_column(String, index=True)
    size: Mapped[int] = mapped_column(Integer)
    mtime: Mapped[float] = mapped_column(Float)
    duration: Mapped[float] = mapped_column(Float)
    fps: Mapped[float] = mapped_column(Float)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    rotation: Mapped[int] = mapped_column(Integer)
    has_audio: Mapped[bool] = mapped_column(Boolean)
    has_video: Mapped[bool] = mapped_column(Boolean, default=True)
    tracks: Mapped[str] = mapped_column(String, default="")
    """JSON [[language, title, default], ...] of the audio tracks, in the file's order."""
    codec: Mapped[str] = mapped_column(String)
    modalities: Mapped[str] = mapped_column(String, default="")
    language: Mapped[str] = mapped_column(String, default="")
    complete: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    indexed_at: Mapped[float] = mapped_column(Float)
    segments: Mapped[list[SegmentRow]] = relationship(
        back_populates="video", cascade="all, delete-orphan", passive_deletes=True, order_by="SegmentRow.start"
    )


class SegmentRow(Base):
    __tablename__ = "segments"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    video: Mapped[VideoRow] = relationship(back_populates="segments")
    keyframes: Mapped[list[KeyframeRow]] = relationship(
        back_populates="segment", cascade="all, delete-orphan", passive_deletes=True
    )


class KeyframeRow(Base):
    __tablename__ = "keyframes"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), index=True)
    time: Mapped[float] = mapped_column(Float)
    segment: Mapped[SegmentRow] = relationship(back_populates="keyframes")


class SpanRow(Base):
    __tablename__ = "spans"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    modality: Mapped[str] = mapped_column(String, index=True)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(String)
    confidence: Mapped[float] = mapped_column(Float)
    words: Mapped[str] = mapped_column(String, default="")
    """JSON [[start, end, word], ...] for speech; empty otherwise."""
    track: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The audio track a sentence or sound was heard on (its place among the file's audio tracks)."""


class SpanGramRow(Base):
    """The CJK character pairs of a span's text (`textmatch.grams`), for spans that have any:
    FTS5's unicode61 keeps a run such as 北京火车站 as one token, so a word inside it is found
    through these."""

    __tablename__ = "span_grams"
    id: Mapped[int] = mapped_column(ForeignKey("spans.id", ondelete="CASCADE"), primary_key=True)
    grams: Mapped[str] = mapped_column(String)


FTS_SETUP = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS spans_fts USING fts5("
    "text, content='spans', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS spans_fts_insert AFTER INSERT ON spans BEGIN "
    "INSERT INTO spans_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS spans_fts_delete AFTER DELETE ON spans BEGIN "
    "INSERT INTO spans_fts(spans_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
)
GRAMS_SETUP = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS span_grams_fts USING fts5("
    "grams, content='span_grams', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS span_grams_insert AFTER INSERT ON span_grams BEGIN "
    "INSERT INTO span_grams_fts(rowid, grams) VALUES (new.id, new.grams); END",
    "CREATE TRIGGER IF NOT EXISTS span_grams_delete AFTER DELETE ON span_grams BEGIN "
    "INSERT INTO span_grams_fts(span_grams_fts, rowid, grams) VALUES ('delete', old.id, old.grams); END",
)
"""The keyword index of the spans' CJK pairs, kept in step with `span_grams` by triggers (a span's
rows go with it: ON DELETE CASCADE)."""


def _to_v2(connection: Connection) -> None:
    """Version 1 had keyframes only: add the spoken language, spans and their keyword index."""
    _add_columns(connection, "videos", {"language": "VARCHAR NOT NULL DEFAULT ''"})


def _to_v3(connection: Connection) -> None:
    """Version 2 heard one audio track and indexed only files with pictures: add each video's
    audio tracks and whether it has pictures, and the track each span was heard on."""
    _add_columns(
        connection,
        "videos",
        {"has_video": "BOOLEAN NOT NULL DEFAULT 1", "tracks": "VARCHAR NOT NULL DEFAULT ''"},
    )
    _add_columns(connection, "spans", {"track": "INTEGER"})


def _add_columns(connection: Connection, table: str, columns: dict[str, str]) -> None:
    """Add the `columns` (name: SQL type and default) that `table` lacks, if the table exists."""
    have = _columns(connection, table)
    for name, kind in columns.items():
        if have and name not in have:
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _to_v4(connection: Connection) -> None:
    """Version 3 indexed CJK runs as whole words only: add the CJK pair index and fill it from
    the spans there are."""
    if not _columns(connection, "spans"):
        return
    SpanGramRow.__table__.create(connection, checkfirst=True)  # type: ignore[attr-defined]
    for statement in GRAMS_SETUP:
        connection.exec_driver_sql(statement)
    _fill_grams(connection)


def _fill_grams(connection: Connection) -> None:
    """Give every span whose text has CJK runs its `span_grams` row (the triggers index it)."""
    rows = [{"id": key, "grams": found} for key, found in _expected_grams(connection).items()]
    if rows:
        connection.execute(text("INSERT OR IGNORE INTO span_grams (id, grams) VALUES (:id, :grams)"), rows)


def _expected_grams(connection: Connection) -> dict[int, str]:
    """{span id: its CJK pairs} for the spans whose text has CJK characters."""
    found: dict[int, str] = {}
    for key, words in connection.exec_driver_sql("SELECT id, text FROM spans"):
        pairs = textmatch.grams(words)
        if pairs:
            found[int(key)] = pairs
    return found


def _columns(connection: Connection, table: str) -> set[str]:
    return {row[1] for row in connection.exec_driver_sql(f"PRAGMA table_info({table})")}


MIGRATIONS: dict[str, Callable[[Connection], None]] = {"1": _to_v2, "2": _to_v3, "3": _to_v4}
"""Schema upgrades by the version they start from; each takes the index one version up."""


SQLITE_WRITE_FAILURES = {
    "SQLITE_FULL": "the disk is full",
    "SQLITE_READONLY": "the index is read-only",
    "SQLITE_CANTOPEN": "index.db cannot be opened for writing",
    "SQLITE_PERM": "permission denied",
    "SQLITE_IOERR": "disk I/O error",
    "SQLITE_BUSY": "the database is locked by another process",
}
"""SQLite result codes (extended codes start with these) of writes the environment refused."""
SQLITE_WRITE_MESSAGES = {
    "disk is full": "SQLITE_FULL",
    "readonly database": "SQLITE_READONLY",
    "unable to open database": "SQLITE_CANTOPEN",
    "disk i/o error": "SQLITE_IOERR",
    "database is locked": "SQLITE_BUSY",
}
"""The same by message, for Python < 3.11, whose sqlite3 errors carry no code."""
SQLITE_READ_FAILURES = {
    "SQLITE_IOERR_SHM": "SQLite has no room for its shared-memory file index.db-shm (is the disk full?)",
    "SQLITE_FULL": "the disk is full",
    "SQLITE_READONLY": "SQLite cannot set up its shared-memory file index.db-shm (read-only)",
    "SQLITE_CANTOPEN": "index.db cannot be opened",
    "SQLITE_PERM": "permission denied",
    "SQLITE_IOERR": "disk I/O error",
    "SQLITE_BUSY": "the database is locked by another process",
}
"""The same refusals met while reading, in words (the first code that an error's code starts with)."""
SQLITE_DAMAGE = {
    "SQLITE_NOTADB": "is not a SQLite database (its header is damaged)",
    "SQLITE_CORRUPT_VTAB": "has a damaged keyword index",
    "SQLITE_CORRUPT": "is malformed (a page of it is damaged)",
}
"""SQLite result codes that mean the database file itself is damaged, in words."""
SQLITE_DAMAGE_MESSAGES = {"file is not a database": "SQLITE_NOTADB", "malformed": "SQLITE_CORRUPT"}


def _code(exc: BaseException, messages: dict[str, str]) -> str:
    """An sqlite3 error's code name ("SQLITE_IOERR_SHMSIZE"), or one guessed from its message."""
    return getattr(exc, "sqlite_errorname", None) or next(
        (code for words, code in messages.items() if words in str(exc).lower()), ""
    )


def write_refused(exc: BaseException | None) -> str | None:
    """Why SQLite refused a write, in words ("the disk is full (database or disk is full)"), or
    None when `exc` is not such a refusal (a bug, which must not be disguised as one)."""
    return _refused(exc, SQLITE_WRITE_FAILURES)


def read_refused(exc: BaseException | None) -> str | None:
    """Why SQLite could not read the database (a full disk, permissions, an I/O error), in
    words, or None when `exc` is not such a refusal."""
    return _refused(exc, SQLITE_READ_FAILURES)


def _refused(exc: BaseException | None, failures: dict[str, str]) -> str | None:
    if not isinstance(exc, sqlite3.OperationalError):
        return None
    name = _code(exc, SQLITE_WRITE_MESSAGES)
    words = next((w for code, w in failures.items() if name.startswith(code)), None)
    return f"{words} ({exc})" if words else None


def damage(exc: BaseException | None) -> str | None:
    """What is damaged, in words ("is malformed (...)"), when `exc` says the database file is
    damaged (SQLITE_CORRUPT*, SQLITE_NOTADB); None otherwise."""
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, sqlite3.OperationalError):
        return None
    name = _code(exc, SQLITE_DAMAGE_MESSAGES)
    words = next((w for code, w in SQLITE_DAMAGE.items() if name.startswith(code)), None)
    return f"{words}: {exc}" if words else None


CHUNK = 20_000
"""Ids per `IN (...)` query (SQLite allows 32766 parameters)."""

P = ParamSpec("P")
R = TypeVar("R")


def _mapped(method: Callable[Concatenate[Database, P], R], writing: bool) -> Callable[Concatenate[Database, P], R]:
    """Turn SQLite's failures that are not bugs into one-line errors naming the index: a damaged
    file into IndexDamaged; a refusal (full disk, read-only file, I/O error) into IndexWriteError
    for a write and IndexUnreadable for a read."""

    @functools.wraps(method)
    def wrapper(self: Database, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except DBAPIError as exc:
            damaged = damage(exc.orig)
            if damaged is not None:
                raise IndexDamaged(self.path.parent, damaged) from exc
            refused = (write_refused if writing else read_refused)(exc.orig)
            if refused is None:
                raise
            if writing:
                raise IndexWriteError(self.path.parent, refused) from exc
            raise IndexUnreadable(self.path.parent, refused) from exc
        except IndexUnreadable as exc:
            if writing:  # the write's own first read found the disk full: a write failure
                raise IndexWriteError(self.path.parent, exc.reason) from exc
            raise

    return wrapper


def _writes(method: Callable[Concatenate[Database, P], R]) -> Callable[Concatenate[Database, P], R]:
    """A write: SQLite's refusal (full disk, read-only file, I/O error) raises IndexWriteError,
    a damaged file IndexDamaged."""
    return _mapped(method, writing=True)


def _reads(method: Callable[Concatenate[Database, P], R]) -> Callable[Concatenate[Database, P], R]:
    """A read: SQLite's refusal (full disk, permissions, I/O error) raises IndexUnreadable, a
    damaged file IndexDamaged."""
    return _mapped(method, writing=False)


def _lists(modality: SQLColumnExpression[str] | str) -> ColumnElement[bool]:
    """SQL: the video row's `modalities` ("visual,speech") lists `modality` (a column or a string)."""
    return func.instr(literal(",") + VideoRow.modalities + literal(","), literal(",") + modality + literal(",")) > 0


class ReadOnly(sqlite3.Connection):
    """A connection opened read-only (`mode=ro`): it never writes index.db, so reading needs no
    free space, save SQLite's shared-memory file of a WAL database (index.db-shm, 32 KB)."""


class Immutable(ReadOnly):
    """A read-only connection that reads index.db alone (`immutable=1`: no index.db-shm, no
    locks), used only when the shared-memory file cannot be made (a full disk) and the
    write-ahead log holds nothing: then index.db alone is the whole index. It would not notice a
    writer, so it serves one checkout of the pool and is replaced after (see `_renew`)."""

    lent = False


def sqlite_uri(path: Path, **parameters: str) -> str:
    """A SQLite URI naming `path` byte for byte (any character a file name may hold)."""
    query = "&".join(f"{key}={value}" for key, value in parameters.items())
    return "file:" + quote_from_bytes(os.fsencode(path.absolute()), safe="/") + (f"?{query}" if query else "")


def has_log(path: Path) -> bool:
    """Whether the write-ahead log of the database at `path` holds anything (changes not yet in
    the file itself)."""
    try:
        return path.with_name(path.name + "-wal").stat().st_size > 0
    except FileNotFoundError:
        return False


def _probe(connection: sqlite3.Connection) -> None:
    """Read from a new connection: in WAL mode, this is when SQLite opens index.db-shm."""
    connection.execute("SELECT count(*) FROM sqlite_master").fetchone()


def _connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection to `path`; an `Immutable` one when SQLite cannot make its
    shared-memory file (a full disk) and nothing waits in the write-ahead log. IndexUnreadable
    when it cannot be read at all for want of space."""
    connection = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, check_same_thread=False, factory=ReadOnly)
    try:
        _probe(connection)
        return connection
    except sqlite3.OperationalError as exc:
        connection.close()
        refused = read_refused(exc)
        if refused is None:
            raise
        if has_log(path):
            changes = "index.db-wal holds changes, which SQLite cannot read without it"
            raise IndexUnreadable(path.parent, f"{refused}; {changes}: free some space") from exc
        log.info("%s: reading index.db alone (%s)", path.parent, refused)
    return sqlite3.connect(
        sqlite_uri(path, mode="ro", immutable="1"), uri=True, check_same_thread=False, factory=Immutable
    )


def _renew(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pool checkout: an Immutable connection serves one checkout only, so that the next one
    tries a normal read-only connection again (and sees writers once space is freed)."""
    if isinstance(dbapi_connection, Immutable):
        if dbapi_connection.lent:
            raise DisconnectionError("an immutable connection serves one checkout")
        dbapi_connection.lent = True


def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if not isinstance(dbapi_connection, ReadOnly):  # a reader takes the journal mode the file has
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """The metadata of one index: models, videos, segments, keyframes.

    `readonly` (searches, stats): connections are opened read-only and never write index.db,
    so reading works on a full disk or a read-only file; writes then fail with IndexWriteError.
    Every method raises IndexDamaged when the file is damaged, and IndexUnreadable (reads) or
    IndexWriteError (writes) when the system refuses."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        if readonly:
            # QueuePool, as a file URL gets: the default for a creator is one connection per thread
            # (SingletonThreadPool), which closes connections that other threads still use.
            self.engine = create_engine("sqlite://", creator=lambda: _connect_reader(path), poolclass=QueuePool)
            event.listen(self.engine, "checkout", _renew)
        else:
            self.engine = create_engine(f"sqlite:///{path}")
        event.listen(self.engine, "connect", _on_connect)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @_writes
    def create(self) -> None:
        """Make the tables of a new index, or bring an older one up to SCHEMA_VERSION."""
        version = self.schema_version()
        with self.engine.begin() as connection:
            while version in MIGRATIONS:
                MIGRATIONS[version](connection)
                version = str(int(version) + 1)
            Base.metadata.create_all(connection)
            for statement in FTS_SETUP + GRAMS_SETUP:
                connection.execute(text(statement))
        with self.sessions.begin() as s:
            s.merge(MetaRow(key="schema_version", value=version or SCHEMA_VERSION))

    @_reads
    def schema_version(self) -> str | None:
        """The schema version index.db records; None when it records none (no `meta` table: an
        empty file, or another program's database). IndexDamaged or IndexUnreadable when it
        cannot be read: never None for that."""
        try:
            with self.engine.connect() as connection:
                row = connection.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
        except OperationalError as exc:
            if any(words in str(exc.orig) for words in ("no such table", "no such column")):
                return None
            raise
        return str(row[0]) if row is not None else None

    def close(self) -> None:
        self.engine.dispose()

    @_reads
    def models(self) -> list[ModelRecord]:
        with self.sessions() as s:
            return [_model(r) for r in s.scalars(select(ModelRow).order_by(ModelRow.modality))]

    @_writes
    def set_model(self, record: ModelRecord, library_version: str) -> None:
        with self.sessions.begin() as s:
            s.merge(
                ModelRow(
                    modality=str(record.role),
                    model=record.model,
                    dim=record.dim,
                    available=record.available,
                    reason=record.reason,
                    config=record.config,
                    weights=record.weights,
                    library_version=library_version,
                    updated_at=time.time(),
                )
            )

    @_reads
    def video(self, path: Path) -> VideoRecord | None:
        with self.sessions() as s:
            row = s.scalars(select(VideoRow).where(VideoRow.path == path, VideoRow.complete)).first()
            return _video(row) if row else None

    @_reads
    def videos(self) -> list[VideoRecord]:
        with self.sessions() as s:
            return [_video(r) for r in s.scalars(select(VideoRow).where(VideoRow.complete).order_by(VideoRow.path))]

    @_reads
    def segments(self, video_id: int) -> list[SegmentRecord]:
        with self.sessions() as s:
            rows = s.scalars(select(SegmentRow).where(SegmentRow.video_id == video_id).order_by(SegmentRow.start))
            return [_segment(r) for r in rows]

    @_writes
    def add_video(self, indexed: IndexedVideo) -> tuple[list[int], list[int]]:
        """Insert a video (replacing any row with its path) as incomplete; returns the ids of its
        keyframes and of its spans, in the order of `indexed`, for the vector indexes."""
        with self.sessions.begin() as s:
            s.execute(delete(VideoRow).where(VideoRow.path == indexed.info.path))
            video = _video_row(indexed)
            s.add(video)
            segment_rows = [SegmentRow(start=g.start, end=g.end) for g in indexed.segments]
            video.segments = segment_rows
            keyframe_rows = [KeyframeRow(time=k.time, segment=segment_rows[k.segment]) for k in indexed.keyframes]
            s.add_all(keyframe_rows)
            s.flush()
            return [row.id for row in keyframe_rows], _add_spans(s, video.id, indexed.spans)

    @_writes
    def replace_spans(self, video_id: int, modalities: Sequence[Modality], spans: Sequence[TextSpan]) -> list[int]:
        """Swap a complete video's spans of `modalities` for `spans`; returns the new span ids."""
        with self.sessions.begin() as s:
            s.execute(delete(SpanRow).where(SpanRow.video_id == video_id, SpanRow.modality.in_(list(modalities))))
            return _add_spans(s, video_id, spans)

    @_writes
    def set_modalities(self, video_id: int, modalities: Sequence[Modality], language: str | None = None) -> None:
        values: dict[str, str] = {"modalities": ",".join(modalities)}
        if language is not None:
            values["language"] = language
        with self.sessions.begin() as s:
            s.execute(update(VideoRow).where(VideoRow.id == video_id).values(**values))

    @_reads
    def span_ids(self, path: Path, modalities: Sequence[Modality] | None = None) -> dict[Modality, list[int]]:
        """Ids of the spans of the video at `path` by modality (all modalities when None)."""
        query = select(SpanRow.modality, SpanRow.id).join(VideoRow).where(VideoRow.path == path)
        if modalities is not None:
            query = query.where(SpanRow.modality.in_(list(modalities)))
        found: dict[Modality, list[int]] = {}
        with self.sessions() as s:
            for modality, key in s.execute(query):
                found.setdefault(Modality(modality), []).append(key)
        return found

    @_reads
    def spans(self, ids: Sequence[int]) -> dict[int, SpanRecord]:
        """Spans of complete videos by id; ids without a row are left out."""
        query = (
            select(SpanRow, VideoRow)
            .join(VideoRow, SpanRow.video_id == VideoRow.id)
            .where(SpanRow.id.in_(list(ids)), VideoRow.complete, _lists(SpanRow.modality))
        )
        with self.sessions() as s:
            return {r.id: _span(r, _video(v)) for r, v in s.execute(query)}

    @_reads
    def keyword(
        self, match: str, modality: Modality, limit: int, language: str | None = None
    ) -> list[tuple[int, float]]:
        """(span id, BM25 score, higher is better) of `modality`'s spans matching the FTS5 query
        `match`, best first; with `language`, only spans of videos in that spoken language."""
        spoken = " JOIN videos ON videos.id = spans.video_id AND videos.language = :language" if language else ""
        query = text(
            f"SELECT spans.id, -bm25(spans_fts) FROM spans_fts JOIN spans ON spans.id = spans_fts.rowid{spoken} "
            "WHERE spans_fts MATCH :match AND spans.modality = :modality ORDER BY bm25(spans_fts) LIMIT :limit"
        )
        values = {"match": match, "modality": str(modality), "limit": limit, "language": language}
        with self.engine.connect() as connection:
            return [(int(key), float(score)) for key, score in connection.execute(query, values)]

    @_reads
    def keyword_grams(self, match: str, modality: Modality, limit: int) -> list[tuple[int, float]]:
        """(span id, BM25 score) of `modality`'s spans whose CJK pairs (`span_grams`) match the
        FTS5 query `match`, best first; none from an index of version 3, which has no pairs."""
        query = text(
            "SELECT spans.id, -bm25(span_grams_fts) FROM span_grams_fts JOIN spans ON spans.id = span_grams_fts.rowid "
            "WHERE span_grams_fts MATCH :match AND spans.modality = :modality ORDER BY bm25(span_grams_fts) "
            "LIMIT :limit"
        )
        with self.engine.connect() as connection:
            if not connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'span_grams_fts'").first():
                return []
            rows = connection.execute(query, {"match": match, "modality": str(modality), "limit": limit})
            return [(int(key), float(score)) for key, score in rows]

    @_reads
    def languages(self) -> list[str]:
        """The spoken languages of the complete videos (ISO 639-1; '' for unknown), sorted."""
        with self.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT DISTINCT language FROM videos WHERE complete ORDER BY language")
            return [str(language) for (language,) in rows]

    @_reads
    def video_by_id(self, video_id: int) -> VideoRecord | None:
        with self.sessions() as s:
            row = s.get(VideoRow, video_id)
            return _video(row) if row is not None and row.complete else None

    @_reads
    def segment(self, segment_id: int) -> tuple[SegmentRecord, VideoRecord, list[tuple[int, float]]] | None:
        """A segment of a complete video, its video, and its keyframes as (id, time)."""
        with self.sessions() as s:
            row = s.get(SegmentRow, segment_id)
            if row is None or not row.video.complete:
                return None
            keyframes = [(k.id, k.time) for k in sorted(row.keyframes, key=lambda k: k.time)]
            return _segment(row), _video(row.video), keyframes

    @_reads
    def span_ids_between(self, video_id: int, start: float, end: float) -> dict[Modality, list[int]]:
        """Ids of a video's spans that overlap [start, end) seconds, by modality (listed ones only)."""
        query = (
            select(SpanRow.modality, SpanRow.id)
            .join(VideoRow, SpanRow.video_id == VideoRow.id)
            .where(SpanRow.video_id == video_id, SpanRow.start < end, SpanRow.end > start, _lists(SpanRow.modality))
        )
        found: dict[Modality, list[int]] = {}
        with self.sessions() as s:
            for modality, key in s.execute(query):
                found.setdefault(Modality(modality), []).append(key)
        return found

    @_reads
    def overlapping(self, video_id: int, start: float, end: float) -> list[SegmentRecord]:
        """Segments of a video that overlap [start, end) seconds, in time order."""
        query = select(SegmentRow).where(
            SegmentRow.video_id == video_id, SegmentRow.start < max(end, start + 1e-3), SegmentRow.end > start
        )
        with self.sessions() as s:
            return [_segment(r) for r in s.scalars(query.order_by(SegmentRow.start))]

    @_reads
    def keyframe_ids(self, path: Path) -> list[int]:
        """Ids of the keyframes of the video at `path`, complete or not."""
        with self.sessions() as s:
            query = select(KeyframeRow.id).join(SegmentRow).join(VideoRow).where(VideoRow.path == path)
            return list(s.scalars(query))

    @_writes
    def delete_video(self, path: Path) -> bool:
        with self.sessions.begin() as s:
            found = s.scalars(select(VideoRow.id).where(VideoRow.path == path)).first()
            if found is not None:
                s.execute(delete(VideoRow).where(VideoRow.id == found))
            return found is not None

    @_reads
    def incomplete(self) -> list[Path]:
        with self.sessions() as s:
            return list(s.scalars(select(VideoRow.path).where(VideoRow.complete.is_(False))))

    @_writes
    def mark_complete(self, paths: Iterable[Path]) -> None:
        with self.sessions.begin() as s:
            s.execute(update(VideoRow).where(VideoRow.path.in_(list(paths))).values(complete=True))

    @_reads
    def get_meta(self, key: str) -> str | None:
        with self.sessions() as s:
            row = s.get(MetaRow, key)
            return row.value if row is not None else None

    @_writes
    def set_meta(self, key: str, value: str) -> None:
        with self.sessions.begin() as s:
            s.merge(MetaRow(key=key, value=value))

    @_writes
    def delete_meta(self, key: str) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(MetaRow).where(MetaRow.key == key))

    @_writes
    def set_incomplete(self, path: Path) -> bool:
        """Hide the video at `path` from searches (the first step of removing it); False when the
        index has no such video."""
        with self.sessions.begin() as s:
            found = s.scalars(select(VideoRow.id).where(VideoRow.path == path)).first()
            if found is not None:
                s.execute(update(VideoRow).where(VideoRow.id == found).values(complete=False))
            return found is not None

    @_writes
    def drop_unfinished(self) -> tuple[list[Path], dict[Path, int]]:
        """Delete, in one transaction, the incomplete videos (with everything of theirs) and the
        spans of complete videos in modalities the video does not list (an interrupted
        `Store.extend`). Returns (deleted video paths, {video path: spans deleted})."""
        unlisted = select(SpanRow.id, VideoRow.path).join(VideoRow).where(VideoRow.complete, ~_lists(SpanRow.modality))
        with self.sessions.begin() as s:
            paths = list(s.scalars(select(VideoRow.path).where(VideoRow.complete.is_(False))))
            stray: dict[Path, int] = {}
            keys = []
            for key, path in s.execute(unlisted):
                keys.append(key)
                stray[path] = stray.get(path, 0) + 1
            s.execute(delete(VideoRow).where(VideoRow.complete.is_(False)))
            if keys:
                s.execute(delete(SpanRow).where(SpanRow.id.in_(keys)))
            return paths, stray

    @_reads
    def unlisted_spans(self) -> dict[Path, int]:
        """{video path: spans} of complete videos' spans in modalities the video does not list."""
        query = select(VideoRow.path, func.count()).join(SpanRow).where(VideoRow.complete, ~_lists(SpanRow.modality))
        with self.sessions() as s:
            return {path: int(n) for path, n in s.execute(query.group_by(VideoRow.path))}

    @_reads
    def vector_owners(self, kind: Modality) -> set[int]:
        """Ids of the rows that own a vector in `<kind>.faiss`: the keyframes of complete videos
        (kind "visual"; a keyframe is stored only with its vector), or the spans of modality
        `kind` of complete videos that list it (when the index has a sentence model)."""
        if kind == Modality.VISUAL:
            query = select(KeyframeRow.id).join(SegmentRow).join(VideoRow).where(VideoRow.complete)
        else:
            query = select(SpanRow.id).join(VideoRow).where(SpanRow.modality == kind, VideoRow.complete, _lists(kind))
        with self.sessions() as s:
            return set(s.scalars(query))

    @_reads
    def owning_videos(self, kind: Modality, ids: Iterable[int]) -> dict[Path, int]:
        """{video path: how many of `ids` it owns} for keyframe ("visual") or span ids."""
        keys = list(ids)
        if kind == Modality.VISUAL:
            query = select(VideoRow.path, KeyframeRow.id).select_from(KeyframeRow).join(SegmentRow).join(VideoRow)
            query = query.where(KeyframeRow.id.in_(keys))
        else:
            query = select(VideoRow.path, SpanRow.id).select_from(SpanRow).join(VideoRow).where(SpanRow.id.in_(keys))
        found: dict[Path, int] = {}
        with self.sessions() as s:
            for path, _key in s.execute(query):
                found[path] = found.get(path, 0) + 1
        return found

    @_reads
    def listing(self, modality: Modality) -> list[Path]:
        """Complete videos that list `modality`."""
        with self.sessions() as s:
            query = select(VideoRow.path).where(VideoRow.complete, _lists(modality)).order_by(VideoRow.path)
            return list(s.scalars(query))

    def integrity(self, quick: bool = False) -> list[str]:
        """What `PRAGMA integrity_check` (`quick_check` with `quick`: no index contents) finds
        wrong with the database file, a line each (empty when sound; the damage in words when it
        cannot even be opened). IndexUnreadable when the system refuses to read it."""
        try:
            with self.engine.connect() as connection:
                pragma = "quick_check" if quick else "integrity_check"
                rows = [str(r[0]) for r in connection.exec_driver_sql(f"PRAGMA {pragma}")]
        except DBAPIError as exc:
            refused = read_refused(exc.orig)
            if refused is not None:
                raise IndexUnreadable(self.path.parent, refused) from exc
            return [damage(exc.orig) or str(exc.orig)]
        return [] if rows == ["ok"] else [line for row in rows for line in row.splitlines() if line.strip()]

    def keyword_index_problem(self) -> str | None:
        """Why the FTS5 keyword indexes do not match the spans table, or None when they do.

        Runs FTS5's 'integrity-check' with rank 1 on both, which also compares an index with its
        external content table (without it, SQLite 3.40 checks the index only), and compares the
        spans' CJK pairs (`span_grams`) with their text."""
        try:
            with self.engine.connect() as connection:
                for table in ("spans_fts", "span_grams_fts"):
                    connection.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
                stored = {int(key): str(pairs) for key, pairs in connection.exec_driver_sql("SELECT * FROM span_grams")}
                expected = _expected_grams(connection)
                connection.rollback()
        except DatabaseError as exc:
            refused = write_refused(exc.orig)
            if refused is not None:
                raise IndexWriteError(self.path.parent, refused) from exc
            return f"the keyword index does not match the spans ({exc.orig})"
        if stored != expected:
            wrong = len(set(stored.items()) ^ set(expected.items()))
            return f"the CJK keyword index does not match the spans ({wrong} row(s) differ)"
        return None

    @_writes
    def rebuild_keyword_index(self) -> None:
        """Rebuild the FTS5 keyword indexes from the spans table (the CJK pairs anew from its text)."""
        with self.engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO spans_fts(spans_fts) VALUES ('rebuild')")
            connection.exec_driver_sql("DELETE FROM span_grams")
            _fill_grams(connection)
            connection.exec_driver_sql("INSERT INTO span_grams_fts(span_grams_fts) VALUES ('rebuild')")

    @_reads
    def keyframes(self, ids: Sequence[int]) -> dict[int, KeyframeRecord]:
        """Keyframes of complete videos by id; ids without a row (stale vectors) are left out."""
        with self.sessions() as s:
            query = (
                select(KeyframeRow, SegmentRow, VideoRow)
                .join(SegmentRow, KeyframeRow.segment_id == SegmentRow.id)
                .join(VideoRow, SegmentRow.video_id == VideoRow.id)
                .where(KeyframeRow.id.in_(list(ids)), VideoRow.complete)
            )
            return {k.id: KeyframeRecord(k.id, k.time, _segment(g), _video(v)) for k, g, v in s.execute(query)}

    @_reads
    def stale(self) -> list[Path]:
        """Complete videos a salvage marked to be indexed again (`STALE_SIZE`)."""
        with self.sessions() as s:
            query = select(VideoRow.path).where(VideoRow.complete, VideoRow.size == STALE_SIZE).order_by(VideoRow.path)
            return list(s.scalars(query))

    @_reads
    def vector_owner_count(self, kind: Modality) -> int:
        """How many rows own a vector in `<kind>.faiss` (see `vector_owners`)."""
        if kind == Modality.VISUAL:
            query = select(func.count()).select_from(KeyframeRow).join(SegmentRow).join(VideoRow)
            query = query.where(VideoRow.complete)
        else:
            query = select(func.count()).select_from(SpanRow).join(VideoRow)
            query = query.where(SpanRow.modality == kind, VideoRow.complete, _lists(kind))
        with self.sessions() as s:
            return int(s.scalar(query) or 0)

    @_reads
    def span_texts(self, ids: Sequence[int]) -> dict[int, str]:
        """{span id: its text} (what its sentence vector was made of) for the spans of `ids`."""
        found: dict[int, str] = {}
        keys = list(ids)
        with self.sessions() as s:
            for start in range(0, len(keys), CHUNK):
                query = select(SpanRow.id, SpanRow.text).where(SpanRow.id.in_(keys[start : start + CHUNK]))
                found.update((int(key), words) for key, words in s.execute(query))
        return found

    @_reads
    def keyframe_times(self, ids: Sequence[int]) -> dict[Path, list[tuple[int, float]]]:
        """{video path: [(keyframe id, time), ...] in time order} for the keyframes of `ids`."""
        found: dict[Path, list[tuple[int, float]]] = {}
        keys = list(ids)
        with self.sessions() as s:
            for start in range(0, len(keys), CHUNK):
                query = (
                    select(VideoRow.path, KeyframeRow.id, KeyframeRow.time)
                    .select_from(KeyframeRow)
                    .join(SegmentRow)
                    .join(VideoRow)
                    .where(KeyframeRow.id.in_(keys[start : start + CHUNK]))
                )
                for path, key, moment in s.execute(query):
                    found.setdefault(path, []).append((int(key), float(moment)))
        return {path: sorted(times, key=lambda kt: kt[1]) for path, times in found.items()}

    @_reads
    def counts(self) -> tuple[int, int, int]:
        """(videos, segments, keyframes) of complete videos."""
        with self.sessions() as s:
            videos = s.scalar(select(func.count()).select_from(VideoRow).where(VideoRow.complete)) or 0
            done = select(VideoRow.id).where(VideoRow.complete)
            segments = s.scalar(select(func.count()).select_from(SegmentRow).where(SegmentRow.video_id.in_(done))) or 0
            keyframes = s.scalar(
                select(func.count()).select_from(KeyframeRow).join(SegmentRow).where(SegmentRow.video_id.in_(done))
            )
            return videos, segments, keyframes or 0


def _video_row(indexed: IndexedVideo) -> VideoRow:
    info = indexed.info
    return VideoRow(
        path=info.path,
        content_hash=indexed.content_hash,
        size=indexed.size,
        mtime=indexed.mtime,
        duration=info.duration,
        fps=info.fps,
        width=info.width,
        height=info.height,
        rotation=info.rotation,
        has_audio=info.has_audio,
        has_video=info.has_video,
        tracks=json.dumps([[t.language, t.title, t.default] for t in info.tracks]) if info.tracks else "",
        codec=info.codec,
        modalities=",".join(indexed.modalities),
        language=indexed.language,
        complete=False,
        indexed_at=time.time(),
    )


def _model(row: ModelRow) -> ModelRecord:
    role = model_role(row.modality)
    return ModelRecord(role, row.model, row.dim, row.available, row.reason, row.config, row.weights)


def _video(row: VideoRow) -> VideoRecord:
    return VideoRecord(
        row.id,
        row.path,
        row.content_hash,
        row.size,
        row.mtime,
        row.duration,
        row.fps,
        row.width,
        row.height,
        known_modalities(row.modalities.split(",")),
        row.language,
        row.has_video,
        tuple(AudioTrack(n, *track) for n, track in enumerate(json.loads(row.tracks))) if row.tracks else (),
    )


def _segment(row: SegmentRow) -> SegmentRecord:
    return SegmentRecord(row.id, row.video_id, row.start, row.end)


def _add_spans(session, video_id: int, spans: Sequence[TextSpan]) -> list[int]:  # type: ignore[no-untyped-def]
    rows = [
        SpanRow(
            video_id=video_id,
            modality=span.modality,
            start=span.start,
            end=span.end,
            text=span.text,
            confidence=span.confidence,
            words=json.dumps([[round(w.start, 3), round(w.end, 3), w.text] for w in span.words]) if span.words else "",
            track=span.track,
        )
        for span in spans
    ]
    session.add_all(rows)
    session.flush()
    pairs = [SpanGramRow(id=row.id, grams=textmatch.grams(row.text)) for row in rows]
    session.add_all([row for row in pairs if row.grams])
    session.flush()
    return [row.id for row in rows]


def _span(row: SpanRow, video: VideoRecord) -> SpanRecord:
    words = tuple(Word(a, b, w) for a, b, w in json.loads(row.words)) if row.words else ()
    return SpanRecord(
        row.id, video, Modality(row.modality), row.start, row.end, row.text, row.confidence, words, row.track
    )


# --- salvaging a damaged index.db -------------------------------------------------------------

"""The durable record of which TaskRouter reservation belongs to which batch (dynamic partition).

Plain Python and SQLAlchemy Core; a SQLite file by default, PostgreSQL in production. Every write for a scope
is serialized: on PostgreSQL by locking the scope's row with SELECT ... FOR UPDATE, on SQLite by starting every
transaction with BEGIN IMMEDIATE. A unique constraint on (scope, reservation_id) backs the rule that a
reservation lands in exactly one batch of its scope.
"""

from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Connection, Engine, make_url

from .client import validate_reservation_ids
from .errors import FlexInsightsConfigError, LedgerError, UnknownBatchError

__all__ = ["Batch", "RecordResult", "ReservationLedger"]

CLOSE_REASON_FULL = "full"
CLOSE_REASON_AGE = "age"

# Seconds a SQLite connection waits for another writer before giving up with "database is locked".
_SQLITE_BUSY_TIMEOUT_SECONDS = 60.0
_POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
# Bound on the number of ids in one IN (...) list; SQLite builds before 3.32 allow 999 parameters.
_IN_CHUNK = 500
_MAX_TEXT = 255


class _UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as UTC and always read back tz-aware, on SQLite as well as PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("the ledger only stores tz-aware datetimes")
        value = value.astimezone(timezone.utc)
        # SQLite has no time zone type; storing naive UTC keeps the text sortable and unambiguous.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


_metadata = sa.MetaData()

_scopes = sa.Table(
    "flex_segments_scopes",
    _metadata,
    sa.Column("scope", sa.String(_MAX_TEXT), primary_key=True),
    sa.Column("last_batch_number", sa.Integer, nullable=False),
    sa.Column("last_closed_seq", sa.Integer, nullable=False),
)

_batches = sa.Table(
    "flex_segments_batches",
    _metadata,
    sa.Column("scope", sa.String(_MAX_TEXT), sa.ForeignKey("flex_segments_scopes.scope"), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("opened_at", _UTCDateTime, nullable=False),
    sa.Column("closed_at", _UTCDateTime, nullable=True),
    sa.Column("close_reason", sa.String(16), nullable=True),
    sa.Column("closed_seq", sa.Integer, nullable=True),
    sa.UniqueConstraint("scope", "key", name="flex_segments_batches_scope_key"),
    sa.UniqueConstraint("scope", "closed_seq", name="flex_segments_batches_scope_closed_seq"),
    sa.CheckConstraint("size >= 0", name="flex_segments_batches_size"),
    sa.CheckConstraint(
        "(closed_at IS NULL AND close_reason IS NULL AND closed_seq IS NULL)"
        " OR (closed_at IS NOT NULL AND close_reason IN ('full', 'age') AND closed_seq >= 1)",
        name="flex_segments_batches_closed",
    ),
)

# At most one open batch per scope.
sa.Index(
    "flex_segments_batches_one_open",
    _batches.c.scope,
    unique=True,
    postgresql_where=_batches.c.closed_at.is_(None),
    sqlite_where=_batches.c.closed_at.is_(None),
)

_reservations = sa.Table(
    "flex_segments_reservations",
    _metadata,
    sa.Column("scope", sa.String(_MAX_TEXT), primary_key=True),
    sa.Column("reservation_id", sa.String(_MAX_TEXT), primary_key=True),
    sa.Column("batch_number", sa.Integer, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.ForeignKeyConstraint(
        ["scope", "batch_number"],
        ["flex_segments_batches.scope", "flex_segments_batches.number"],
        name="flex_segments_reservations_batch",
    ),
    sa.UniqueConstraint("scope", "batch_number", "position", name="flex_segments_reservations_position"),
)


@dataclass(frozen=True)
class Batch:
    """One batch of reservations in a scope; once closed it is a Dagster dynamic partition."""

    key: str
    scope: str
    size: int
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    closed_seq: int | None


@dataclass(frozen=True)
class RecordResult:
    """What one call of ReservationLedger.record() changed."""

    added: list[str]
    already_recorded: int
    closed: list[Batch]


@dataclass
class _OpenBatch:
    """The mutable working copy of a scope's open batch inside one record() transaction."""

    number: int
    key: str
    size: int
    opened_at: datetime
    is_new: bool
    size_changed: bool = False


class ReservationLedger:
    """Records reservations of one scope into batches in a SQL database shared by sensors and runs."""

    def __init__(self, url: str, *, scope: str = "default") -> None:
        if not isinstance(scope, str) or not scope.strip() or len(scope) > _MAX_TEXT:
            raise FlexInsightsConfigError(
                f"ledger scope must be a non-empty string of at most {_MAX_TEXT} characters, got {scope!r}"
            )
        self._url = _parse_url(url)
        self._secrets = _url_secrets(self._url)
        self._display = _display_url(self._url)
        self._scope = scope
        self._engine = self._create_engine()
        try:
            self._create_tables()
        except BaseException:
            self._engine.dispose()
            raise

    @property
    def url_for_display(self) -> str:
        """The database URL with any password masked, for messages and logs."""
        return self._display

    @property
    def scope(self) -> str:
        """The scope this ledger records into; scopes never share batches."""
        return self._scope

    def __repr__(self) -> str:
        return f"ReservationLedger(url={self._display!r}, scope={self._scope!r})"

    def dispose(self) -> None:
        """Close every pooled database connection."""
        self._engine.dispose()

    def record(
        self,
        reservation_ids: Iterable[str],
        *,
        batch_size: int,
        max_batch_age: timedelta,
        now: datetime | None = None,
    ) -> RecordResult:
        """Append new reservation ids to the scope's batches and close full or aged batches, atomically."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise FlexInsightsConfigError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        if not isinstance(max_batch_age, timedelta) or max_batch_age < timedelta(0):
            raise FlexInsightsConfigError(
                f"max_batch_age must be a non-negative datetime.timedelta, got {max_batch_age!r}"
            )
        now = _utc_now() if now is None else _require_aware(now)
        if isinstance(reservation_ids, str):
            raise TypeError("reservation_ids must be an iterable of ids, not a single string")
        # Materialize and validate before the transaction: a closed batch must never hold an id that cannot
        # be fetched, and a failing iterator must not leave anything half-done.
        unique_ids = validate_reservation_ids(list(reservation_ids))
        with self._transaction("record reservations") as conn:
            return self._record(conn, unique_ids, batch_size, max_batch_age, now)

    def closed_batches_after(self, closed_seq: int, limit: int | None = None) -> list[Batch]:
        """Closed batches of the scope whose closed_seq is greater than the given one, by closed_seq."""
        if limit is not None and limit < 0:
            raise FlexInsightsConfigError(f"limit must be None or >= 0, got {limit!r}")
        if limit == 0:
            return []
        query = (
            sa.select(_batches)
            .where(
                _batches.c.scope == self._scope,
                _batches.c.closed_seq.is_not(None),
                _batches.c.closed_seq > closed_seq,
            )
            .order_by(_batches.c.closed_seq)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._transaction("read closed batches") as conn:
            return [self._batch_from_row(row) for row in conn.execute(query)]

    def open_batch(self) -> Batch | None:
        """The scope's open batch, or None when there is none."""
        query = sa.select(_batches).where(_batches.c.scope == self._scope, _batches.c.closed_at.is_(None))
        with self._transaction("read the open batch") as conn:
            row = conn.execute(query).first()
        return None if row is None else self._batch_from_row(row)

    def batch(self, key: str) -> Batch:
        """The batch with this partition key; UnknownBatchError if the scope has none."""
        with self._transaction("read a batch") as conn:
            row = self._batch_row(conn, key)
        return self._batch_from_row(row)

    def reservation_ids(self, key: str) -> list[str]:
        """The reservation ids of a closed batch, in the order they were added."""
        with self._transaction("read a batch's reservations") as conn:
            row = self._batch_row(conn, key)
            if row.closed_at is None:
                raise LedgerError(
                    f"batch {key!r} in scope {self._scope!r} of the reservation ledger at {self._display} "
                    "is still open; only closed batches may be materialized, because an open batch can "
                    "still grow. Wait for the sensor to close it (it closes at the batch size or the "
                    "maximum batch age) and its partition to be added."
                )
            ids = conn.execute(
                sa.select(_reservations.c.reservation_id)
                .where(_reservations.c.scope == self._scope, _reservations.c.batch_number == row.number)
                .order_by(_reservations.c.position)
            ).scalars()
            return list(ids)

    # -- internals -----------------------------------------------------------------------------------

    def _record(
        self,
        conn: Connection,
        unique_ids: list[str],
        batch_size: int,
        max_batch_age: timedelta,
        now: datetime,
    ) -> RecordResult:
        last_batch_number, last_closed_seq = self._lock_scope(conn)
        known = self._already_recorded(conn, unique_ids)
        new_ids = [rid for rid in unique_ids if rid not in known]

        closed_numbers: list[int] = []
        rows: list[dict[str, Any]] = []
        current = self._load_open_batch(conn)

        def close(batch: _OpenBatch, reason: str) -> None:
            nonlocal last_closed_seq
            last_closed_seq += 1
            self._write_batch(conn, batch, closed=(now, reason, last_closed_seq))
            closed_numbers.append(batch.number)

        if current is not None:
            # batch_size may have been lowered since the batch opened; it must not grow past the new size.
            if current.size >= batch_size:
                close(current, CLOSE_REASON_FULL)
                current = None
            elif now - current.opened_at >= max_batch_age:
                close(current, CLOSE_REASON_AGE)
                current = None

        for rid in new_ids:
            if current is None:
                last_batch_number += 1
                current = _OpenBatch(
                    number=last_batch_number,
                    key=_batch_key(now, last_batch_number),
                    size=0,
                    opened_at=now,
                    is_new=True,
                )
                # The row must exist before its reservations reference it.
                self._write_batch(conn, current)
                current.is_new = False
            rows.append(
                {
                    "scope": self._scope,
                    "reservation_id": rid,
                    "batch_number": current.number,
                    "position": current.size,
                }
            )
            current.size += 1
            current.size_changed = True
            if current.size >= batch_size:
                close(current, CLOSE_REASON_FULL)
                current = None

        if rows:
            conn.execute(sa.insert(_reservations), rows)
        if current is not None and current.size_changed:
            self._write_batch(conn, current)
        conn.execute(
            sa.update(_scopes)
            .where(_scopes.c.scope == self._scope)
            .values(last_batch_number=last_batch_number, last_closed_seq=last_closed_seq)
        )

        closed: list[Batch] = []
        if closed_numbers:
            result = conn.execute(
                sa.select(_batches)
                .where(_batches.c.scope == self._scope, _batches.c.number.in_(closed_numbers))
                .order_by(_batches.c.closed_seq)
            )
            closed = [self._batch_from_row(row) for row in result]
        return RecordResult(added=new_ids, already_recorded=len(known), closed=closed)

    def _lock_scope(self, conn: Connection) -> tuple[int, int]:
        """Lock the scope's counter row for the rest of the transaction, creating it if missing."""
        query = (
            sa.select(_scopes.c.last_batch_number, _scopes.c.last_closed_seq)
            .where(_scopes.c.scope == self._scope)
            .with_for_update()
        )
        row = conn.execute(query).first()
        if row is None:
            self._insert_scope_row(conn)
            row = conn.execute(query).one()
        return int(row.last_batch_number), int(row.last_closed_seq)

    def _insert_scope_row(self, conn: Connection) -> None:
        values = {"scope": self._scope, "last_batch_number": 0, "last_closed_seq": 0}
        dialect = conn.dialect.name
        if dialect == "postgresql":
            conn.execute(pg_dialect.insert(_scopes).values(values).on_conflict_do_nothing())
        elif dialect == "sqlite":
            conn.execute(sqlite_dialect.insert(_scopes).values(values).on_conflict_do_nothing())
        else:
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(_scopes).values(values))
            except sa_exc.IntegrityError:
                pass  # another process created it first

    def _already_recorded(self, conn: Connection, ids: Sequence[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            result = conn.execute(
                sa.select(_reservations.c.reservation_id).where(
                    _reservations.c.scope == self._scope, _reservations.c.reservation_id.in_(chunk)
                )
            )
            known.update(result.scalars())
        return known

    def _load_open_batch(self, conn: Connection) -> _OpenBatch | None:
        row = conn.execute(
            sa.select(_batches).where(_batches.c.scope == self._scope, _batches.c.closed_at.is_(None))
        ).first()
        if row is None:
            return None
        return _OpenBatch(number=row.number, key=row.key, size=row.size, opened_at=row.opened_at, is_new=False)

    def _write_batch(
        self,
        conn: Connection,
        batch: _OpenBatch,
        closed: tuple[datetime, str, int] | None = None,
    ) -> None:
        values: dict[str, Any] = {"size": batch.size}
        if closed is not None:
            values.update(closed_at=closed[0], close_reason=closed[1], closed_seq=closed[2])
        if batch.is_new:
            conn.execute(
                sa.insert(_batches).values(
                    scope=self._scope, number=batch.number, key=batch.key, opened_at=batch.opened_at, **values
                )
            )
            return
        # Only an open batch is ever updated: closed batches are immutable.
        result = conn.execute(
            sa.update(_batches)
            .where(
                _batches.c.scope == self._scope,
                _batches.c.number == batch.number,
                _batches.c.closed_at.is_(None),
            )
            .values(**values)
        )
        if result.rowcount != 1:
            raise LedgerError(
                f"batch {batch.key!r} in scope {self._scope!r} of the reservation ledger at {self._display} "
                "was closed by someone else while this transaction held the scope lock; nothing was recorded"
            )

    def _batch_row(self, conn: Connection, key: str) -> sa.Row[Any]:
        row = None
        if isinstance(key, str):
            row = conn.execute(
                sa.select(_batches).where(_batches.c.scope == self._scope, _batches.c.key == key)
            ).first()
        if row is None:
            raise UnknownBatchError(
                f"no batch with key {key!r} in scope {self._scope!r} of the reservation ledger at "
                f"{self._display}. Partition keys come from this ledger: check that the sensor and the run "
                "use the same ledger URL (FLEX_SEGMENTS_LEDGER_URL) and scope, or delete the stale dynamic "
                "partition if the ledger was reset."
            )
        return row

    def _batch_from_row(self, row: sa.Row[Any]) -> Batch:
        return Batch(
            key=row.key,
            scope=row.scope,
            size=row.size,
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            close_reason=row.close_reason,
            closed_seq=row.closed_seq,
        )

    def _create_engine(self) -> Engine:
        url = self._url
        backend = url.get_backend_name()
        kwargs: dict[str, Any] = {}
        connect_args: dict[str, Any] = {}
        if backend == "sqlite":
            _make_sqlite_parent_dir(url, self._display)
            if "timeout" not in url.query:
                connect_args["timeout"] = _SQLITE_BUSY_TIMEOUT_SECONDS
        elif backend == "postgresql":
            kwargs["pool_pre_ping"] = True
            if url.get_driver_name() == "psycopg2" and "connect_timeout" not in url.query:
                connect_args["connect_timeout"] = _POSTGRES_CONNECT_TIMEOUT_SECONDS
        try:
            engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as exc:
            raise FlexInsightsConfigError(
                f"cannot use {self._display} as the reservation ledger: {self._scrub(str(exc))}"
            ) from exc
        if backend == "sqlite":
            _serialize_sqlite_writers(engine)
        return engine

    def _create_tables(self) -> None:
        with self._transaction("create the ledger tables") as conn:
            if conn.dialect.name == "postgresql":
                # CREATE TABLE IF NOT EXISTS still races in PostgreSQL; one creator at a time.
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_ADVISORY_LOCK_KEY)))
            _metadata.create_all(conn, checkfirst=True)

    @contextlib.contextmanager
    def _transaction(self, action: str) -> Iterator[Connection]:
        """A transaction whose database errors become LedgerError without leaking the password."""
        try:
            with self._engine.begin() as conn:
                yield conn
        except sa_exc.SQLAlchemyError as exc:
            raise LedgerError(
                f"could not {action} in the reservation ledger at {self._display} "
                f"(scope {self._scope!r}): {self._describe(exc)}"
            ) from exc

    def _describe(self, exc: sa_exc.SQLAlchemyError) -> str:
        """A one-line summary of a database error, without the SQL text and without the password."""
        if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
            text = f"{type(exc.orig).__name__}: {exc.orig}"
        else:
            text = f"{type(exc).__name__}: {exc}"
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        return self._scrub(" ".join(lines[:3]))

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


_SECRET_QUERY_KEYS = ("password", "secret", "token", "passfile", "sslkey")


def _is_secret_key(key: str) -> bool:
    return any(part in key.lower() for part in _SECRET_QUERY_KEYS)


def _url_secrets(url: URL) -> tuple[str, ...]:
    """Every secret the URL carries: its password, and values of query keys such as ?password=."""
    found = [url.password] if isinstance(url.password, str) and url.password else []
    for key, value in url.query.items():
        if _is_secret_key(key):
            found.extend(v for v in ((value,) if isinstance(value, str) else value) if v)
    return tuple(sorted(set(found), key=len, reverse=True))


def _display_url(url: URL) -> str:
    """The URL with its password and secret query values shown as ***."""
    masked = {key: "***" for key in url.query if _is_secret_key(key)}
    if masked:
        url = url.update_query_dict(masked)
    return url.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


_ADVISORY_LOCK_KEY = zlib.crc32(b"flex_segments_dagster.ledger.create_tables")

_sqlite_dirs_lock = threading.Lock()


def _parse_url(url: str | URL) -> URL:
    try:
        return make_url(url)
    except (sa_exc.ArgumentError, ValueError, TypeError):
        # The text of a malformed URL may hold a password, so neither it nor the parser's error is kept.
        raise FlexInsightsConfigError(
            "the reservation ledger URL is not a valid SQLAlchemy URL; expected e.g. "
            "sqlite:////var/dagster/ledger.db or postgresql+psycopg2://user:***@host:5432/dbname"
        ) from None


def _make_sqlite_parent_dir(url: URL, display: str) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    parent = Path(database).expanduser().parent
    try:
        with _sqlite_dirs_lock:
            parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerError(
            f"could not create the directory {str(parent)!r} for the reservation ledger at {display}: {exc}"
        ) from exc


def _serialize_sqlite_writers(engine: Engine) -> None:
    """Make every SQLite transaction BEGIN IMMEDIATE, so writers queue on the busy timeout instead of failing."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the sqlite3 module, decide when a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _batch_key(opened_at: datetime, number: int) -> str:
    return f"{opened_at.astimezone(timezone.utc):%Y%m%d}-{number:06d}"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _require_aware(now: datetime) -> datetime:
    if not isinstance(now, datetime):
        raise FlexInsightsConfigError(f"now must be a datetime, got {now!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise FlexInsightsConfigError(
            f"now must be a tz-aware datetime (e.g. datetime.now(timezone.utc)), got naive {now!r}"
        )
    return now.astimezone(timezone.utc)

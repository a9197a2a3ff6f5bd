"""PostgreSQL connections that speak the storage modules' SQLite-flavoured SQL (the dialect layer).

Storage functions are written once, in SQL both databases accept (``?`` placeholders,
``ON CONFLICT``, ``RETURNING``); this adapter turns ``?`` into psycopg's ``%s``, gives rows
that index by name and position like ``sqlite3.Row``, and maps the few statements that
differ (``BEGIN IMMEDIATE``). Everything else that differs lives behind :func:`is_pg`.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg import adapt, pq
from psycopg.rows import RowMaker

log = logging.getLogger(__name__)
NOTIFY_CHANNEL = "opencx_jobs"
_STATEMENTS = {"BEGIN IMMEDIATE": "BEGIN", "BEGIN EXCLUSIVE": "BEGIN"}


class Row:
    """A result row like sqlite3.Row: ``row[0]``, ``row["name"]``, ``dict(row)``."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=True))!r})"


def _row_factory(cursor: psycopg.Cursor[Any]) -> RowMaker[Row]:
    names = [d.name for d in cursor.description or ()]
    index = {n: i for i, n in enumerate(names)}
    return functools.partial(Row, index)


class _NumericLoader(adapt.Loader):
    """SUM() and friends return numeric: load whole numbers as int, others as float."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        return float(text) if "." in text or "e" in text.lower() else int(text)


class _BoolAsInt(adapt.Dumper):
    """The schema stores flags as integers (as SQLite does): dump True/False as 1/0."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


@functools.lru_cache(maxsize=4096)
def translate(sql: str, with_args: bool = True) -> str:
    """SQLite-flavoured SQL -> psycopg: ``?`` placeholders become ``%s`` (``%`` is escaped)."""
    sql = _STATEMENTS.get(sql.strip(), sql)
    return sql.replace("%", "%%").replace("?", "%s") if with_args else sql


class Cursor:
    """The part of sqlite3.Cursor the storage modules use."""

    def __init__(self, cur: psycopg.Cursor[Row]) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def fetchone(self) -> Row | None:
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self) -> list[Row]:
        return self._cur.fetchall() if self._cur.description else []

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class PgConnection:
    """One psycopg connection in autocommit mode; transactions are explicit BEGIN/COMMIT, as
    with the SQLite connections, so the writer's batching code is the same for both."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self.touched_queues: set[str] = set()
        self._conn = connect(url)

    def execute(self, sql: str, args: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        cur = self._conn.cursor()
        cur.execute(translate(sql, bool(args)), args or None)  # type: ignore[arg-type]
        return Cursor(cur)

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(translate(sql), seq)

    def executescript(self, script: str) -> None:
        self._conn.execute(script.encode(), prepare=False)

    @property
    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status != pq.TransactionStatus.IDLE

    @property
    def broken(self) -> bool:
        return self._conn.closed or self._conn.broken

    def reconnect(self) -> None:
        """After the server went away (restart, fail-over): a fresh session."""
        self.close()
        self._conn = connect(self.url)

    def notify(self, queues: set[str]) -> None:
        """Wake the other instances' workers; NOTIFY is sent on COMMIT of this transaction."""
        self._conn.execute("SELECT pg_notify(%s, q) FROM unnest(%s::text[]) AS q",
                           (NOTIFY_CHANNEL, sorted(queues)))

    @property
    def raw(self) -> psycopg.Connection[Row]:
        return self._conn

    def close(self) -> None:
        if not self._conn.closed:
            self._conn.close()


def connect(url: str, *, autocommit: bool = True) -> psycopg.Connection[Row]:
    """A psycopg connection with our row type and loaders; synchronous_commit stays on."""
    conn = psycopg.connect(url, autocommit=autocommit, row_factory=_row_factory,
                           options="-c synchronous_commit=on")
    conn.prepare_threshold = 0  # the same few statements all day: parse them once
    conn.adapters.register_loader("numeric", _NumericLoader)
    conn.adapters.register_dumper(bool, _BoolAsInt)
    return conn


def is_pg(conn: Any) -> bool:
    """True for a PostgreSQL connection (the few statements that differ ask this)."""
    return getattr(conn, "dialect", "sqlite") == "postgresql"


def is_url(target: Any) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL without its password, for logs and `status`."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)

"""Move an SQLite installation's data into an empty PostgreSQL database (one transaction)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gateway.storage import migrations, pgschema
from gateway.storage.pg import PgConnection

SKIP = ("sqlite_", "_sqlite_migrations")


def _tables_in_order(src: sqlite3.Connection) -> list[str]:
    """Tables (not virtual or FTS shadow ones), each after the tables it references."""
    names = [r[0] for r in src.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        " ORDER BY name") if not r[0].startswith(SKIP)]
    refs = {n: {r[2] for r in src.execute(f"PRAGMA foreign_key_list('{n}')")} for n in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        for n in names:
            if n not in ordered and refs[n] <= {*ordered, n}:
                ordered.append(n)
    return ordered


def copy_sqlite_to_postgres(path: Path, url: str) -> dict[str, int]:
    """Bring both schemas up to date, then COPY every row; returns rows per table.

    The daemon must be stopped (the SQLite file is read as it is). Refuses a target that
    already holds data, so running it twice cannot mix two installations."""
    if not Path(path).is_file():
        raise ValueError(f"{path}: no such SQLite database")
    migrations.migrate(Path(path))
    pgschema.migrate(url)
    src = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    dst = PgConnection(url)
    counts: dict[str, int] = {}
    try:
        existing = {r[0] for r in dst.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='public'")}
        tables = [t for t in _tables_in_order(src) if t in existing]
        dst.execute("BEGIN")
        for table in tables:
            if dst.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                raise ValueError(f"target database is not empty ({table} has rows)")
        for table in tables:
            counts[table] = _copy_table(src, dst, table)
        dst.execute("COMMIT")
    except BaseException:
        if not dst.broken and dst.in_transaction:
            dst.execute("ROLLBACK")
        raise
    finally:
        src.close()
        dst.close()
    return counts


def _copy_table(src: sqlite3.Connection, dst: PgConnection, table: str) -> int:
    pg_cols = {r[0] for r in dst.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name=?", (table,))}
    cols = [r[1] for r in src.execute(f"PRAGMA table_info('{table}')") if r[1] in pg_cols]
    col_list = ", ".join(cols)
    n = 0
    with dst.raw.cursor().copy(f"COPY {table} ({col_list}) FROM STDIN") as copy:
        for row in src.execute(f"SELECT {col_list} FROM {table}"):
            copy.write_row(row)
            n += 1
    seq = dst.execute("SELECT pg_get_serial_sequence(?, 'id')", (table,)).fetchone() \
        if "id" in cols and n else None
    if seq and seq[0]:  # identity ids continue after the copied rows
        dst.execute(f"SELECT setval(?, (SELECT MAX(id) FROM {table}))", (seq[0],))
    return n

"""Does the gateway stay as fast at 1M sessions as on an empty database? Same run, ratios.

Usage: .venv/bin/python -m bench.growth [--sizes 10000,100000] [--keep DIR]
       OPENCX_BENCH_GROWTH_SIZES=10000,100000,1000000 make bench   (the full run, ~10 min)

Fills one SQLite file step by step (5,000 sessions per write through the storage functions
and the normal writer: a session = inbound mail, customer mail, AI reply, outgoing mail)
and, on the empty database and at each size, measures through the same functions the
daemon uses:

- ingest: the SMTP handler's durable write (raw 1 KiB mail + process job), 20 at a time;
- Inbox page / status page: what `GET /` and `GET /?status=ai` read (50 rows, counts);
- search: `GET /?q=` for one contact's address and for a word in 2 % of subjects;
- threading lookup: a contact's latest open session, run inside the writer's transaction,
  for a contact holding 1.23 % of all sessions (12,300 at 1M) and for a typical one;
- bytes per message: the database file over the number of stored messages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.config import Signature
from gateway.render import compose_body
from gateway.storage import queues, sessions
from gateway.storage.db import Database, WriteConnection
from gateway.web import model

BATCH = 5000
HEAVY = "heavy@customer.test"
HEAVY_EVERY = 81  # one session in 81 (1.23 %) belongs to the heavy contact
CONTACTS = 250_000
TOPICS = ["Password reset", "Invoice question", "Refund request", "Login problem",
          "Shipping delay", "Change of address", "Cancel subscription", "API error",
          "Feature request", "Account locked", "Billing cycle", "Export data",
          "Two-factor setup", "Wrong charge", "Delivery damaged", "Upgrade plan",
          "Downgrade plan", "Missing email", "Slow dashboard", "Team invite",
          "Single sign-on", "Data retention", "Privacy request", "Receipt copy",
          "Coupon code", "Order status", "Return label", "Warranty claim",
          "Integration help", "Webhook failing", "Mobile app crash", "Language setting",
          "Time zone wrong", "Report bug", "Closing account", "Storage full",
          "Password expired", "Payment failed", "VAT number", "Price question",
          "Trial extension", "Partner program", "Press inquiry", "Security report",
          "Domain verify", "Email bounce", "Calendar sync", "Printer setup",
          "Audit log", "Hello"]  # fmt: skip
COMMON_WORD = "refund"  # one topic in 50: 2 % of subjects
NAMES = ["Jane Doe", "Zoë Martin", "Ahmed Ali", "Li Wei", "Olga Petrova", "Juan García"]
SIG = Signature(domain="*", text="ACME Support", html="<p><b>ACME</b> Support</p>")
REPLY_MD = ("Thanks for writing in. Open **Settings → Security**, choose *Reset password* "
            "and follow the [link](https://acme.test/reset).\n\n- check spam\n- 24 h\n")


def mail_bytes(i: int, contact: str, subject: str) -> bytes:
    body = ("Hello, I have a question about my account. " * 20)[:800]
    return (f"From: {contact}\r\nTo: help@acme.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <m{i}@customer.test>\r\nDate: Mon, 1 Dec 2026 10:00:00 +0000\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def contact_of(i: int) -> str:
    if i % HEAVY_EVERY == 0:
        return HEAVY
    return f"user{(i * 2654435761) % CONTACTS}@customer{i % 97}.test"


def fill(db: Database, start: int, stop: int, reply: Any, outgoing_raw: bytes) -> None:
    """Sessions start..stop-1, BATCH per write, through the storage functions."""
    for first in range(start, stop, BATCH):
        last = min(stop, first + BATCH)

        def write(conn: WriteConnection, first: int = first, last: int = last) -> None:
            for i in range(first, last):
                _one_session(conn, i, reply, outgoing_raw)

        db.write_sync(write)


def _one_session(conn: WriteConnection, i: int, reply: Any, outgoing_raw: bytes) -> None:
    now = 1.7e9 + i * 10.0
    contact = contact_of(i)
    subject = f"{TOPICS[i % len(TOPICS)]} #{i}"
    raw = mail_bytes(i, contact, subject)
    inbound_id = f"in{i:012d}"
    sessions.insert_inbound(conn, id=inbound_id, now=now, peer="127.0.0.1:1", helo="mx",
                            mail_from=contact, rcpt_tos=["help@acme.test"], raw=raw)
    sid = sessions.create_session(
        conn, token=f"t{i}", support_address="help@acme.test", contact_email=contact,
        contact_name=NAMES[i % len(NAMES)], subject=subject, now=now)
    row = sessions.add_message(
        conn, session_id=sid, role="customer", now=now, inbound_id=inbound_id,
        message_id=f"<m{i}@customer.test>", subject=subject, author=contact,
        text=raw[-800:].decode(), full_text=raw[-800:].decode())
    ai = sessions.add_message(
        conn, session_id=sid, role="ai", now=now + 1, message_id=f"<r{i}@gw.test>",
        in_reply_to=f"<m{i}@customer.test>", subject=f"Re: {subject}",
        author="help@acme.test", text=REPLY_MD, full_text=reply.text, html=reply.html,
        external_id=f"ai-reply:{row}")
    sessions.insert_outgoing(conn, session_id=sid, message_row=ai, message_id=f"<r{i}@gw.test>",
                             mail_from="help@acme.test", rcpt_to=contact, raw=outgoing_raw,
                             now=now + 1)
    sessions.mark_inbound(conn, inbound_id, state="processed", kind="normal",
                          message_id=f"<m{i}@customer.test>", session_id=sid)
    status = ("closed", "closed", "closed", "closed", "ai", "ai", "handed_off")[i % 7]
    if status != "ai":
        sessions.update_session(conn, sid, now + 2, status=status)


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


async def amedian_ms(fn: Callable[[], Any], runs: int) -> float:
    await fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


async def ingest_rate(db: Database, size: int) -> float:
    """Median of 3 rounds (after a warm-up) of 300 mails through the SMTP handler's write."""
    rates = [await _ingest_round(db, f"{size}-{r}", 300 if r else 50) for r in range(4)]
    return statistics.median(rates[1:])


async def _ingest_round(db: Database, tag: str, mails: int, concurrency: int = 20) -> float:
    """Mails/s through the SMTP handler's durable write (inbound row + job), 20 at a time."""
    raw = mail_bytes(0, "x@customer.test", "Ingest")
    sem = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        inbound_id = f"ingest{tag}-{n}"

        def store(conn: WriteConnection) -> None:
            now = time.time()
            sessions.insert_inbound(conn, id=inbound_id, now=now, peer="127.0.0.1:2",
                                    helo="mx", mail_from="x@customer.test",
                                    rcpt_tos=["help@acme.test"], raw=raw)
            queues.enqueue(conn, "bench-ingest", {"inbound_id": inbound_id}, now=now,
                           max_attempts=1, dedupe_key=f"bench:{inbound_id}")

        async with sem:
            await db.write(store)

    start = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(mails)))
    return mails / (time.perf_counter() - start)


def lookup_ms(db: Database, contact: str, runs: int = 200) -> float:
    """latest_session_for_contact as the pipeline runs it: inside the writer's transaction."""

    def write(conn: WriteConnection) -> float:
        def probe() -> None:
            sessions.latest_session_for_contact(conn, contact, ("handed_off",))
            sessions.latest_session_for_contact(conn, contact, ("ai",))

        return median_ms(probe, runs)

    return float(db.write_sync(write))


class _Gw:
    def __init__(self, db: Database) -> None:
        self.db = db


async def measure(db: Database, size: int) -> dict[str, float]:
    gw = _Gw(db)
    typical = contact_of(max(1, size - 2)) if size else "nobody@customer.test"

    def page(**kw: Any) -> Callable[[], Any]:
        return lambda: model.inbox(gw, limit=50, offset=0, **{"status": None, "q": None, **kw})

    out = {
        "ingest msg/s": await ingest_rate(db, size),
        "Inbox page ms": await amedian_ms(page(), 30),
        "Inbox status page ms": await amedian_ms(page(status="ai"), 30),
        "search contact ms": await amedian_ms(page(q=typical), 30),
        f"search '{COMMON_WORD}' (2 %) ms": await amedian_ms(page(q=COMMON_WORD), 10),
        "lookup heavy contact ms": lookup_ms(db, HEAVY),
        "lookup typical contact ms": lookup_ms(db, typical),
    }
    messages = db.read_sync(lambda c: sum(sessions.count_sessions(c).values())) * 2
    out["bytes/message"] = db.path.stat().st_size / messages if messages else 0.0
    return out


async def run(sizes: list[int], where: Path) -> None:
    db = Database(where / "growth.db").open()
    reply = compose_body(markdown=REPLY_MD, signature=SIG)
    outgoing_raw = (b"From: help@acme.test\r\n" + reply.text.encode() + reply.html.encode())
    try:
        results: list[tuple[int, dict[str, float], float]] = []
        done = 0
        for size in [0, *sizes]:
            start = time.perf_counter()
            await asyncio.to_thread(fill, db, done, size, reply, outgoing_raw)
            fill_s = time.perf_counter() - start
            os.sync()  # the fill's dirty pages would otherwise slow the next fsyncs
            done = max(done, size)
            results.append((size, await measure(db, size), fill_s))
            print(f"  measured at {size:,} sessions (fill {fill_s:.0f} s)", flush=True)
        report(results)
    finally:
        db.close()


def report(results: list[tuple[int, dict[str, float], float]]) -> None:
    base = results[0][1]
    names = list(base)
    header = f"{'measure':32s}" + "".join(f"{'empty' if s == 0 else f'{s:,}':>20s}"
                                          for s, _, _ in results)
    print(header)
    for name in names:
        cells = []
        for _, figures, _ in results:
            value, ref = figures[name], base[name]
            ratio = f" ({value / ref:.2f}x)" if ref and figures is not base else ""
            cells.append(f"{value:,.2f}{ratio}".rjust(20))
        print(f"{name:32s}" + "".join(cells))
    print("ratios are against the empty database, same run; goals at 1M: Inbox page <= 10 ms,"
          " search <= 20 ms, lookup <= 0.1 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("OPENCX_BENCH_GROWTH_SIZES", "10000,100000")
    parser.add_argument("--sizes", default=default, help="comma-separated session counts")
    parser.add_argument("--keep", type=Path, help="fill this directory and keep the file")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(sizes, args.keep))
        return
    where = Path(tempfile.mkdtemp(prefix="opencx-growth-"))
    try:
        asyncio.run(run(sizes, where))
    finally:
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Dev check, not part of the suite: run the pure mail functions over a directory of .eml files.

    .venv/bin/python -m tests.smtp_parse.corpus_check [DIR ...]   (default: ../shared/corpus)

Prints one line per file (timing, ids, sender, kind, customer, stripped length) and exits 1
if any function raised. Use it on corpora that must not be copied into the repository.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

from gateway.smtp.identify import identify_customer
from gateway.smtp.loops import classify
from gateway.smtp.parse import normalize_email, parse_message
from gateway.smtp.quotes import strip_quotes
from gateway.smtp.tokens import session_token_from_ids

OWN = ("support@example.com", "support+example.com@gateway.localhost", "verify@gateway.localhost")
DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def check(path: Path) -> bool:
    raw = path.read_bytes()
    try:
        start = time.perf_counter()
        mail = parse_message(raw)
        envelope = normalize_email(mail.headers.get("return-path", ""))
        if "return-path" not in mail.headers and mail.from_addr:
            envelope = mail.from_addr.email  # what the MTA would most likely have seen
        kind = classify(mail, envelope, OWN)
        who = identify_customer(mail, envelope, OWN)
        stripped = strip_quotes(mail.text, mail.html)
        session_token_from_ids(mail.in_reply_to + mail.references, "gateway.localhost")
        ms = (time.perf_counter() - start) * 1000
    except Exception:  # a dev tool: report every failure and keep going
        print(f"FAIL {path.name}")
        traceback.print_exc()
        return False
    print(
        f"{ms:6.1f}ms {path.name[:40]:40} {kind.kind:12} from={mail.from_addr} "
        f"customer={who} att={len(mail.attachments)} text={len(mail.text)} "
        f"new={len(stripped)} defects={','.join(mail.defects)}"
    )
    return True


def main(argv: list[str]) -> int:
    dirs = [Path(a) for a in argv] or [DEFAULT]
    files = sorted(p for d in dirs for p in d.rglob("*.eml"))
    results = [check(p) for p in files]
    print(f"{len(files)} files, {results.count(False)} failures")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

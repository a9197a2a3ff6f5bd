"""Knowledge-base index: Markdown files split at headings into an SQLite FTS5 table, ranked by bm25.

The index has its own connection (in-memory by default), separate from the gateway's
database: it is rebuilt from the Markdown files at start-up and is read-only afterwards.
"""

from __future__ import annotations

import asyncio
import math
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import ConfigError

TOKENIZER = "porter unicode61 remove_diacritics 2"
# bm25 column weights: the section's own heading, the headings above it, the body.
WEIGHTS = (3.0, 1.0, 1.0)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TERM_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class KbSection:
    id: str  # "<file stem>#<heading slug>", stable across rebuilds
    title: str  # the section's own heading
    trail: str  # headings from the top of the file down to this one: "Billing › Invoices"
    body: str  # Markdown under the heading, up to the next heading

    @property
    def context(self) -> str:
        """The headings above this one (the trail without the section's own title)."""
        return self.trail.rpartition(" › ")[0]


@dataclass(frozen=True)
class KbHit:
    section: KbSection
    score: float  # -bm25(): higher is better, > 0 for a match
    matched: frozenset[str]  # the query terms this section contains


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "section"


def split_markdown(text: str, doc_id: str) -> list[KbSection]:
    """Split one Markdown document at ATX headings (# .. ######), ignoring fenced code."""
    sections: list[KbSection] = []
    trail: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False
    seen: dict[str, int] = {}

    def flush() -> None:
        content = "\n".join(body).strip()
        body.clear()
        if not content:
            return
        title = trail[-1][1] if trail else doc_id.replace("-", " ").replace("_", " ").title()
        slug = slugify(title)
        seen[slug] = seen.get(slug, 0) + 1
        suffix = f"-{seen[slug]}" if seen[slug] > 1 else ""
        path = " › ".join(t for _, t in trail) or title
        sections.append(KbSection(f"{doc_id}#{slug}{suffix}", title, path, content))

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            body.append(line)
            continue
        flush()
        level = len(match.group(1))
        trail[:] = [t for t in trail if t[0] < level] + [(level, match.group(2))]
    flush()
    return sections


def load_sections(folder: Path) -> list[KbSection]:
    """Every section of every *.md file under ``folder`` (sorted by path, so ids are stable)."""
    if not folder.is_dir():
        raise ConfigError(f"agent.knowledge_base: {folder} is not a directory")
    sections: list[KbSection] = []
    for path in sorted(folder.rglob("*.md")):
        doc_id = path.relative_to(folder).with_suffix("").as_posix()
        sections.extend(split_markdown(path.read_text(encoding="utf-8"), doc_id))
    if not sections:
        raise ConfigError(f"agent.knowledge_base: no Markdown sections in {folder}")
    return sections


class KnowledgeIndex:
    """A read-only FTS5 index of KB sections with bm25 ranking; safe to query from threads."""

    def __init__(self, sections: Iterable[KbSection], *, path: str | Path = ":memory:") -> None:
        self._sections = list(sections)
        self._lock = threading.Lock()
        self._rows_by_term: dict[str, frozenset[int]] = {}
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        with self._conn:
            self._conn.execute("DROP TABLE IF EXISTS kb")
            self._conn.execute(
                "CREATE VIRTUAL TABLE kb USING fts5(title, context, body,"
                f" tokenize='{TOKENIZER}')"
            )
            self._conn.executemany(
                "INSERT INTO kb (rowid, title, context, body) VALUES (?, ?, ?, ?)",
                [(i, s.title, s.context, s.body) for i, s in enumerate(self._sections)],
            )

    @classmethod
    def from_folder(cls, folder: Path, *, path: str | Path = ":memory:") -> KnowledgeIndex:
        return cls(load_sections(folder), path=path)

    def __len__(self) -> int:
        return len(self._sections)

    @property
    def sections(self) -> tuple[KbSection, ...]:
        return tuple(self._sections)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def search(self, terms: Sequence[str], limit: int = 5) -> list[KbHit]:
        """Sections matching any of ``terms`` (OR), best bm25 first; ties by file order."""
        terms = [t for t in dict.fromkeys(terms) if t]
        if not terms:
            return []
        expr = " OR ".join(_quote(t) for t in terms)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT rowid, bm25(kb, {', '.join(map(str, WEIGHTS))}) AS r FROM kb"
                " WHERE kb MATCH ?"
                " ORDER BY r, rowid LIMIT ?",
                (expr, limit),
            ).fetchall()
            per_term = {t: self._rows_for(t) for t in terms}
        return [
            KbHit(
                self._sections[rowid],
                -rank,
                frozenset(t for t in terms if rowid in per_term[t]),
            )
            for rowid, rank in rows
        ]

    async def asearch(self, terms: Sequence[str], limit: int = 5) -> list[KbHit]:
        return await asyncio.to_thread(self.search, terms, limit)

    def document_frequency(self, term: str) -> int:
        with self._lock:
            return len(self._rows_for(term))

    def idf(self, term: str) -> float:
        """FTS5's own bm25 IDF of ``term`` in this index."""
        return self.idf_for(self.document_frequency(term))

    def idf_for(self, df: int) -> float:
        """FTS5's bm25 IDF for a document frequency: ln((N - df + 0.5) / (df + 0.5)) >= 1e-6."""
        n = len(self._sections)
        return max(math.log((n - df + 0.5) / (df + 0.5)), 1e-6)

    def _rows_for(self, term: str) -> frozenset[int]:
        """Rowids containing ``term`` (after the tokenizer's stemming); caller holds the lock."""
        cached = self._rows_by_term.get(term)
        if cached is None:
            if len(self._rows_by_term) >= _TERM_CACHE_SIZE:
                self._rows_by_term.clear()
            rows = self._conn.execute(
                "SELECT rowid FROM kb WHERE kb MATCH ?", (_quote(term),)
            ).fetchall()
            cached = self._rows_by_term[term] = frozenset(r[0] for r in rows)
        return cached


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'

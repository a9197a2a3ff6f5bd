"""Choose the signature for a sender domain: exact, then most specific wildcard, then "*"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.config import Signature

CATCH_ALL = "*"
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


@dataclass(frozen=True)
class Resolution:
    """Which signature applies, the pattern that chose it, and a sentence saying why."""

    signature: Signature | None
    pattern: str | None
    why: str


def domain_of(address_or_domain: str) -> str:
    """Lower-cased domain of ``user@domain``, ``<user@domain>`` or a bare domain."""
    value = address_or_domain.strip().strip("<>").strip()
    return value.rpartition("@")[2].strip().rstrip(".").lower()


def normalize_pattern(pattern: str) -> str:
    """Lower-case a configured pattern and drop a trailing dot."""
    return pattern.strip().rstrip(".").lower()


def pattern_problem(pattern: str) -> str | None:
    """Why a configured ``domain`` pattern can never match, or None if it is well-formed."""
    p = normalize_pattern(pattern)
    if p == CATCH_ALL:
        return None
    base = p[2:] if p.startswith("*.") else p
    if not _DOMAIN_RE.match(base):
        return (
            f"{pattern!r} is not a domain, '*.domain' or '*' "
            "(a wildcard must be the whole first label)"
        )
    return None


def _wildcard_matches(pattern: str, domain: str) -> bool:
    return pattern.startswith("*.") and domain.endswith(pattern[1:])


def resolve_signature(address_or_domain: str, signatures: Sequence[Signature]) -> Resolution:
    """Pick the signature for a sender; precedence exact > longest '*.suffix' > '*'.

    Matching is case-insensitive. ``*.example.com`` matches ``sub.example.com`` and
    ``a.sub.example.com`` but not ``example.com``. When two entries share a pattern,
    the first one in the configuration wins.
    """
    domain = domain_of(address_or_domain)
    if not signatures:
        return Resolution(None, None, f"no signatures are configured, so {domain} gets none")
    first: dict[str, Signature] = {}
    for sig in signatures:
        first.setdefault(normalize_pattern(sig.domain), sig)
    if domain in first:
        return Resolution(first[domain], domain, f"exact match: {domain} has its own signature")
    wildcards = sorted((p for p in first if _wildcard_matches(p, domain)), key=len, reverse=True)
    if wildcards:
        best = wildcards[0]
        others = f" (more specific than {', '.join(wildcards[1:])})" if wildcards[1:] else ""
        return Resolution(
            first[best], best, f"wildcard {best} matches {domain}{others}; no exact entry"
        )
    if CATCH_ALL in first:
        return Resolution(
            first[CATCH_ALL],
            CATCH_ALL,
            f"no exact or wildcard entry for {domain}; using the catch-all '*'",
        )
    configured = ", ".join(first)
    return Resolution(
        None, None, f"no entry matches {domain} (configured: {configured}) and there is no '*'"
    )


def signature_problems(signatures: Sequence[Signature]) -> list[str]:
    """Human sentences for `doctor`: malformed patterns, duplicates, empty signatures."""
    problems: list[str] = []
    seen: set[str] = set()
    for index, sig in enumerate(signatures):
        where = f"signatures[{index}] ({sig.domain})"
        problem = pattern_problem(sig.domain)
        if problem:
            problems.append(f"{where}: {problem}")
        key = normalize_pattern(sig.domain)
        if key in seen:
            problems.append(f"{where}: duplicate of an earlier entry, which wins; this is unused")
        seen.add(key)
        if not sig.text.strip() and not sig.html.strip():
            problems.append(f"{where}: both text and html are empty, so nothing is appended")
    return problems

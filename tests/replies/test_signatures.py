"""Signature precedence: exact > most specific '*.suffix' > '*' > none; case-insensitive."""

from __future__ import annotations

import pytest

from gateway.config import Signature
from gateway.signatures import domain_of, resolve_signature, signature_problems

SIGS = [
    Signature(domain="*", text="catch-all"),
    Signature(domain="*.example.com", text="example wildcard"),
    Signature(domain="*.eu.example.com", text="eu wildcard"),
    Signature(domain="example.com", text="example exact"),
    Signature(domain="Shop.Example.COM", text="shop exact"),
    Signature(domain="acme.test", text="acme"),
]


@pytest.mark.parametrize(
    ("sender", "pattern", "text"),
    [
        ("rep@example.com", "example.com", "example exact"),
        ("rep@EXAMPLE.com", "example.com", "example exact"),
        ("example.com", "example.com", "example exact"),
        ("<rep@example.com>", "example.com", "example exact"),
        ("rep@shop.example.com", "shop.example.com", "shop exact"),
        ("rep@mail.example.com", "*.example.com", "example wildcard"),
        ("rep@a.b.example.com", "*.example.com", "example wildcard"),
        ("rep@paris.eu.example.com", "*.eu.example.com", "eu wildcard"),
        ("rep@eu.example.com", "*.example.com", "example wildcard"),
        ("rep@badexample.com", "*", "catch-all"),
        ("rep@example.com.evil.test", "*", "catch-all"),
        ("rep@acme.test", "acme.test", "acme"),
        ("rep@sub.acme.test", "*", "catch-all"),
        ("rep@other.org", "*", "catch-all"),
        ("rep@example.com.", "example.com", "example exact"),
    ],
)
def test_precedence_table(sender: str, pattern: str, text: str) -> None:
    res = resolve_signature(sender, SIGS)
    assert res.pattern == pattern
    assert res.signature is not None and res.signature.text == text
    assert res.why


def test_wildcard_does_not_match_its_bare_domain() -> None:
    res = resolve_signature("rep@example.com", [Signature(domain="*.example.com", text="w")])
    assert res.signature is None and res.pattern is None
    assert "no entry matches example.com" in res.why


def test_no_signatures_configured() -> None:
    res = resolve_signature("rep@example.com", [])
    assert res == resolve_signature("example.com", ())
    assert res.signature is None and "no signatures are configured" in res.why


def test_first_of_duplicates_wins_and_doctor_says_so() -> None:
    sigs = [Signature(domain="a.test", text="first"), Signature(domain="A.test", text="second")]
    res = resolve_signature("x@a.test", sigs)
    assert res.signature is not None and res.signature.text == "first"
    assert any("duplicate" in p for p in signature_problems(sigs))


def test_why_explains_the_choice() -> None:
    assert "exact" in resolve_signature("r@example.com", SIGS).why
    why = resolve_signature("r@x.eu.example.com", SIGS).why
    assert "*.eu.example.com" in why and "more specific than *.example.com" in why
    assert "catch-all" in resolve_signature("r@nowhere.test", SIGS).why


def test_problems_for_doctor() -> None:
    sigs = [
        Signature(domain="ex*.com", text="x"),
        Signature(domain="*.ok.test", text=""),
        Signature(domain="fine.test", text="x"),
    ]
    problems = signature_problems(sigs)
    assert len(problems) == 2
    assert "ex*.com" in problems[0] and "empty" in problems[1]
    assert signature_problems(SIGS) == []


def test_domain_of() -> None:
    assert domain_of(" Jane.Doe@Sub.Example.COM ") == "sub.example.com"
    assert domain_of("Example.com.") == "example.com"

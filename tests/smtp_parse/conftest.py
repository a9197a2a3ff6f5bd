"""Shared helpers for the smtp_parse tests: the .eml fixtures and the addresses they use."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.smtp.parse import ParsedMail, parse_message

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
HOSTNAME = "gateway.localhost"
SUPPORT = ("support@example.com",)
# what the pipeline passes as "own": support addresses, their forward targets, the verify sender
OWN = ("support@example.com", "support+example.com@gateway.localhost", "verify@gateway.localhost")


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_mail(name: str) -> ParsedMail:
    return parse_message(fixture_bytes(name))


def all_fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.glob("*.eml"))


@pytest.fixture
def mail_of():
    return fixture_mail

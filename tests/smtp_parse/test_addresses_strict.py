"""Issue 10 point 2c: the address is the header's addr-spec, never a display name."""

from __future__ import annotations

import pytest

from gateway.smtp.identify import identify_customer
from gateway.smtp.parse import Address as A
from gateway.smtp.parse import parse_addresses, parse_message

SUPPORT = ("support@example.com",)


def _customer(from_value: str, envelope: str = "env@env.example") -> A | None:
    raw = f"From: {from_value}\r\nTo: support@example.com\r\nSubject: x\r\n\r\nhi\r\n".encode()
    return identify_customer(parse_message(raw), envelope, SUPPORT)


@pytest.mark.parametrize("value", [
    '"evil@other.example" <real@customer.example>',
    'evil@other.example <real@customer.example>',
    '=?utf-8?q?evil=40other.example?= <real@customer.example>',
    '"Jane <evil@other.example>" <real@customer.example>',
    'real@customer.example (evil@other.example)',
    '"evil@other.example, x" <real@customer.example>',
])
def test_the_angle_address_wins_and_an_address_like_name_is_dropped(value: str) -> None:
    assert _customer(value) == A("", "real@customer.example")


def test_two_angle_addresses_the_last_one_wins() -> None:
    got = _customer("Jane <evil@other.example> <real@customer.example>")
    assert got == A("Jane", "real@customer.example")


def test_an_undeliverable_address_falls_back_to_the_envelope() -> None:
    # HubSpot refuses x@y (INVALID_EMAIL): never make it the customer
    assert _customer('"not an address@" <x@y>') == A("", "env@env.example")
    assert _customer('not an address@ <x@y>', envelope="") is None


@pytest.mark.parametrize("value,want", [
    ("Jane Doe <jane@customer.example>", (A("Jane Doe", "jane@customer.example"),)),
    ('"Doe, Jane" <jane@customer.example>, bob@b.example',
     (A("Doe, Jane", "jane@customer.example"), A("", "bob@b.example"))),
    ("a@b.example, c@d.example", (A("", "a@b.example"), A("", "c@d.example"))),
    ('"Mueller, Thomas" <T.Mueller@Contoso.example>',
     (A("Mueller, Thomas", "t.mueller@contoso.example"),)),
    ("undisclosed-recipients:;", ()),
    ("Team: a@b.example, Jo <c@d.example>;", (A("", "a@b.example"), A("Jo", "c@d.example"))),
    ('"quoted \\" <x@y.example>" <z@w.example>', (A("", "z@w.example"),)),
])
def test_address_lists(value: str, want: tuple[A, ...]) -> None:
    assert parse_addresses(value) == want

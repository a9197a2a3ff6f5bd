"""HubSpot signature helpers against HubSpot's published vectors (HUBSPOT.md §1.2)."""

from __future__ import annotations

import pytest

from gateway.hubspot.signatures import (
    decode_uri,
    sign_v1,
    sign_v2,
    sign_v3,
    timestamp_fresh,
    verify_v1,
    verify_v2,
    verify_v3,
)

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
V1_DOC_BODY = (
    b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
    b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
    b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
)
PYC_BODY = b"{'example_field':'example_value'}"
URI = "https://www.example.com/webhook_uri"
TS = 1693657560000
V3_EXPECTED = "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="


def test_v1_doc_vector() -> None:
    expected = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    assert sign_v1(SECRET, V1_DOC_BODY) == expected
    assert verify_v1(SECRET, V1_DOC_BODY, expected)
    assert verify_v1(SECRET, V1_DOC_BODY, expected.upper())


def test_v2_doc_vector_empty_get() -> None:
    expected = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
    assert sign_v2(SECRET, "GET", URI, b"") == expected
    assert verify_v2(SECRET, "GET", URI, b"", expected)


def test_v1_client_vector() -> None:
    expected = "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"
    assert sign_v1(SECRET, PYC_BODY) == expected
    assert sign_v1(SECRET, PYC_BODY.decode()) == expected


def test_v2_client_vector() -> None:
    expected = "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"
    assert sign_v2(SECRET, "POST", URI, PYC_BODY) == expected


def test_v3_client_vector() -> None:
    assert sign_v3(SECRET, "POST", URI, PYC_BODY, TS) == V3_EXPECTED
    assert sign_v3(SECRET, "POST", URI, PYC_BODY, str(TS)) == V3_EXPECTED
    assert verify_v3(SECRET, "POST", URI, PYC_BODY, V3_EXPECTED, TS, now=TS / 1000 + 10)


def test_v1_rejects_wrong_secret_body_and_garbage() -> None:
    good = sign_v1(SECRET, V1_DOC_BODY)
    assert not verify_v1("other", V1_DOC_BODY, good)
    assert not verify_v1(SECRET, V1_DOC_BODY + b" ", good)
    assert not verify_v1(SECRET, V1_DOC_BODY, "ünïcode")
    assert not verify_v1(SECRET, V1_DOC_BODY, "")


@pytest.mark.parametrize(("offset", "ok"), [
    (0, True), (299, True), (300, True), (301, False), (-299, True), (-301, False),
])
def test_v3_timestamp_window_both_directions(offset: float, ok: bool) -> None:
    now = TS / 1000 + offset
    assert verify_v3(SECRET, "POST", URI, PYC_BODY, V3_EXPECTED, TS, now=now) is ok


def test_v3_rejects_tampering_and_bad_timestamps() -> None:
    now = TS / 1000
    assert not verify_v3(SECRET, "POST", URI, PYC_BODY + b"x", V3_EXPECTED, TS, now=now)
    assert not verify_v3(SECRET, "PUT", URI, PYC_BODY, V3_EXPECTED, TS, now=now)
    assert not verify_v3(SECRET, "POST", URI + "?a=1", PYC_BODY, V3_EXPECTED, TS, now=now)
    assert not verify_v3(SECRET, "POST", URI, PYC_BODY, V3_EXPECTED, TS + 1, now=now)
    assert not verify_v3(SECRET, "POST", URI, PYC_BODY, V3_EXPECTED, "soon", now=now)
    assert not verify_v3(SECRET, "POST", URI, PYC_BODY, "", TS, now=now)
    assert not timestamp_fresh("", now)


def test_v3_accepts_signature_over_decoded_uri() -> None:
    raw = "https://hooks.example.test/hubspot%3Aapp/in?email=jane%40x.test&q=a%3Fb"
    decoded = "https://hooks.example.test/hubspot:app/in?email=jane@x.test&q=a%3Fb"
    assert decode_uri(raw) == decoded
    now = TS / 1000
    signed_decoded = sign_v3(SECRET, "POST", decoded, b"{}", TS)
    assert verify_v3(SECRET, "POST", raw, b"{}", signed_decoded, TS, now=now)
    signed_raw = sign_v3(SECRET, "POST", raw, b"{}", TS)
    assert verify_v3(SECRET, "POST", raw, b"{}", signed_raw, TS, now=now)
    fully_decoded = decoded.replace("%3F", "?")
    signed_full = sign_v3(SECRET, "POST", fully_decoded, b"{}", TS)
    assert not verify_v3(SECRET, "POST", raw, b"{}", signed_full, TS, now=now)

"""Identify the customer behind an inbound mail: From, Reply-To, group and forward rewrites."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from gateway.smtp.parse import Address, ParsedMail, normalize_email

_NOREPLY = re.compile(
    r"(?:^|[-_.+])(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|no[-_.]?response)"
    r"(?:$|[-_.+\d])"
)
_DAEMON = re.compile(r"(?:mailer|mail)[-_.]?daemon|postmaster|mail[-_.]?delivery[-_.]?system")
_BOUNCE = re.compile(r"(?:^|[-_.+])bounces?(?:$|[-_.+=])|^srs[01][=+-]|^prvs=|^btv1==", re.I)
_BOUNCE_DOMAIN = re.compile(r"(?:^|\.)bounces?\.")
_VIA = re.compile(r"\s+(?:via|über|par l'intermédiaire de)\s+.+$", re.IGNORECASE)
_GROUP_HEADERS = ("x-original-sender", "x-original-from")


def _unvia(name: str) -> str:
    """ "'Jane Roe' via Acme Support" -> "Jane Roe"."""
    return _VIA.sub("", name).strip(" '\"")


def local_part(address: str) -> str:
    return address.rpartition("@")[0].lower()


def is_noreply(address: str) -> bool:
    """noreply@, no-reply@, donotreply@, shop.noreply@, forwarding-noreply@ and the like."""
    return bool(_NOREPLY.search(local_part(address)))


def is_daemon(address: str) -> bool:
    """MAILER-DAEMON@, postmaster@ and other delivery-system senders."""
    return bool(_DAEMON.fullmatch(local_part(address)))


def is_bounce_address(address: str) -> bool:
    """Envelope addresses of bulk senders and forwarders (VERP, SRS, BATV), not people."""
    domain = address.rpartition("@")[2].lower()
    return bool(_BOUNCE.search(local_part(address)) or _BOUNCE_DOMAIN.search(domain))


def without_tag(address: str) -> str:
    """'support+abc@x' -> 'support@x'."""
    local, at, domain = address.partition("@")
    return local.split("+", 1)[0] + at + domain


def address_set(addresses: Collection[str]) -> frozenset[str]:
    """Normalised addresses plus their untagged forms, for membership tests."""
    normalized = {normalize_email(a) for a in addresses} - {""}
    return frozenset(normalized | {without_tag(a) for a in normalized})


def _excluded(mail: ParsedMail, support: frozenset[str]) -> frozenset[str]:
    """Support addresses plus the forwarding mailboxes named in X-Forwarded-For/-To."""
    forwarders = [
        a.email
        for name in ("x-forwarded-for", "x-forwarded-to")
        for a in mail.address_headers.get(name, ())
    ]
    return support | address_set(forwarders)


def is_deliverable(address: str) -> bool:
    """A domain with a dot (or an address literal): ``x@y`` is refused by relays and HubSpot."""
    domain = address.rpartition("@")[2]
    return "." in domain.strip(".") or domain.startswith("[")


def is_person(address: Address | None, excluded: frozenset[str]) -> bool:
    if address is None or not address.email or not is_deliverable(address.email):
        return False
    mail_addr = address.email
    if mail_addr in excluded or without_tag(mail_addr) in excluded:
        return False
    return not (is_noreply(mail_addr) or is_daemon(mail_addr))


def is_rewritten(mail: ParsedMail, excluded: frozenset[str]) -> bool:
    """From was replaced by a group or list (Google Groups "X via Group", DMARC munging)."""
    sender = mail.from_addr
    if sender is None:
        return False
    if not is_person(sender, excluded) or _VIA.search(sender.name):
        return True
    return any(a.email == sender.email for a in mail.address_headers.get("list-post", ()))


def _group_name(mail: ParsedMail, original: Address) -> str:
    """Display name for the original sender of a group/list message."""
    sender = mail.from_addr
    if original.name or sender is None:
        return original.name
    if _VIA.search(sender.name):
        return _unvia(sender.name)
    return sender.name if sender.email == original.email else ""


def _candidates(mail: ParsedMail, excluded: frozenset[str]) -> Iterator[Address]:
    """Addresses that may name the customer, best first."""
    # Groups/lists that rewrite From keep the author here (Google Groups, Mailman).
    for header in _GROUP_HEADERS:
        for found in mail.address_headers.get(header, ()):
            yield Address(_group_name(mail, found), found.email)
    if mail.from_addr is not None and not is_rewritten(mail, excluded):
        yield mail.from_addr
    if mail.reply_to is not None:
        yield mail.reply_to
    for header in ("sender", "resent-from"):
        yield from mail.address_headers.get(header, ())


def header_customer(mail: ParsedMail, support_addresses: Collection[str]) -> Address | None:
    """The customer named by the headers alone (no envelope fallback)."""
    excluded = _excluded(mail, address_set(support_addresses))
    candidates = list(_candidates(mail, excluded))
    for candidate in candidates:
        if is_person(candidate, excluded):
            return _with_best_name(candidate, candidates)
    return None


def _with_best_name(chosen: Address, candidates: list[Address]) -> Address:
    if chosen.name:
        return chosen
    for other in candidates:
        if other.email == chosen.email and other.name:
            return Address(_unvia(other.name), chosen.email)
    return chosen


def identify_customer(
    mail: ParsedMail, envelope_from: str, support_addresses: Collection[str]
) -> Address | None:
    """Who to answer: header identity first, then a person-like envelope sender; never support."""
    found = header_customer(mail, support_addresses)
    if found is not None:
        return found
    envelope = normalize_email(envelope_from)
    excluded = _excluded(mail, address_set(support_addresses))
    candidate = Address("", envelope)
    if envelope and is_person(candidate, excluded) and not is_bounce_address(envelope):
        return candidate
    return None

"""Split an RFC 5322 address-list into (display name, addr-spec) pairs, the angle-addr winning.

The stdlib's ``getaddresses`` (Python 3.11) takes ``evil@x <real@y>`` for two addresses and
the first one for the sender; here an angle-addr is always the mailbox's address and the
text before it only its display name, as RFC 5322 section 3.4 defines.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Mailbox:
    phrase: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    angles: list[str] = field(default_factory=list)

    def pair(self) -> tuple[str, str] | None:
        phrase = " ".join("".join(self.phrase).split())
        comment = " ".join(" ".join(self.comments).split())
        if self.angles:
            addr = self.angles[-1].rpartition(":")[2].strip()  # drop an obsolete route
            return phrase or comment, addr
        if phrase:
            return comment, phrase.replace(" ", "")
        return None


def _quoted(value: str, i: int, closing: str) -> tuple[str, int]:
    """The text of a quoted string starting after value[i - 1], and the index after it."""
    out = []
    while i < len(value) and value[i] != closing:
        if value[i] == "\\" and i + 1 < len(value):
            i += 1
        out.append(value[i])
        i += 1
    return "".join(out), i + 1


def _comment(value: str, i: int) -> tuple[str, int]:
    """A (possibly nested) comment starting after its '(' at value[i - 1]."""
    depth, out = 1, []
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), i


def split_mailboxes(value: str) -> list[tuple[str, str]]:
    """(name, addr) per mailbox, groups flattened; names are raw (RFC 2047 not decoded)."""
    pairs: list[tuple[str, str]] = []
    box, i = _Mailbox(), 0
    while i < len(value):
        ch = value[i]
        if ch == '"':
            text, i = _quoted(value, i + 1, '"')
            box.phrase.append(text)
            continue
        if ch == "(":
            text, i = _comment(value, i + 1)
            box.comments.append(text)
            continue
        if ch == "<":
            text, i = _quoted(value, i + 1, ">")
            box.angles.append(text)
            continue
        if ch in ",;":
            found = box.pair()
            if found:
                pairs.append(found)
            box = _Mailbox()
        elif ch == ":" and not box.angles:
            box = _Mailbox()  # "group-name:" starts a group; the name is not a mailbox
        else:
            box.phrase.append(ch)
        i += 1
    found = box.pair()
    if found:
        pairs.append(found)
    return pairs

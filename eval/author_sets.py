"""Builds eval/sets/*.jsonl from the hand-written mails (eval/mails_*.py, tests/agent/*.yaml).

The questions are hand-written; this script only adds a greeting, a sign-off and a name
(picked with a fixed seed, so the output is stable) and splits each knowledge base's mails
into a tuning half and a test half (alternating within language x expected outcome).
The sample KB's sets are converted as they are: labelled.yaml -> tune, holdout.yaml -> test.
The fresh sets (eval/mails_fresh.py … mails_fresh51.py) were written after the second to
seventh rounds of tuning (fresh7 and fresh8 before the round after that, fresh9 after
round 9; fresh11 to fresh51 by helpers who never read the agent), each committed before
its first run.
Run: .venv/bin/python eval/author_sets.py
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

GREETINGS = {
    "en": ["Hi,", "Hello,", "Hi there,", "Dear support team,", "", "Hey,"],
    "de": ["Hallo,", "Guten Tag,", "Sehr geehrte Damen und Herren,", ""],
    "fr": ["Bonjour,", "Madame, Monsieur,", ""],
    "es": ["Hola,", "Buenos días,", ""],
    "it": ["Buongiorno,", "Salve,", ""],
    "nl": ["Hallo,", "Goedemiddag,", ""],
    "pt": ["Olá,", "Bom dia,", ""],
    "pl": ["Dzień dobry,", "Witam,", ""],
    "ja": ["お世話になっております。", ""],
}
SIGNOFFS = {
    "en": ["Thanks,\n{name}", "Best regards,\n{name}", "Cheers, {name}", "{name}", "Thank you!"],
    "de": ["Viele Grüße\n{name}", "Mit freundlichen Grüßen\n{name}", "Danke, {name}"],
    "fr": ["Cordialement,\n{name}", "Merci,\n{name}"],
    "es": ["Saludos,\n{name}", "Gracias,\n{name}"],
    "it": ["Cordiali saluti,\n{name}", "Grazie,\n{name}"],
    "nl": ["Met vriendelijke groet,\n{name}", "Groeten, {name}"],
    "pt": ["Obrigado,\n{name}", "Cumprimentos,\n{name}"],
    "pl": ["Pozdrawiam,\n{name}", "Z poważaniem,\n{name}"],
    "ja": ["よろしくお願いいたします。\n{name}"],
}
NAMES = {
    "en": ["Sarah Collins", "Mike O'Brien", "Aisha Khan", "Tom Reed", "Jenny Wu", "Oliver Grant"],
    "de": ["Jonas Becker", "Anna Schmitt", "Lukas Wagner", "Mia Hoffmann"],
    "fr": ["Camille Martin", "Hugo Bernard", "Léa Dubois"],
    "es": ["Lucía García", "Javier López", "Carmen Ruiz"],
    "it": ["Giulia Rossi", "Marco Bianchi", "Chiara Romano"],
    "nl": ["Sanne de Vries", "Daan Jansen"],
    "pt": ["Ana Silva", "João Costa", "Beatriz Santos"],
    "pl": ["Katarzyna Nowak", "Piotr Kowalski"],
    "ja": ["佐藤 健", "鈴木 花子", "高橋 直樹"],
}


def wrap(rng: random.Random, lang: str, body: str) -> tuple[str, str]:
    name = rng.choice(NAMES[lang])
    first = name.split()[-1] if lang == "ja" else name.split()[0]
    greeting = rng.choice(GREETINGS[lang])
    signoff = rng.choice(SIGNOFFS[lang]).format(name=first)
    text = "\n\n".join(p for p in (greeting, body, signoff) if p)
    return name, text + "\n"


def from_rows(kb: str, rows: list[tuple], seed: int) -> list[dict]:
    rng = random.Random(seed)
    mails = []
    for n, (lang, expect, target, subject, body) in enumerate(rows, start=1):
        mail = {"id": f"{kb}-{n:03d}-{lang}", "kb": kb, "language": lang}
        if isinstance(body, list):  # a conversation: (role, text) turns, the last one wrapped
            name, last = wrap(rng, lang, body[-1][1])
            turns = [{"role": r, "text": t} for r, t in body[:-1]]
            mail.update(name=name, subject=subject,
                        turns=[*turns, {"role": body[-1][0], "text": last}])
        else:
            name, text = wrap(rng, lang, body)
            mail.update(name=name, subject=subject, body=text)
        mail["expect"] = expect
        if expect == "answer":
            mail["docs"] = list(target)
        else:
            mail["reason"] = target
        mails.append(mail)
    return mails


def split(mails: list[dict]) -> tuple[list[dict], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for mail in mails:
        groups[(mail["language"], mail["expect"])].append(mail)
    tune, test = [], []
    for members in groups.values():
        for i, mail in enumerate(members):
            (tune if i % 2 == 0 else test).append(mail)
    order = {m["id"]: i for i, m in enumerate(mails)}
    return sorted(tune, key=lambda m: order[m["id"]]), sorted(test, key=lambda m: order[m["id"]])


def from_yaml(path: Path) -> list[dict]:
    mails = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        mail = {"id": f"sample-{item['id']}", "kb": "sample", "language": item["lang"],
                "name": item.get("name") or "", "subject": item.get("subject", "")}
        if "turns" in item:
            mail["turns"] = item["turns"]
        else:
            mail["body"] = item["text"]
        if item["expect"] == "reply":
            mail["expect"] = "answer"
            mail["docs"] = list(item.get("docs") or [])
        else:
            mail["expect"] = "escalate"
            mail["reason"] = item["reason"]
        mails.append(mail)
    return mails


def write(path: Path, mails: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for mail in mails:
            out.write(json.dumps(mail, ensure_ascii=False) + "\n")


def main() -> None:
    from mails_harbor import MAILS as HARBOR
    from mails_lumen import MAILS as LUMEN

    out = HERE / "sets"
    out.mkdir(exist_ok=True)
    for kb, rows, seed in (("lumen", LUMEN, 11), ("harbor", HARBOR, 23)):
        tune, test = split(from_rows(kb, rows, seed))
        write(out / f"{kb}-tune.jsonl", tune)
        write(out / f"{kb}-test.jsonl", test)
    from mails_fresh import MAILS as FRESH  # written after round 2 of tuning, run once
    from mails_fresh2 import MAILS as FRESH2  # written after round 3 of tuning, run once
    from mails_fresh3 import MAILS as FRESH3  # written after round 4 of tuning, run once
    from mails_fresh4 import MAILS as FRESH4  # written after round 5 of tuning, run once
    from mails_fresh5 import MAILS as FRESH5  # written after round 6 of tuning, run once
    from mails_fresh6 import MAILS as FRESH6  # written after round 7 of tuning, run once
    from mails_fresh7 import (
        MAILS as FRESH7,  # written before tuning round 7 (the eighth round), run once
    )
    from mails_fresh8 import MAILS as FRESH8  # written before tuning round 9, run once
    from mails_fresh9 import MAILS as FRESH9  # written after tuning round 9, run once
    from mails_fresh10 import MAILS as FRESH10  # written after semantic + round 9, run once
    from mails_fresh11 import MAILS as FRESH11  # written blind by a helper, round 10
    from mails_fresh12 import MAILS as FRESH12  # written blind by a helper, round 10
    from mails_fresh13 import MAILS as FRESH13  # written blind by a helper, after round 10
    from mails_fresh14 import MAILS as FRESH14  # written blind by a helper, round 11
    from mails_fresh15 import MAILS as FRESH15  # written blind by a helper, round 11
    from mails_fresh16 import MAILS as FRESH16  # written blind by a helper, round 12
    from mails_fresh17 import MAILS as FRESH17  # written blind by a helper, round 12
    from mails_fresh18 import MAILS as FRESH18  # written blind by a helper, round 13
    from mails_fresh19 import MAILS as FRESH19  # written blind by a helper, round 13
    from mails_fresh20 import MAILS as FRESH20  # written blind by a helper, final check
    from mails_fresh21 import MAILS as FRESH21  # written blind by a helper, final check
    from mails_fresh22 import MAILS as FRESH22  # written blind by a helper, round 14 check
    from mails_fresh23 import MAILS as FRESH23  # written blind by a helper, round 14 check
    from mails_fresh24 import MAILS as FRESH24  # written blind by a helper, round 14 check
    from mails_fresh25 import MAILS as FRESH25  # written blind by a helper, round 15 check
    from mails_fresh26 import MAILS as FRESH26  # written blind by a helper, round 15 check
    from mails_fresh27 import MAILS as FRESH27  # written blind by a helper, round 15 check
    from mails_fresh28 import MAILS as FRESH28  # written blind by a helper, round 16 check
    from mails_fresh29 import MAILS as FRESH29  # written blind by a helper, round 16 check
    from mails_fresh30 import MAILS as FRESH30  # written blind by a helper, round 16 check
    from mails_fresh31 import MAILS as FRESH31  # written blind by a helper, round 17 check
    from mails_fresh32 import MAILS as FRESH32  # written blind by a helper, round 17 check
    from mails_fresh33 import MAILS as FRESH33  # written blind by a helper, round 17 check
    from mails_fresh34 import MAILS as FRESH34  # written blind by a helper, round 18 check
    from mails_fresh35 import MAILS as FRESH35  # written blind by a helper, round 18 check
    from mails_fresh36 import MAILS as FRESH36  # written blind by a helper, round 18 check
    from mails_fresh37 import MAILS as FRESH37  # written blind by a helper, round 19 check
    from mails_fresh38 import MAILS as FRESH38  # written blind by a helper, round 19 check
    from mails_fresh39 import MAILS as FRESH39  # written blind by a helper, round 19 check
    from mails_fresh40 import MAILS as FRESH40  # written blind by a helper, round 20 check
    from mails_fresh41 import MAILS as FRESH41  # written blind by a helper, round 20 check
    from mails_fresh42 import MAILS as FRESH42  # written blind by a helper, round 20 check
    from mails_fresh43 import MAILS as FRESH43  # written blind by a helper, round 21 check
    from mails_fresh44 import MAILS as FRESH44  # written blind by a helper, round 21 check
    from mails_fresh45 import MAILS as FRESH45  # written blind by a helper, round 21 check
    from mails_fresh46 import MAILS as FRESH46  # written blind by a helper, round 22 check
    from mails_fresh47 import MAILS as FRESH47  # written blind by a helper, round 22 check
    from mails_fresh48 import MAILS as FRESH48  # written blind by a helper, round 22 check
    from mails_fresh49 import MAILS as FRESH49  # written blind by a helper, round 23 check
    from mails_fresh50 import MAILS as FRESH50  # written blind by a helper, round 23 check
    from mails_fresh51 import MAILS as FRESH51  # written blind by a helper, round 23 check

    fresh = [("fresh", FRESH, 37), ("fresh2", FRESH2, 41), ("fresh3", FRESH3, 43),
             ("fresh4", FRESH4, 47), ("fresh5", FRESH5, 53), ("fresh6", FRESH6, 59),
             ("fresh7", FRESH7, 61), ("fresh8", FRESH8, 67), ("fresh9", FRESH9, 71),
             ("fresh10", FRESH10, 73), ("fresh11", FRESH11, 79),
             ("fresh12", FRESH12, 83), ("fresh13", FRESH13, 89), ("fresh14", FRESH14, 97),
             ("fresh15", FRESH15, 101), ("fresh16", FRESH16, 103), ("fresh17", FRESH17, 107),
             ("fresh18", FRESH18, 109), ("fresh19", FRESH19, 113), ("fresh20", FRESH20, 127),
             ("fresh21", FRESH21, 131), ("fresh22", FRESH22, 137),
             ("fresh23", FRESH23, 139), ("fresh24", FRESH24, 149),
             ("fresh25", FRESH25, 151), ("fresh26", FRESH26, 157), ("fresh27", FRESH27, 163),
             ("fresh28", FRESH28, 167), ("fresh29", FRESH29, 173), ("fresh30", FRESH30, 179),
             ("fresh31", FRESH31, 181), ("fresh32", FRESH32, 191), ("fresh33", FRESH33, 193),
             ("fresh34", FRESH34, 197), ("fresh35", FRESH35, 199), ("fresh36", FRESH36, 211),
             ("fresh37", FRESH37, 223), ("fresh38", FRESH38, 227), ("fresh39", FRESH39, 229),
             ("fresh40", FRESH40, 233), ("fresh41", FRESH41, 239), ("fresh42", FRESH42, 241),
             ("fresh43", FRESH43, 251), ("fresh44", FRESH44, 257), ("fresh45", FRESH45, 263),
             ("fresh46", FRESH46, 269), ("fresh47", FRESH47, 271), ("fresh48", FRESH48, 277),
             ("fresh49", FRESH49, 281), ("fresh50", FRESH50, 283), ("fresh51", FRESH51, 293)]
    # each part's fixed seed: the files stay byte-identical
    for kb in ("sample", "lumen", "harbor"):
        for part, mails, seed in fresh:
            rows = [row[1:] for row in mails if row[0] == kb]
            write(out / f"{kb}-{part}.jsonl", from_rows(f"{kb}-{part}", rows, seed=seed))
    write(out / "sample-tune.jsonl", from_yaml(ROOT / "tests/agent/labelled.yaml"))
    write(out / "sample-test.jsonl", from_yaml(ROOT / "tests/agent/holdout.yaml"))


if __name__ == "__main__":
    main()

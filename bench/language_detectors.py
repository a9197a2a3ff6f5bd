"""Compare language detectors on the labelled short mails: accuracy, time per mail, RSS.

Usage: .venv/bin/python bench/language_detectors.py [labelled.yaml ...]

Each detector runs in its own child process, so its resident memory (VmRSS after loading
the model and classifying every mail, minus the child's RSS before the import) is measured
alone. lingua (pip package lingua-language-detector) is measured only if it is installed; the
gateway itself uses py3langid.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = [ROOT / "tests/agent/labelled.yaml", ROOT / "tests/agent/holdout.yaml"]
SEVEN = ["en", "de", "fr", "es", "nl", "pt", "it"]
DETECTORS = ["py3langid-all", "py3langid-7", "lingua-all", "lingua-7", "lingua-7-low"]


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def load_detector(name: str):  # type: ignore[no-untyped-def]
    if name.startswith("py3langid"):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        if name.endswith("-7"):
            ident.set_languages(SEVEN)
        return lambda text: ident.classify(text)[0]
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    if name == "lingua-all":
        builder = LanguageDetectorBuilder.from_all_languages()
    else:
        codes = [getattr(IsoCode639_1, c.upper()) for c in SEVEN]
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    if name.endswith("-low"):
        builder = builder.with_low_accuracy_mode()
    detector = builder.build()

    def detect(text: str) -> str:
        lang: Language | None = detector.detect_language_of(text)
        return lang.iso_code_639_1.name.lower() if lang else "und"

    return detect


def child(name: str, path: str) -> None:
    mails = json.loads(Path(path).read_text())
    before = rss_kib()
    started = time.perf_counter()
    detect = load_detector(name)
    loaded = time.perf_counter()
    hits = sum(detect(m["text"]) == m["lang"] for m in mails)
    done = time.perf_counter()
    print(json.dumps({
        "detector": name, "n": len(mails), "correct": hits,
        "load_s": loaded - started, "ms_per_mail": 1000 * (done - loaded) / len(mails),
        "rss_mib": (rss_kib() - before) / 1024,
    }))


def customer_text(mail: dict) -> str:  # type: ignore[type-arg]
    if "text" in mail:
        return str(mail["text"])
    return "\n".join(t["text"] for t in mail["turns"] if t["role"] == "customer")


def main(paths: list[Path]) -> None:
    mails = []
    for path in paths:
        if path.exists():
            mails += [{"lang": m["lang"], "text": customer_text(m)}
                      for m in yaml.safe_load(path.read_text())]
    data = Path("/tmp/langid-bench.json")
    data.write_text(json.dumps(mails))
    print(f"{len(mails)} mails from {', '.join(p.name for p in paths if p.exists())}\n")
    print(f"| {'detector':14} | accuracy | load s | ms/mail | RSS MiB |")
    print(f"|{'-' * 16}|----------|--------|---------|---------|")
    for name in DETECTORS:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", name, str(data)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            missing = "No module named 'lingua'" in proc.stderr
            why = "not installed (pip install lingua-language-detector)" if missing else (
                proc.stderr.strip().splitlines()[-1])
            print(f"| {name:14} | {why} |")
            continue
        r = json.loads(proc.stdout)
        print(f"| {name:14} | {r['correct']:>3}/{r['n']:<3}  | {r['load_s']:6.2f} |"
              f" {r['ms_per_mail']:7.2f} | {r['rss_mib']:7.1f} |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main([Path(p) for p in sys.argv[1:]] or DEFAULT_SETS)

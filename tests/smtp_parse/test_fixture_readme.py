"""The fixtures README lists exactly the .eml files that exist (the lead's tests rely on it)."""

from __future__ import annotations

import re

from tests.smtp_parse.conftest import FIXTURES, all_fixture_names


def test_readme_table_matches_files() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([^`]+\.eml)` \|", readme, flags=re.MULTILINE)
    assert sorted(listed) == all_fixture_names()
    assert len(listed) == len(set(listed))

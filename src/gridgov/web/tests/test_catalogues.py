"""The translation catalogues stay sound: parallel branches merged with a union of their lines
once doubled some English strings ("…once.Saved on the phone…"), and a translation that drops or
renames a placeholder breaks the page at run time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(SRC.glob("**/locale/*/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[-+ #0]*\d*(?:\.\d+)?[sdifr]|\{(\w*)\}")


def _strings(chunk: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', chunk))


def entries(path: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) of every singular, non-fuzzy entry of a catalogue."""
    out = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        if "#, fuzzy" in block or "msgid_plural" in block:
            continue
        match = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block, re.M)
        if match:
            out.append((_strings(match.group(1)), _strings(match.group(2))))
    return out


def test_every_app_catalogue_is_found() -> None:
    assert len(CATALOGUES) >= 5


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_translation_repeats_itself(path: Path) -> None:
    doubled = [
        msgid
        for msgid, msgstr in entries(path)
        if len(msgstr) >= 10 and msgstr[: len(msgstr) // 2] * 2 == msgstr
    ]
    assert doubled == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(SRC)))
def test_translations_keep_their_placeholders(path: Path) -> None:
    wrong = [
        msgid
        for msgid, msgstr in entries(path)
        if msgid and msgstr and set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(msgstr))
    ]
    assert wrong == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(SRC)))
def test_catalogue_passes_msgfmt_check(path: Path) -> None:
    # msgfmt comes with gettext, which the test command installs (compilemessages needs it).
    msgfmt = shutil.which("msgfmt") or "msgfmt"
    checked = subprocess.run(  # noqa: S603
        [msgfmt, "--check", "-o", os.devnull, str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr

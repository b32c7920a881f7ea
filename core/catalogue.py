"""The translation catalogue (locale/<language>/LC_MESSAGES/django.po): updating it and checking it.

``manage.py catalogue`` (``make messages``) extracts every translatable string
of the project into the catalogue, keeping existing translations and marking
near matches fuzzy, and compiles it; ``manage.py catalogue --check`` changes
nothing and fails when a string of the source is missing from the catalogue,
or an entry is untranslated, fuzzy, or loses a placeholder or an HTML tag of
its English text. The test suite runs the same check, so a string added
without its translation fails it.
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages
from django.test.utils import override_settings

LANGUAGES = ("es",)

# Left out of extraction: environments and generated files, tests, and the pure
# modules with no Django (their text is the specifications' and the command
# lines'): the routing engine, the lottery, the EDFacts writer and validator.
IGNORE = (
    ".venv",
    "venv",
    "node_modules",
    "staticfiles",
    "var",
    "locale",
    "docs",
    "tests",
    "e2e",
    "bench",
    "conftest.py",
    "transportation/routing",
    "enrollment/lottery",
    "reporting/edfacts",
)


def catalogue_path(language: str, base: Path | None = None) -> Path:
    base = Path(base or settings.LOCALE_PATHS[0])
    return base / language / "LC_MESSAGES" / "django.po"


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def __str__(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt else ""
        return f"{self.msgid!r}{context}"


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$")


def parse(path: Path | str) -> list[Entry]:
    """The entries of a PO file, header left out."""
    entries: list[Entry] = []
    current: dict = {}
    last: str | None = None

    def finish():
        nonlocal current, last
        if "msgid" in current and current["msgid"] != "":
            plural = sorted((k for k in current if k.startswith("msgstr[")), key=lambda k: int(k[7:-1]))
            entries.append(
                Entry(
                    msgid=current["msgid"],
                    msgctxt=current.get("msgctxt"),
                    msgid_plural=current.get("msgid_plural"),
                    msgstr=[current[k] for k in plural] if plural else [current.get("msgstr", "")],
                    flags=current.get("flags", set()),
                    obsolete=current.get("obsolete", False),
                )
            )
        current, last = {}, None

    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue  # a previous msgid of an obsolete entry
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            if "msgstr" in current or any(k.startswith("msgstr") for k in current):
                finish()
            current.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if last is not None:
                current[last] += ast.literal_eval(line)
            continue
        match = _KEYWORD.match(line)
        if not match:
            raise ValueError(f"{path}: cannot read {raw!r}")
        keyword, text = match.groups()
        if keyword in ("msgid", "msgctxt") and any(k.startswith("msgstr") for k in current):
            finish()
        current[keyword] = ast.literal_eval(text)
        if obsolete:
            current["obsolete"] = True
        last = keyword
    finish()
    return entries


_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|</?[a-zA-Z][^>]*>")


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def problems(path: Path | str) -> list[str]:
    """What is wrong with a catalogue's entries: untranslated, fuzzy, or placeholders or tags lost or added."""
    found = []
    for entry in parse(path):
        if entry.obsolete:
            continue
        if not entry.translated:
            found.append(f"untranslated: {entry}")
        elif entry.fuzzy:
            found.append(f"fuzzy: {entry}")
        else:
            english = [entry.msgid, *([entry.msgid_plural] * (len(entry.msgstr) - 1))]
            for source, text in zip(english, entry.msgstr, strict=True):
                if _placeholders(source) != _placeholders(text):
                    found.append(f"placeholders or tags differ: {entry} -> {text!r}")
                    break
    return found


class _Extract(makemessages.Command):
    """makemessages writing every file's strings to the default locale path (a temporary folder)."""

    def find_files(self, root):
        files = super().find_files(root)
        for f in files:
            f.locale_dir = self.default_locale_path
        return files


def source_keys(root: Path | str | None = None, ignore: Iterable[str] = IGNORE) -> set[tuple]:
    """The keys (context, text, plural) of every translatable string in the project's source."""
    root = Path(root or settings.BASE_DIR)
    with tempfile.TemporaryDirectory() as out:
        previous = os.getcwd()
        os.chdir(root)
        try:
            with override_settings(LOCALE_PATHS=[out]):
                call_command(_Extract(), locale=[LANGUAGES[0]], ignore_patterns=list(ignore), verbosity=0)
        finally:
            os.chdir(previous)
        extracted = catalogue_path(LANGUAGES[0], Path(out))
        return {e.key for e in parse(extracted)} if extracted.exists() else set()


def missing(path: Path | str, keys: set[tuple]) -> list[str]:
    """The source strings (``keys``) that the catalogue at ``path`` lacks or holds only as obsolete."""
    present = {e.key for e in parse(path) if not e.obsolete}
    return sorted(f"missing: {msgid!r}" for _ctx, msgid, _plural in keys - present) if keys - present else []


def update(stdout=None) -> None:
    """Extract the strings into each language's catalogue (translations kept) and compile it."""
    previous = os.getcwd()
    os.chdir(settings.BASE_DIR)
    try:
        call_command(
            "makemessages",
            locale=list(LANGUAGES),
            ignore_patterns=list(IGNORE),
            add_location="file",
            no_obsolete=True,
            verbosity=0,
            stdout=stdout,
        )
        call_command("compilemessages", locale=list(LANGUAGES), ignore_patterns=list(IGNORE), verbosity=0)
    finally:
        os.chdir(previous)

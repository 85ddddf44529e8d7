"""The staff pages' translation files (issue 6). The pages are written in Traditional
Chinese (the msgids); `wuye/locale/` holds Simplified Chinese, made mechanically with
OpenCC (and 帳→账 as mainland usage writes it, like the printed documents), and English,
translated by hand in `wuye/locale/en/LC_MESSAGES/django.po`.

    python -m wuye.web.translations          # refresh both .po files, compile the .mo files
    python -m wuye.web.translations --check  # fail if a string has no English translation

Needs GNU gettext (xgettext, msgfmt): `scripts/setup requirements-dev.txt` installs it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ["zh_Hans", "en"]


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def extract() -> None:
    """makemessages over the wuye package (templates and Python), keeping translations."""
    from django.core.management import call_command

    here = Path.cwd()
    os.chdir(LOCALE.parent)
    try:
        call_command(
            "makemessages", locale=LANGUAGES, no_obsolete=True, no_location=True,
            ignore_patterns=["tests/*", "*/tests/*", "locale/*"], verbosity=0,
        )  # fmt: skip
    finally:
        os.chdir(here)


def fill_simplified() -> int:
    """Every Simplified msgstr is the OpenCC conversion of its msgid."""
    import polib

    from wuye.documents.rendering import simplified

    po = polib.pofile(str(po_path("zh_Hans")))
    _header(po, "zh_Hans")
    changed = 0
    for entry in po:
        if entry.msgid_plural:
            wanted = {0: simplified(entry.msgid)}
            if entry.msgstr_plural != wanted:
                entry.msgstr_plural, changed = wanted, changed + 1
        elif entry.msgstr != simplified(entry.msgid):
            entry.msgstr, changed = simplified(entry.msgid), changed + 1
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    return changed


def _header(po, language: str) -> None:
    po.metadata.update({
        "Project-Id-Version": "wuye", "Language": language,
        "Language-Team": "wuye", "Last-Translator": "wuye",
    })  # fmt: skip
    po.header = "wuye staff pages: msgids are Traditional Chinese (issue 6)."
    po.metadata_is_fuzzy = False


def missing_english() -> list[str]:
    import polib

    po = polib.pofile(str(po_path("en")))
    _header(po, "en")
    po.save()
    return [
        entry.msgid
        for entry in po
        if not entry.obsolete
        and ("fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())))
    ]


def compile_all() -> None:
    import polib

    for language in LANGUAGES:
        po = polib.pofile(str(po_path(language)))
        po.save_as_mofile(str(po_path(language).with_suffix(".mo")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wuye.web.translations")
    parser.add_argument("--check", action="store_true", help="only report missing English")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuye.settings")
    import django

    django.setup()
    if not args.check:
        extract()
        print(f"zh_Hans: {fill_simplified()} strings converted")
        compile_all()
    missing = missing_english()
    for msgid in missing:
        print(f"en: no translation for {msgid!r}", file=sys.stderr)
    print(f"en: {len(missing)} strings without a translation")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

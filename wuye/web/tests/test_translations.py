"""The translation files (issue 6): every string of the pages has its English and
Simplified Chinese translation, and the compiled .mo files match the .po files."""

import polib
import pytest
from django.test import Client

from wuye.documents.rendering import simplified
from wuye.testing.factories import ProjectFactory, staff
from wuye.web.translations import LANGUAGES, missing_english, po_path


def test_every_string_has_its_english():
    assert missing_english() == []


def test_simplified_is_the_opencc_conversion_with_mainland_words():
    po = polib.pofile(str(po_path("zh_Hans")))
    assert len(po) > 100
    for entry in po:
        assert entry.msgstr or entry.msgstr_plural, entry.msgid
        if entry.msgstr:
            assert entry.msgstr == simplified(entry.msgid)
    assert "帐" not in "".join(entry.msgstr for entry in po)  # 账单, not 帐单


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_files_match_their_sources(language):
    po = polib.pofile(str(po_path(language)))
    mo = polib.mofile(str(po_path(language).with_suffix(".mo")))
    compiled = {entry.msgid: entry.msgstr for entry in mo if not entry.msgid_plural}
    assert {e.msgid: e.msgstr for e in po if not e.msgid_plural} == {
        k: v for k, v in compiled.items() if k and "\x00" not in k
    }


@pytest.mark.django_db
def test_traditional_by_default_and_the_chosen_language_otherwise():
    staff("amy", "assistant", ProjectFactory(code="HT"))
    client = Client(headers={"accept-language": "en-US,en;q=0.9"})
    client.login(username="amy", password="amy")
    assert "今日工作" in client.get("/today/?on=2026-03-02").text  # an English browser too
    client.post("/language/", {"language": "zh-hans", "next": "/today/"})
    assert "待签收交接" in client.get("/today/?on=2026-03-02").text
    client.post("/language/", {"language": "en", "next": "/today/"})
    page = client.get("/today/?on=2026-03-02").text
    assert "Today" in page and "今日工作" not in page

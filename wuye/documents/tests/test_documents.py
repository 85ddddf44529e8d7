"""Printed documents: the 催繳通知書 of a dunning run (E2) and the 帳單, as HTML and PDF.

The PDF is read back with poppler's `pdftotext -layout` and `pdffonts`, so the test sees
what a client sees: the unit, the number, the amounts, and an embedded CJK font.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.cli import main
from wuye.dates import Period
from wuye.documents.rendering import document_language
from wuye.documents.services import bill_html, notice_html, render_notices_pdf
from wuye.dunning.models import Notice
from wuye.dunning.services import run_dunning
from wuye.errors import WuyeError
from wuye.testing.factories import office_account

D = dt.date
ISSUED = D(2026, 3, 2)  # bill issued, handed over and signed for (A1, B1)
DUE = D(2026, 3, 9)  # E1: receipt + 7 days
FIRST_NOTICE = D(2026, 3, 12)  # E2: overdue 3 days
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

#: X1: wording that threatens to cut water, electricity, heating or gas
X1_WORDS = ["停水", "停電", "停暖", "停氣", "斷水", "斷電", "暫停相關服務", "停止供"]


def _overdue_account(*, area: str = "133.00", language: str | None = None):
    """An office unit of 133 m² at 25.00: a bill of 3,325.00, due 2026-03-09."""
    account = office_account(area=area, price="25.00", start=D(2026, 1, 1))
    if language:
        account.project.language = language
        account.project.save(update_fields=["language"])
    issue_bills_for_project(
        project=account.project, period=Period.parse("2026-03"), on=ISSUED, actor="fin"
    )
    bill = account.bills.get()
    handover_bills(on=ISSUED, signed_by="cs", actor="cs")
    record_delivery(
        number=bill.number, on=ISSUED, staff="cs", signed_by="張三", relation="行政經理"
    )
    bill.refresh_from_db()
    assert bill.due_date == DUE
    return account, bill


def _poppler(*command: str) -> str:
    """Run a poppler-utils tool (scripts/setup installs them; the test fails, not skips,
    without them)."""
    if shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} (Debian package poppler-utils) is missing: run scripts/setup")
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _pdftext(path: Path) -> str:
    return _poppler("pdftotext", "-layout", str(path), "-")


def _pdffonts(path: Path) -> str:
    return _poppler("pdffonts", str(path))


def _cjk_font_embedded(path: Path) -> bool:
    return any(
        "Noto" in line and "CJK" in line and " yes " in line.split("Identity-H")[-1]
        for line in _pdffonts(path).splitlines()
    )


@pytest.mark.django_db
def test_first_notice_pdf_shows_unit_number_and_amounts_in_traditional(tmp_path, capsys):
    """E2: 3 days overdue, the 1st 催繳通知書; the PDF states the unit, the number, the
    total in figures and in uppercase Traditional Chinese (參, not 叁 or 叄), with the
    CJK font embedded."""
    account, _ = _overdue_account()
    run_dunning(as_of=FIRST_NOTICE, actor="fin")
    notice = Notice.objects.get(account=account)
    assert notice.level == 1
    assert str(notice.total) == "3329.99"  # 3,325.00 + 3,325.00 × 0.5‰ × 3 days (L1)
    out = tmp_path / "notices.pdf"

    code = main(["notices", "pdf", "--as-of", "2026-03-12", "--out", str(out), "--json"])

    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["notices"] == 1 and result["pages"] == 1
    text = _pdftext(out)
    assert account.unit.code in text
    assert notice.number in text
    assert "第一次催繳通知書" in text
    assert "¥3,329.99" in text
    assert "參仟參佰貳拾玖元玖角玖分" in text
    assert "2026年03月" in text and "物業服務費" in text
    assert "簽收人" in text and "與業主關係" in text
    assert "0.5‰" in text  # the contract's late-fee clause (L1)
    assert "第1/1頁" in text.replace(" ", "")
    assert not [word for word in X1_WORDS if word in text]
    assert _cjk_font_embedded(out), _pdffonts(out)


@pytest.mark.django_db
def test_simplified_project_prints_simplified_notice(tmp_path):
    """A project whose document language is zh-hans gets a Simplified notice: 叁 in the
    uppercase amount, 催缴通知书, 账户 (not 帐户)."""
    _overdue_account(language="zh-hans")
    run_dunning(as_of=FIRST_NOTICE, actor="fin")
    out = tmp_path / "notices.pdf"

    result = render_notices_pdf(as_of=FIRST_NOTICE, out=out)

    text = _pdftext(out)
    assert result["notices"] == 1
    assert "第一次催缴通知书" in text
    assert "叁仟叁佰贰拾玖元玖角玖分" in text
    assert "银行账户" in text and "签收人" in text and "与业主关系" in text
    assert "帐" not in text
    assert not set("參繳書簽與關係") & set(text)
    assert "第1/1页" in text.replace(" ", "")
    assert _cjk_font_embedded(out)


@pytest.mark.django_db
def test_language_argument_overrides_the_project():
    account, _ = _overdue_account()
    run_dunning(as_of=FIRST_NOTICE, actor="fin")
    number = Notice.objects.get(account=account).number

    html = notice_html(number=number, language="zh-hans")

    assert "叁仟叁佰贰拾玖元玖角玖分" in html and "第一次催缴通知书" in html
    assert 'lang="zh-Hans"' in html
    assert '"Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif' in html


@pytest.mark.django_db
@pytest.mark.parametrize("workers", [1, 2])
def test_each_notice_starts_a_page_in_number_order_across_chunks(tmp_path, workers):
    """Three notices laid out two at a time, in this process or in worker processes: one
    PDF, one page each, ordered by number."""
    accounts = [_overdue_account()[0] for _ in range(3)]
    run_dunning(as_of=FIRST_NOTICE, actor="fin")
    numbers = sorted(Notice.objects.values_list("number", flat=True))
    out = tmp_path / "notices.pdf"

    result = render_notices_pdf(as_of=FIRST_NOTICE, out=out, chunk=2, workers=workers)

    assert result["notices"] == 3 and result["pages"] == 3
    pages = _pdftext(out).split("\f")[:3]
    assert [number in page for number, page in zip(numbers, pages, strict=True)] == [True] * 3
    assert all(any(a.unit.code in page for page in pages) for a in accounts)
    assert _cjk_font_embedded(out)


@pytest.mark.django_db
def test_notices_pdf_limit_prints_the_first_notices_by_number(tmp_path, capsys):
    """`notices pdf --limit N`: the first N of the day's notices by number (a trial print,
    or a large day printed in parts); a limit below 1 is refused before any work."""
    for _ in range(3):
        _overdue_account()
    run_dunning(as_of=FIRST_NOTICE, actor="fin")
    numbers = sorted(Notice.objects.values_list("number", flat=True))
    out = tmp_path / "first-two.pdf"
    day = FIRST_NOTICE.isoformat()

    code = main(["notices", "pdf", "--as-of", day, "--out", str(out), "--limit", "2", "--json"])

    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["notices"], result["of"], result["pages"]) == (2, 3, 2)
    pages = _pdftext(out).split("\f")
    assert numbers[0] in pages[0] and numbers[1] in pages[1]
    assert numbers[2] not in _pdftext(out)
    with pytest.raises(WuyeError, match="limit must be at least 1"):
        render_notices_pdf(as_of=FIRST_NOTICE, out=tmp_path / "none.pdf", limit=0)
    assert not (tmp_path / "none.pdf").exists()


@pytest.mark.django_db
def test_reading_notices_takes_the_same_queries_for_one_or_many(tmp_path):
    """Set-based reads: the day's ids, then per chunk the notices, their lines and the
    accounts' contracts; nothing per notice."""
    for _ in range(3):
        _overdue_account()
    run_dunning(as_of=FIRST_NOTICE, actor="fin")

    with CaptureQueriesContext(connection) as queries:
        result = render_notices_pdf(as_of=FIRST_NOTICE, out=tmp_path / "n.pdf", workers=1)

    assert result["notices"] == 3
    assert len(queries) == 4, [q["sql"] for q in queries]


@pytest.mark.django_db
def test_bill_print_view_lists_lines_and_uppercase_total():
    _, bill = _overdue_account()

    html = bill_html(number=bill.number)

    assert bill.number in html and "物業服務費" in html and "每平方米每月" in html
    assert "133.00" in html and "25.00" in html and "3,325.00" in html
    assert "¥3,325.00" in html and "參仟參佰貳拾伍元整" in html
    assert "2026年03月01日至2026年03月31日" in html and "2026年03月09日" in html


@pytest.mark.django_db
def test_bills_pdf_command_writes_the_bill(tmp_path, capsys):
    _, bill = _overdue_account()
    out = tmp_path / "bill.pdf"

    code = main(["bills", "pdf", bill.number, "--out", str(out), "--language", "zh-hans"])

    assert code == 0
    assert bill.number in capsys.readouterr().out
    text = _pdftext(out)
    assert bill.number in text and "账单" in text and "叁仟叁佰贰拾伍元整" in text
    assert _cjk_font_embedded(out)


@pytest.mark.django_db
def test_a_day_without_notices_is_a_clear_error(tmp_path, capsys):
    code = main(["notices", "pdf", "--as-of", "2026-03-12", "--out", str(tmp_path / "x.pdf")])

    assert code == 2
    assert "no notices to print were issued on 2026-03-12" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.django_db
def test_unknown_bill_is_a_clear_error(tmp_path, capsys):
    code = main(["bills", "pdf", "HT-209901-99999", "--out", str(tmp_path / "x.pdf"), "--json"])

    assert code == 2
    assert json.loads(capsys.readouterr().err)["error"] == "not_found"


@pytest.mark.django_db
def test_administrator_template_overrides_the_shipped_one(settings, tmp_path):
    """A file of the same name in WUYE_TEMPLATE_DIR wins over the shipped template."""
    (tmp_path / "notice.html").write_text(
        '{% extends "documents/base.html" %}{% block content %}'
        '<p>本大廈專用通知 <span class="docno">{{ notice.number }}</span> '
        "{{ client.unit_code }} {{ notice.total_uppercase }}</p>{% endblock %}",
        encoding="utf-8",
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    account, _ = _overdue_account()
    run_dunning(as_of=FIRST_NOTICE, actor="fin")
    number = Notice.objects.get(account=account).number

    html = notice_html(number=number)

    assert "本大廈專用通知" in html and number in html and "參仟參佰貳拾玖元玖角玖分" in html


@pytest.mark.django_db
def test_step_template_that_does_not_exist_is_a_clear_error(tmp_path):
    account, _ = _overdue_account()
    run_dunning(as_of=FIRST_NOTICE, actor="fin")
    notice = Notice.objects.select_related("step").get(account=account)
    notice.step.template = "missing.html"
    notice.step.save(update_fields=["template"])

    with pytest.raises(WuyeError) as error:
        render_notices_pdf(as_of=FIRST_NOTICE, out=tmp_path / "n.pdf")

    assert error.value.code == "template_missing"
    assert not list(tmp_path.iterdir())


@pytest.mark.django_db
def test_posted_notice_shows_no_owner_name():
    """X4: a notice posted on a door or stairwell shows the unit and amount, not the name."""
    account, _ = _overdue_account()
    run_dunning(as_of=FIRST_NOTICE, actor="fin")
    notice = Notice.objects.get(account=account)
    Notice.objects.filter(pk=notice.pk).update(action="posting")

    html = notice_html(number=notice.number)

    assert account.unit.code in html and "¥3,329.99" in html
    assert account.customer.name not in html
    assert "簽收人" not in html


def test_shipped_templates_never_threaten_to_cut_utilities():
    """X1 (《民法典》 art. 944): no wording that threatens water, electricity, heating or
    gas, in Traditional or in the Simplified the conversion makes of it."""
    from wuye.documents.rendering import simplified

    forbidden = X1_WORDS + [simplified(word) for word in X1_WORDS]
    files = sorted(TEMPLATES.rglob("*.html"))
    assert {f.name for f in files} >= {"base.html", "notice.html", "bill.html"}
    for path in files:
        text = path.read_text(encoding="utf-8")
        for word in forbidden:
            assert word not in text, f"{path.name} contains {word} (rule X1)"


@pytest.mark.parametrize(
    ("requested", "project", "expected"),
    [
        (None, "zh-hant", "zh-hant"),
        (None, "zh-hans", "zh-hans"),
        ("zh-hans", "zh-hant", "zh-hans"),
        ("zh-hant", "zh-hans", "zh-hant"),
        (None, "", "zh-hant"),
        (None, "zh-CN", "zh-hans"),
    ],
)
def test_document_language(requested, project, expected):
    assert document_language(requested, project) == expected


def test_unknown_language_is_refused():
    with pytest.raises(WuyeError) as error:
        document_language("en", "zh-hant")
    assert error.value.code == "invalid_language"


@pytest.mark.django_db
def test_one_notice_prints_as_pdf_and_as_html_print_view(tmp_path, capsys):
    """E2, F1: a single notice (e.g. a reissue) prints on its own; the bill and the
    notice also have an HTML print view."""
    account, bill = _overdue_account()
    run_dunning(as_of=DUE + dt.timedelta(days=3), actor="fin")
    number = account.notices.get().number
    assert main(["notices", "print", number, "--out", str(tmp_path / "n.pdf")]) == 0
    assert number in _pdftext(tmp_path / "n.pdf") and _cjk_font_embedded(tmp_path / "n.pdf")
    assert main(["notices", "print", number, "--html", "--out", str(tmp_path / "n.html")]) == 0
    page = (tmp_path / "n.html").read_text(encoding="utf-8")
    assert number in page and "第一次催繳通知書" in page and "簽收人" in page
    assert main(["bills", "pdf", bill.number, "--html", "--out", str(tmp_path / "b.html")]) == 0
    assert bill.number in (tmp_path / "b.html").read_text(encoding="utf-8")
    capsys.readouterr()

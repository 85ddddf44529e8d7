"""The lawyer letter (律師函, R5/S1) as a printed document: a Django template rendered with
the helpers of wuye.documents (page frame, fonts, uppercase amounts, WeasyPrint). X1: the
letter demands payment and names the legal route; it never threatens a supply."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from django.template import TemplateDoesNotExist
from django.template.loader import select_template

from wuye.documents import pdf, rendering
from wuye.documents.amounts import figures, plain, uppercase_amount
from wuye.errors import WuyeError
from wuye.legal import selectors as sel
from wuye.legal.models import LegalCase, Stage
from wuye.policies.selectors import policy

TEMPLATE = "lawyer_letter.html"


def _template():
    try:
        return select_template([TEMPLATE, f"legal/{TEMPLATE}"])
    except TemplateDoesNotExist:
        raise WuyeError(
            "template_missing", f"template '{TEMPLATE}' not found", f"找不到範本「{TEMPLATE}」"
        ) from None


def letter_context(case: LegalCase, *, on: dt.date, language: str) -> dict:
    """What lawyer_letter.html sees: plain, formatted data (docs/legal.md)."""
    claim = sel.claim(case, as_of=on)
    days = policy("lawyer_letter_pay_within_days", project_id=case.project_id)
    clause = [line for line in claim["lines"] if line["late_fee_clause"]]
    rate = clause[0]["late_fee_rate"] if clause else None
    return {
        **rendering._frame(language, case.number),
        "company": case.project.organisation.name,
        "project": rendering._project(case.project),
        "client": {
            "name": case.customer.name,
            "unit_code": case.account.unit.code,
            "address": case.customer.mailing_address,
        },
        "letter": {
            "number": case.number,
            "date": rendering.chinese_date(on),
            "deadline": rendering.chinese_date(on + dt.timedelta(days=days)),
            "days": days,
            "principal": plain(claim["principal"]),
            "late_fee": plain(claim["late_fee"]),
            "total": plain(claim["claimed"]),
            "total_figures": figures(claim["claimed"]),
            "total_uppercase": uppercase_amount(claim["claimed"], language),
            "late_fee_clause": bool(clause),
            "late_fee_rate": rendering._rate(rate) if rate else "",
        },
        "lines": [
            {
                "month": rendering.chinese_month(line["period_start"]),
                "due_date": rendering.chinese_date(line["due_date"]),
                "principal": plain(line["principal"]),
                "late_fee": plain(line["late_fee"]) if line["late_fee_clause"] else "—",
                "subtotal": plain(line["principal"] + line["late_fee"]),
            }
            for line in claim["lines"]
        ],
    }


def letter_html(*, number: str, on: dt.date, language: str | None = None) -> str:
    case = sel.get_case(number)
    if case.stage in (Stage.PROPOSED, Stage.CLOSED):
        raise WuyeError(
            "not_approved" if case.stage == Stage.PROPOSED else "case_closed",
            f"legal case {number} is {case.stage}: a lawyer letter needs a manager's approval "
            "and an open case",
            f"法律案件 {number} 為「{Stage(case.stage).label}」：律師函須經經理批准且案件未結",
        )
    chosen = rendering.document_language(language, case.project.language)
    return rendering.render_html(_template(), letter_context(case, on=on, language=chosen))


def render_letter(
    *, number: str, on: dt.date, out: Path | str, language: str | None = None, html: bool = False
) -> dict:
    """The lawyer letter of a case as an A4 PDF (or its HTML), written atomically."""
    document = letter_html(number=number, on=on, language=language)
    out = Path(out).expanduser().resolve()
    if not out.parent.is_dir() or out.is_dir():
        raise WuyeError("invalid_output", f"--out: cannot write {out}", f"--out：無法寫入 {out}")
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".wuye-pdf-") as work:
        part = Path(work) / "letter"
        if html:
            part.write_text(document, encoding="utf-8")
            pages = None
        else:
            pages = pdf.write_documents([pdf.layout(document, pdf.font_config())], part)
        os.replace(part, out)
    return {"case": number, "pages": pages, "out": str(out)}

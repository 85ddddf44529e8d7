"""From a notice or a bill to the HTML of its printed document.

The context a template sees is plain data made here (strings already formatted), so an
administrator who edits a template needs no Python. Templates are written in
Traditional Chinese; a Simplified document is the rendered Traditional text converted
with OpenCC t2s, then a few words fixed where t2s picks the wrong character for
accounts (帳單 → 账单, not 帐单). Amounts in uppercase are made in the right script
directly (amounts.py), because t2s would turn the Traditional 參 into 参.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import select_template

from wuye.billing.models import Bill, Contract, ContractLine
from wuye.documents.amounts import (
    SIMPLIFIED,
    TRADITIONAL,
    figures,
    plain,
    to_simplified,
    uppercase_amount,
)
from wuye.errors import WuyeError

DEFAULT_NOTICE_TEMPLATE = "notice.html"
BILL_TEMPLATE = "bill.html"

_LANGUAGES = {
    "zh-hant": TRADITIONAL,
    "zh-tw": TRADITIONAL,
    "zh-hk": TRADITIONAL,
    "zh-mo": TRADITIONAL,
    "zh-hans": SIMPLIFIED,
    "zh-cn": SIMPLIFIED,
    "zh-sg": SIMPLIFIED,
}
_HTML_LANG = {TRADITIONAL: "zh-Hant", SIMPLIFIED: "zh-Hans"}
_LEVELS = {1: "第一次", 2: "第二次", 3: "第三次", 4: "第四次", 5: "第五次"}

# OpenCC t2s writes 帐 (tent) where mainland usage writes 账 (account): 《第一批異形詞整理表》
_SIMPLIFIED_WORDS = {
    "帐单": "账单", "帐号": "账号", "帐户": "账户", "帐目": "账目", "帐款": "账款",
    "入帐": "入账", "记帐": "记账", "对帐": "对账", "转帐": "转账", "帐龄": "账龄",
    "坏帐": "坏账", "销帐": "销账", "挂帐": "挂账",
}  # fmt: skip


def document_language(requested: str | None, project_language: str | None) -> str:
    """zh-hant or zh-hans: the one asked for, else the project's, else Traditional (the
    default of RULES.md "document language")."""
    for value, source in ((requested, "--language"), (project_language, "project language")):
        if value:
            language = _LANGUAGES.get(value.strip().lower())
            if language is None:
                raise WuyeError(
                    "invalid_language",
                    f"{source}: '{value}' is not zh-hant or zh-hans",
                    f"{source}：「{value}」不是 zh-hant 或 zh-hans",
                )
            return language
    return TRADITIONAL


def chinese_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日" if day else "—"


def chinese_month(day: dt.date) -> str:
    return f"{day.year}年{day.month:02d}月"


def _rate(rate: Decimal) -> str:
    """0.000500 → 0.5‰ (the contract's per-day late-fee rate, rule L1)."""
    per_mille = (rate * 1000).normalize()
    return f"{per_mille:f}‰"


def _price(value: Decimal) -> str:
    """A unit price with its significant decimals, at least 2: 25.00, 2.3456."""
    value = value.normalize()
    if value.as_tuple().exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return f"{value:,f}"


def contract_in_force(contracts, on: dt.date) -> Contract | None:
    """The latest version in force on a date, from an account's (prefetched) contracts."""
    best = None
    for contract in contracts:
        if contract.effective_from <= on and (best is None or contract.version > best.version):
            best = contract
    return best


def _contract(contract: Contract | None) -> dict:
    if contract is None:
        return {"late_fee_clause": False, "late_fee_rate": ""}
    clause = bool(contract.late_fee_clause and contract.late_fee_rate)
    return {"late_fee_clause": clause, "late_fee_rate": _rate(contract.late_fee_rate)}


def _project(project) -> dict:
    return {
        "code": project.code,
        "name": project.name,
        "address": project.address,
        "phone": project.phone,
        "bank_name": project.bank_name,
        "bank_account": project.bank_account,
    }


def _frame(language: str, number: str) -> dict:
    return {
        "language": language,
        "simplified": language == SIMPLIFIED,
        "html_lang": _HTML_LANG[language],
        "document_number": number,
    }


def notice_context(notice, *, language: str) -> dict:
    """What notice.html sees. `notice` comes with project__organisation, account__unit,
    account__customer, step, lines__fee_item and account__contracts loaded (selectors)."""
    account = notice.account
    # a payer with several units in the project: one notice, each unit's items (Account)
    lines = sorted(
        notice.lines.all(),
        key=lambda x: (
            x.bill.account.unit.code, x.period_start, x.fee_item.sort_order, x.fee_item.code, x.pk
        ),
    )  # fmt: skip
    units = sorted({line.bill.account.unit.code for line in lines}) or [account.unit.code]
    title = notice.step.name or f"{_LEVELS.get(notice.level, '')}催繳通知書"
    return {
        **_frame(language, notice.number),
        "company": notice.project.organisation.name,
        "project": _project(notice.project),
        "client": {"name": account.customer.name, "unit_code": "、".join(units)},
        "several_units": len(units) > 1,
        "contract": _contract(contract_in_force(account.contracts.all(), notice.issued_on)),
        "notice": {
            "number": notice.number,
            "title": title,
            "level": notice.level,
            "level_text": _LEVELS.get(notice.level, f"第{notice.level}次"),
            # X4: a notice posted on a door or notice board never shows the owner's name
            "posted": notice.action == "posting",
            "issued_on": chinese_date(notice.issued_on),
            "pay_by": chinese_date(notice.pay_by),
            "principal": plain(notice.principal),
            "late_fee": plain(notice.late_fee),
            "total": plain(notice.total),
            "total_figures": figures(notice.total),
            "total_uppercase": uppercase_amount(notice.total, language),
            "occurrence": notice.occurrence,
        },
        # R3 催款單: per fee item, how many months and how much
        "by_fee_item": _by_fee_item(lines),
        "lines": [
            {
                "unit": line.bill.account.unit.code,
                "month": chinese_month(line.period_start),
                "fee_item": line.fee_item.name,
                "due_date": chinese_date(line.due_date),
                "principal": plain(line.principal),
                "late_fee": plain(line.late_fee),
                "subtotal": plain(line.principal + line.late_fee),
            }
            for line in lines
        ],
    }


def _by_fee_item(lines) -> list[dict]:
    items: dict[str, dict] = {}
    for line in lines:
        item = items.setdefault(
            line.fee_item.code, {"fee_item": line.fee_item.name, "months": set(), "amount": 0}
        )
        item["months"].add(line.period_start)
        item["amount"] += line.principal + line.late_fee
    return [
        {"fee_item": i["fee_item"], "months": len(i["months"]), "amount": plain(i["amount"])}
        for i in items.values()
    ]


def _bill_due(bill: Bill) -> str:
    if bill.due_date:
        return chinese_date(bill.due_date)
    contract = bill.contract
    if contract and contract.payment_term == Contract.Term.AFTER_RECEIPT:
        if contract.payment_term_days:
            return f"收到帳單後{contract.payment_term_days}日內"  # rule E1
    return "—"


def bill_context(bill: Bill, *, language: str) -> dict:
    """What bill.html sees. `bill` comes with project__organisation, account__unit,
    account__customer, contract, replaces and lines__fee_item loaded (selectors)."""
    basis = dict(ContractLine.Basis.choices)
    period_last = bill.period_end - dt.timedelta(days=1)
    return {
        **_frame(language, bill.number),
        "company": bill.project.organisation.name,
        "project": _project(bill.project),
        "client": {"name": bill.account.customer.name, "unit_code": bill.account.unit.code},
        "contract": _contract(bill.contract),
        "bill": {
            "number": bill.number,
            "void": bill.status == Bill.Status.VOID,
            "replaces": bill.replaces.number if bill.replaces_id else "",
            "period": f"{chinese_date(bill.period_start)}至{chinese_date(period_last)}",
            "issue_date": chinese_date(bill.issue_date),
            "due": _bill_due(bill),
            "total": plain(bill.total),
            "total_figures": figures(bill.total),
            "total_uppercase": uppercase_amount(bill.total, language),
        },
        "lines": [
            {
                "fee_item": line.fee_item.name,
                "basis": basis.get(line.basis, line.basis),
                "quantity": f"{line.quantity:,f}",
                "unit_price": _price(line.unit_price),
                "days": f"{line.days}/{line.cycle_days}",
                "amount": plain(line.amount),
            }
            for line in sorted(
                bill.lines.all(), key=lambda x: (x.fee_item.sort_order, x.fee_item.code)
            )
        ],
    }


def template_for(name: str | None):
    """The template an administrator put in WUYE_TEMPLATE_DIR under this name, else the
    shipped one (documents/<name>)."""
    name = (name or DEFAULT_NOTICE_TEMPLATE).strip()
    try:
        return select_template([name, f"documents/{name}"])
    except TemplateDoesNotExist:
        raise WuyeError(
            "template_missing",
            f"document template '{name}' not found (WUYE_TEMPLATE_DIR or the shipped ones)",
            f"找不到文件範本「{name}」（WUYE_TEMPLATE_DIR 或系統範本）",
        ) from None
    except TemplateSyntaxError as error:
        raise WuyeError(
            "template_invalid",
            f"document template '{name}' has an error: {error}",
            f"文件範本「{name}」有錯誤：{error}",
        ) from None


def render_html(template, context: dict) -> str:
    html = template.render(context)
    if context["language"] == SIMPLIFIED:
        html = simplified(html)
    return html


def simplified(text: str) -> str:
    text = to_simplified(text)
    for wrong, right in _SIMPLIFIED_WORDS.items():
        text = text.replace(wrong, right)
    return text

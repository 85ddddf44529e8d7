"""The import layout (issue 3): for each kind of data, its columns with their English and
Chinese headers, type, whether required, and the parser of a cell — one declarative
table. `docs/import.md` shows these tables (a test keeps the two in step).

Cell parsers are pure: they take what a reader found in a cell (a string from CSV; a
string, int, float-as-Decimal, bool or datetime from XLSX; a string, int, bool or a
`JsonFloat` from JSON) and return the value, or raise `CellError` with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from wuye.billing.models import Contract, ContractLine
from wuye.money import MAX_AMOUNT
from wuye.properties.models import Account, Customer, Project, Unit


@dataclass(frozen=True)
class ImportIssue:
    """One thing wrong with an import file: where (sheet or kind, the row number as the
    user sees it — the header is row 1 —, the column header as written) and why."""

    sheet: str
    row: int | None
    column: str | None
    message: str
    message_zh: str


class CellError(Exception):
    def __init__(self, message: str, message_zh: str):
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh


class JsonFloat(str):
    """A JSON number with a fraction or exponent, kept as its text: amounts in JSON must
    be strings or integers, so the parsers refuse it as the wrong type."""


# --- folding: how headers, sheet names and choice values are compared -------------------

# Traditional → Simplified for every character of the vocabulary below that differs, so
# that headers and values in either script (and GBK files, usually Simplified) match. A
# test checks that every folded word of the vocabulary is GB2312, i.e. Simplified.
_HANT_TO_HANS = str.maketrans(
    {
        "項": "项",
        "編": "编",
        "號": "号",
        "稱": "称",
        "類": "类",
        "時": "时",
        "區": "区",
        "電": "电",
        "話": "话",
        "銀": "银",
        "開": "开",
        "戶": "户",
        "帳": "账",
        "賬": "账",
        "帐": "账",
        "樓": "楼",
        "單": "单",
        "層": "层",
        "積": "积",
        "態": "态",
        "狀": "状",
        "訊": "讯",
        "郵": "邮",
        "聯": "联",
        "絡": "络",
        "係": "系",
        "關": "关",
        "負": "负",
        "責": "责",
        "結": "结",
        "約": "约",
        "費": "费",
        "計": "计",
        "價": "价",
        "週": "周",
        "條": "条",
        "違": "违",
        "繳": "缴",
        "員": "员",
        "間": "间",
        "額": "额",
        "發": "发",
        "辦": "办",
        "寫": "写",
        "綜": "综",
        "鋪": "铺",
        "舖": "铺",
        "別": "别",
        "車": "车",
        "裝": "装",
        "個": "个",
        "業": "业",
        "後": "后",
        "簽": "签",
        "資": "资",
        "無": "无",
        "備": "备",
        "註": "注",
        "數": "数",
        "機": "机",
        "築": "筑",
        "處": "处",
        "攤": "摊",
        "說": "说",
        "衆": "众",
        "應": "应",
        "內": "内",
        "設": "设",
        "務": "务",
        "實": "实",
        "屬": "属",
        "廈": "厦",
    }
)


def fold(text: Any) -> str:
    """A word as compared: NFKC (full-width → half-width), case-folded, Simplified, with
    spaces, underscores and hyphens left out."""
    text = unicodedata.normalize("NFKC", str(text)).casefold().translate(_HANT_TO_HANS)
    return re.sub(r"[\s_\-]+", "", text)


def fold_header(text: Any) -> str:
    """A header as compared: also without a required-marker `*` and a trailing bracketed
    remark or unit, so `面積(m²)`, `金額（元）` and `* unit code` match."""
    text = unicodedata.normalize("NFKC", str(text)).strip().strip("*").strip()
    text = re.sub(r"\s*\([^()]*\)\s*$", "", text)
    return fold(text)


# --- cell parsers ----------------------------------------------------------------------


_SHOWN = 60  # characters of a cell quoted in a message: a 300,000-character cell is not


def _clip(text: str) -> str:
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]}…({len(text)} characters)"


def _shown(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return _clip(str(value))


def _wrong(value: Any, what_en: str, what_zh: str) -> CellError:
    return CellError(f"'{_shown(value)}' is not {what_en}", f"「{_shown(value)}」不是{what_zh}")


def text(max_length: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if isinstance(value, bool) or isinstance(value, dt.date | JsonFloat):
            raise _wrong(value, "text", "文字")
        if isinstance(value, Decimal):  # an XLSX number in a text column: 13800138000
            value = format(value.normalize(), "f") if value == value.to_integral() else value
        result = str(value).strip()
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in result):
            shown = _clip(repr(result))
            raise CellError(f"{shown} has a control character", f"{shown} 含有控制字元")
        # Half of a UTF-16 pair ("\ud800" in JSON) is no character: no database stores it.
        if any(unicodedata.category(ch) == "Cs" for ch in result):
            shown = _clip(result.encode("utf-8", "backslashreplace").decode())
            raise CellError(
                f"'{shown}' has half a UTF-16 surrogate pair, not a character",
                f"「{shown}」含有不成對的 UTF-16 代理字元，不是有效字元",
            )
        if len(result) > max_length:
            shown = _clip(result)
            raise CellError(
                f"'{shown}' is too long (at most {max_length} characters)",
                f"「{shown}」太長（最多 {max_length} 字）",
            )
        return result

    parse.type_en, parse.type_zh = "text", "文字"
    return parse


def code(max_length: int) -> Callable[[Any], str]:
    """A code (unit number, customer code): text without spaces inside."""
    as_text = text(max_length)

    def parse(value: Any) -> str:
        result = unicodedata.normalize("NFKC", as_text(value))
        if re.search(r"\s", result):
            shown = _clip(result)
            raise CellError(
                f"'{shown}' is not a code (no spaces)", f"「{shown}」不是編號（不可含空格）"
            )
        return result

    parse.type_en, parse.type_zh = "code", "編號"
    return parse


_NUMBER_CHARS = re.compile(r"[0-9.eE+-]+")


def _decimal_text(value: Any) -> Decimal:
    if isinstance(value, JsonFloat):
        raise CellError(
            f'{value} is a JSON number with a fraction: write it as a string, e.g. "{value}"',
            f'{value} 為帶小數的 JSON 數字：請寫成字串，例如 "{value}"',
        )
    if isinstance(value, bool) or isinstance(value, dt.date):
        raise _wrong(value, "a number", "數字")
    if isinstance(value, int | Decimal):
        result = Decimal(value)
    else:
        raw = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        # ASCII digits only: Decimal() would also read "1_000" and other scripts' digits
        # ("٣"), which no spreadsheet of a property company means (issue 8, fuzzing).
        if not _NUMBER_CHARS.fullmatch(raw):
            raise _wrong(value, "a number", "數字")
        try:
            result = Decimal(raw)
        except (InvalidOperation, ValueError):
            raise _wrong(value, "a number", "數字") from None
    if not result.is_finite():
        raise _wrong(value, "a number", "數字")
    return result


def decimal(
    places: int,
    *,
    maximum: Decimal,
    positive: bool = False,
    what: tuple[str, str] = ("a number", "數字"),
) -> Callable[[Any], Decimal]:
    """A number with at most `places` decimals, not negative (or more than 0 if
    `positive`), at most `maximum`."""

    def parse(value: Any) -> Decimal:
        result = _decimal_text(value)
        shown = _shown(value)
        if result < 0:
            raise CellError(f"{shown} is negative", f"{shown} 為負數")
        if positive and result == 0:
            raise CellError(f"{shown} must be more than 0", f"{shown} 必須大於零")
        if result > maximum:
            raise CellError(f"{shown} is larger than {maximum}", f"{shown} 超過上限 {maximum}")
        if result.as_tuple().exponent < -places and result != round(result, places):
            unit = (
                ("2 decimals (分)", "兩位小數（分）")
                if places == 2
                else (
                    f"{places} decimals",
                    f"{places} 位小數",
                )
            )
            raise CellError(f"{shown} has more than {unit[0]}", f"{shown} 超過{unit[1]}")
        return result.quantize(Decimal(1).scaleb(-places))

    parse.type_en, parse.type_zh = what
    return parse


def rate(*, maximum: Decimal) -> Callable[[Any], Decimal]:
    """A rate per day with at most 6 decimals, also written with ‰ or % as staff do
    (`0.5‰` = `0.05%` = 0.0005)."""
    as_number = decimal(6, maximum=maximum, what=("rate per day", "日率"))

    def parse(value: Any) -> Decimal:
        if isinstance(value, str) and not isinstance(value, JsonFloat):
            text = unicodedata.normalize("NFKC", value).strip()
            for sign, scale in (("‰", 1000), ("%", 100)):
                if text.endswith(sign):
                    number = _decimal_text(text[: -len(sign)])
                    return as_number(str(number / scale))
        return as_number(value)

    parse.type_en, parse.type_zh = "rate per day", "日率"
    return parse


def money(*, positive: bool = False) -> Callable[[Any], Decimal]:
    return decimal(2, maximum=MAX_AMOUNT, positive=positive, what=("amount", "金額"))


def integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = _decimal_text(value)
        if number != number.to_integral_value():
            raise _wrong(value, "a whole number", "整數")
        if not low <= number <= high:
            raise CellError(
                f"{_shown(value)} is not between {low} and {high}",
                f"{_shown(value)} 不在 {low} 至 {high} 之間",
            )
        return int(number)

    parse.type_en, parse.type_zh = "whole number", "整數"
    return parse


_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$|^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_MONTH_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$|^(\d{4})年(\d{1,2})月$")


def date(value: Any) -> dt.date:
    """YYYY-MM-DD, also 2026/03/01, 2026年3月1日 and Excel date cells."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise _wrong(value, "a date (it has a time of day)", "日期（含時間）")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or isinstance(value, JsonFloat):
        raise _wrong(value, "a date (YYYY-MM-DD)", "日期（YYYY-MM-DD）")
    match = _DATE_RE.match(unicodedata.normalize("NFKC", value).strip())
    if match:
        parts = [int(p) for p in match.groups() if p is not None]
        try:
            return dt.date(*parts)
        except ValueError:
            pass
    raise _wrong(value, "a date (YYYY-MM-DD)", "日期（YYYY-MM-DD）")


date.type_en, date.type_zh = "date YYYY-MM-DD", "日期 YYYY-MM-DD"


def month(value: Any) -> dt.date:
    """A period YYYY-MM (also 2026/03, 2026年3月, or an Excel date cell on the 1st),
    returned as its first day."""
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if day.day != 1 or (isinstance(value, dt.datetime) and value.time() != dt.time(0, 0)):
            raise _wrong(value, "a month (YYYY-MM)", "月份（YYYY-MM）")
        return day
    if isinstance(value, str) and not isinstance(value, JsonFloat):
        match = _MONTH_RE.match(unicodedata.normalize("NFKC", value).strip())
        if match:
            year, number = (int(p) for p in match.groups() if p is not None)
            if 1 <= number <= 12:
                return dt.date(year, number, 1)
    raise _wrong(value, "a month (YYYY-MM)", "月份（YYYY-MM）")


month.type_en, month.type_zh = "month YYYY-MM", "月份 YYYY-MM"

_YES = {fold(w) for w in ("yes", "y", "true", "1", "是", "有", "√", "✓")}
_NO = {fold(w) for w in ("no", "n", "false", "0", "否", "無", "×")}


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and not isinstance(value, JsonFloat):
        if fold(value) in _YES:
            return True
        if fold(value) in _NO:
            return False
    raise _wrong(value, "yes or no (是/否)", "是或否")


yes_no.type_en, yes_no.type_zh = "yes/no", "是/否"


def choice(choices, *extra: tuple[Any, str]) -> Callable[[Any], Any]:
    """One of a model's choices, by its value or its Chinese label, or an extra word."""
    words: dict[str, Any] = {}
    shown: dict[Any, list[str]] = {}  # value → the words accepted for it, as written
    for value, label in choices.choices:
        words[fold(value)] = value
        words[fold(label)] = value
        shown[value] = [str(label)]
    for value, word in extra:
        words[fold(word)] = value
        shown[value].append(word)
    values = ", ".join(str(v) for v in choices.values)

    def parse(value: Any) -> Any:
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise CellError(
                f"'{_shown(value)}' is not one of {values}",
                f"「{_shown(value)}」不是 {values} 之一",
            )
        found = words.get(fold(value))
        if found is None:
            shown = _shown(value)
            raise CellError(f"'{shown}' is not one of {values}", f"「{shown}」不是 {values} 之一")
        return found

    parse.type_en, parse.type_zh = f"one of {values}", f"{values} 之一"
    parse.values = list(choices.values)
    parse.words = words
    parse.shown = shown
    return parse


# --- the table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # English header = the key used in code
    zh: str  # 中文 header (Traditional; Simplified matches too)
    parse: Callable[[Any], Any]
    required: bool = False
    aliases: tuple[str, ...] = ()  # other headers staff use for it
    note: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, self.zh, *self.aliases)


@dataclass(frozen=True)
class Kind:
    name: str  # English kind = CSV --kind, XLSX sheet name, JSON key
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the stable key of a row (duplicates within a file are errors)
    aliases: tuple[str, ...] = ()
    by_header: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        table = {}
        for column in self.columns:
            for header in column.headers:
                table[fold_header(header)] = column
        object.__setattr__(self, "by_header", table)

    def column(self, header: Any) -> Column | None:
        return self.by_header.get(fold_header(header))

    def get(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.zh, *self.aliases)


# Columns any kind may carry that the import leaves alone (free notes on a sheet).
IGNORED_HEADERS = {fold_header(h) for h in ("note", "notes", "remark", "remarks", "備註", "說明")}

_CYCLE = (
    (1, "月"),
    (1, "monthly"),
    (1, "month"),
    (3, "季"),
    (3, "quarterly"),
    (3, "quarter"),
    (12, "年"),
    (12, "yearly"),
    (12, "annual"),
    (12, "year"),
)

UNIT_CODE = Column("unit_code", "單元編號", code(60), required=True, note="PROJECT-BUILDING-NUMBER")
CUSTOMER_CODE = Column("customer_code", "客戶編號", code(30), required=True)
FEE_ITEM = Column(
    "fee_item", "收費項目", text(100), required=True, note="code (PMF) or name (物業服務費)"
)
PERIOD = Column("period", "期間", month, required=True, aliases=("月份", "所屬期間"))

PROJECTS = Kind(
    "projects",
    "項目",
    aliases=("管理處", "project"),
    key=("project_code",),
    columns=(
        Column("project_code", "項目編號", code(20), required=True, aliases=("code",)),
        Column("name", "項目名稱", text(200), required=True),
        Column(
            "kind",
            "項目類型",
            choice(Project.Kind, ("office", "辦公"), ("office", "寫字樓"), ("residential", "住宅")),
            required=True,
        ),
        Column("time_zone", "時區", text(50), note="default Asia/Shanghai"),
        Column("phone", "電話", text(40), aliases=("服務電話",)),
        Column("bank_name", "開戶銀行", text(200), aliases=("銀行",)),
        Column("bank_account", "銀行帳號", text(60), aliases=("帳號",)),
        Column("address", "地址", text(300)),
    ),
)

UNITS = Kind(
    "units",
    "單元",
    aliases=("unit", "房屋"),
    key=("project_code", "building_code", "number"),
    columns=(
        Column("project_code", "項目編號", code(20), required=True, aliases=("project", "項目")),
        Column("building_code", "樓座編號", code(20), required=True, aliases=("樓座", "building")),
        Column(
            "number", "單元號", code(30), required=True, aliases=("房號", "unit_number", "unit")
        ),
        Column("building_name", "樓座名稱", text(200), note="for a new building; default its code"),
        Column("floor", "樓層", integer(-20, 300)),
        Column(
            "area",
            "面積",
            decimal(2, maximum=Decimal("99999999.99"), what=("area m²", "面積 m²")),
            required=True,
            aliases=("建築面積", "area_m2"),
            note="gross area, m², at most 2 decimals",
        ),
        Column(
            "kind",
            "單元類型",
            choice(Unit.Kind, ("office", "辦公"), ("shop", "商舖"), ("parking", "停車位")),
            required=True,
        ),
        Column(
            "occupancy",
            "入住狀態",
            choice(
                Unit.Occupancy,
                ("occupied", "入住"),
                ("vacant_unfitted", "空置未裝修"),
                ("vacant_fitted", "空置已裝修"),
            ),
            note="default occupied",
        ),
    ),
)

CUSTOMERS = Kind(
    "customers",
    "客戶",
    aliases=("customer", "業主"),
    key=("customer_code",),
    columns=(
        Column("customer_code", "客戶編號", code(30), required=True, aliases=("code",)),
        Column("name", "客戶名稱", text(200), required=True, aliases=("名稱",)),
        Column("kind", "客戶類型", choice(Customer.Kind), required=True),
        Column("role", "身份", choice(Customer.Role), required=True, aliases=("客戶身份",)),
        Column("mailing_address", "通訊地址", text(300)),
        Column("phone", "電話", text(40), aliases=("手機",)),
        Column("email", "電郵", text(200), aliases=("電子郵件", "郵箱", "e-mail")),
    ),
)

CONTACTS = Kind(
    "contacts",
    "聯絡人",
    aliases=("contact",),
    key=("customer_code", "name"),
    columns=(
        CUSTOMER_CODE,
        Column("name", "姓名", text(200), required=True, aliases=("聯絡人",)),
        Column("phone", "電話", text(40), aliases=("手機",)),
        Column("email", "電郵", text(200), aliases=("電子郵件", "郵箱", "e-mail")),
        Column("relation", "關係", text(60), note="e.g. 本人, 配偶, 行政經理"),
        Column(
            "designated",
            "指定負責人",
            yes_no,
            note="yes/no (是/否), default no; at most one per customer (B1)",
        ),
    ),
)

ACCOUNTS = Kind(
    "accounts",
    "帳戶",
    aliases=("account",),
    key=("unit_code", "customer_code", "start_date"),
    columns=(
        UNIT_CODE,
        CUSTOMER_CODE,
        Column("role", "身份", choice(Account.Role), required=True),
        Column("start_date", "開始日期", date, required=True, aliases=("起始日期",)),
        Column("end_date", "結束日期", date, note="last day (inclusive); empty = open"),
    ),
)

CONTRACTS = Kind(
    "contracts",
    "合同",
    aliases=("contract",),
    key=("unit_code", "customer_code", "effective_from", "fee_item"),
    columns=(
        UNIT_CODE,
        CUSTOMER_CODE,
        Column("effective_from", "生效日期", date, required=True),
        FEE_ITEM,
        Column(
            "basis",
            "計費方式",
            choice(
                ContractLine.Basis,
                ("per_area", "按面積"),
                ("fixed", "定額"),
                ("supplied", "按期金額"),
            ),
            required=True,
        ),
        Column(
            "unit_price",
            "單價",
            decimal(4, maximum=Decimal("99999999.9999"), what=("price", "單價")),
            note="per m² per month, or per month; required unless supplied",
        ),
        Column(
            "billing_cycle",
            "收費週期",
            choice(Contract.Cycle, *_CYCLE),
            note="1/3/12 (月/季/年), default 1",
        ),
        Column(
            "payment_term",
            "付款期限",
            choice(
                Contract.Term,
                ("after_receipt", "收單後"),
                ("after_receipt", "簽收後"),
                ("fixed_day", "固定日"),
            ),
            required=True,
        ),
        Column(
            "payment_term_days",
            "付款天數",
            integer(0, 365),
            note="after_receipt; default policy (7)",
        ),
        Column("fixed_due_day", "固定到期日", integer(0, 31), note="fixed_day; 0 = last day"),
        Column("late_fee_clause", "違約金條款", yes_no, note="yes/no, default no (L1, X3)"),
        Column(
            "late_fee_rate",
            "違約金日率",
            rate(maximum=Decimal("0.01")),
            note="per day: 0.0005, 0.5‰ or 0.05%; at most 0.01; default the policy (L1) with a clause",
        ),
        Column(
            "segment",
            "客戶類別",
            choice(
                Contract.Segment,
                ("residential", "住宅"),
                ("vacant_investment", "空置投資"),
                ("vacant_investment", "S1"),
                ("shop_villa", "商鋪別墅"),
                ("shop_villa", "S2b"),
                ("hardship", "特殊戶"),
                ("hardship", "S3"),
            ),
            required=True,
        ),
        Column("dunning_policy", "催繳策略", text(50)),
        Column("collector", "收款員", text(150), note="responsible collector (M4)"),
    ),
)

SUPPLIED_AMOUNTS = Kind(
    "supplied_amounts",
    "按期金額",
    aliases=("supplied", "公攤及抄表"),
    key=("unit_code", "period", "fee_item"),
    columns=(
        UNIT_CODE,
        PERIOD,
        FEE_ITEM,
        Column("amount", "金額", money(), required=True, note="yuan, at most 2 decimals"),
    ),
)

OPENING_BALANCES = Kind(
    "opening_balances",
    "期初欠費",
    aliases=("opening",),
    key=("unit_code", "period", "fee_item"),
    columns=(
        UNIT_CODE,
        PERIOD,
        FEE_ITEM,
        Column("amount", "金額", money(positive=True), required=True, note="unpaid, > 0"),
        Column(
            "original_due_date", "原到期日", date, required=True, note="ages the debt (E1, X2, R5)"
        ),
        Column("original_number", "原帳單號", text(60), note="the bill's number before wuye"),
        Column("original_issue_date", "原發單日期", date, note="default the period's first day"),
    ),
)

# In dependency order: a kind refers only to kinds before it.
KINDS: tuple[Kind, ...] = (
    PROJECTS,
    UNITS,
    CUSTOMERS,
    CONTACTS,
    ACCOUNTS,
    CONTRACTS,
    SUPPLIED_AMOUNTS,
    OPENING_BALANCES,
)
_BY_NAME = {fold(name): kind for kind in KINDS for name in kind.names}


def kind_named(name: Any) -> Kind | None:
    """The kind a sheet, JSON key or --kind names (English or Chinese), if any."""
    return _BY_NAME.get(fold(name))


def known_header(header: Any) -> bool:
    folded = fold_header(header)
    return folded in IGNORED_HEADERS or any(folded in k.by_header for k in KINDS)


def markdown_choices() -> str:
    """The words accepted for each choice column, as the list in docs/import.md."""
    lines = []
    for kind in KINDS:
        for c in kind.columns:
            shown = getattr(c.parse, "shown", None)
            if shown is None or any(
                c is k_c for k in KINDS[: KINDS.index(kind)] for k_c in k.columns
            ):
                continue
            values = "; ".join(f"`{value}` {' / '.join(words)}" for value, words in shown.items())
            lines.append(f"- {kind.name} `{c.name}` ({c.zh}): {values}")
    return "\n".join(lines)


def markdown_table(kind: Kind) -> str:
    """The columns of a kind as the Markdown table of docs/import.md."""
    lines = [
        "| English header | 中文 header | required | type | notes |",
        "|---|---|---|---|---|",
    ]
    for c in kind.columns:
        others = ", ".join(c.aliases)
        note = c.note + (f"{'; ' if c.note else ''}also: {others}" if others else "")
        lines.append(
            f"| `{c.name}` | {c.zh} | {'yes' if c.required else ''} | {c.parse.type_en} | {note} |"
        )
    return "\n".join(lines)

"""CSV encodings (issue 3): UTF-8 with or without BOM by default; GBK, GB18030 and Big5
given with --encoding or detected from the header row; anything else refused."""

from __future__ import annotations

import pytest

from wuye.errors import WuyeError
from wuye.imports.tests.helpers import counts, csv_bytes, run
from wuye.properties.models import Customer

pytestmark = pytest.mark.django_db

# Customers as a clerk writes them: Simplified on the mainland (GBK), Traditional in
# Hong Kong and Taiwan (Big5), either in UTF-8. Codes, Chinese names and Chinese values.
HANT = [
    {"customer_code": "C001", "name": "華興貿易有限公司", "kind": "公司", "role": "業主"},
    {"customer_code": "C002", "name": "陳志明", "kind": "個人", "role": "租戶"},
]
HANS = [
    {"customer_code": "C001", "name": "华兴贸易有限公司", "kind": "公司", "role": "业主"},
    {"customer_code": "C002", "name": "陈志明", "kind": "个人", "role": "租户"},
]
CASES = {
    # encoding written: (rows, header language, what --encoding reports, what detection reports)
    "utf-8": (HANT, "zh-hant", "utf-8", "utf-8"),
    "utf-8-sig": (HANT, "zh-hant", "utf-8", "utf-8"),
    "gbk": (HANS, "zh-hans", "gbk", "gb18030"),
    "gb18030": (HANS, "zh-hans", "gb18030", "gb18030"),
    "big5": (HANT, "zh-hant", "big5", "big5"),
}


def customers_file(tmp_path, encoding: str, rows=None, language=None):
    default_rows, default_language, _, _ = CASES.get(encoding, (HANT, "zh-hant", "", ""))
    path = tmp_path / f"customers-{encoding}.csv"
    path.write_bytes(
        csv_bytes(
            "customers",
            rows or default_rows,
            language=language or default_language,
            encoding=encoding,
        )
    )
    return path


def refusal(path, **kwargs) -> list[dict]:
    before = counts()
    with pytest.raises(WuyeError) as raised:
        run(path, **kwargs)
    assert raised.value.code == "import_refused"
    assert counts() == before
    return raised.value.details["errors"]


@pytest.mark.parametrize("encoding", list(CASES))
@pytest.mark.parametrize("given", [True, False], ids=["--encoding", "detected"])
def test_customers_csv_in_each_encoding_is_read_with_its_chinese_intact(tmp_path, encoding, given):
    """Issue 3 (encodings).
    Given customers with Chinese headers and names written in this encoding,
    when imported with --encoding naming it, or without (detection),
    then the names are exactly as written and the result says which encoding was used
    (a GBK file is detected as GB18030, its superset)."""
    rows, _, reported, detected = CASES[encoding]
    path = customers_file(tmp_path, encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    result = run(path, encoding=encoding if given else None)

    assert result.encoding == (reported if given else detected)
    assert dict(Customer.objects.values_list("code", "name")) == {
        row["customer_code"]: row["name"] for row in rows
    }
    assert dict(Customer.objects.values_list("code", "kind")) == {
        "C001": "company",
        "C002": "person",
    }
    assert Customer.objects.get(code="C002").role == "tenant"


def test_utf8_is_the_default_when_the_headers_are_english(tmp_path):
    """Issue 3: English headers read the same in every candidate; UTF-8 comes first."""
    path = customers_file(tmp_path, "utf-8", language="en")

    assert run(path).encoding == "utf-8"
    assert Customer.objects.get(code="C001").name == "華興貿易有限公司"


def test_detection_keeps_the_encoding_the_whole_file_decodes_in(tmp_path):
    """Issue 3: English (ASCII) headers fit every encoding; the data rows in GBK decide.
    Given English headers and Simplified names in GBK, when imported without --encoding,
    then GB18030 is chosen, since the file is not UTF-8."""
    path = customers_file(tmp_path, "gbk", language="en")

    assert run(path).encoding == "gb18030"
    assert Customer.objects.get(code="C002").name == "陈志明"


def test_a_file_in_no_known_encoding_is_refused_with_the_reason(tmp_path):
    """Issue 3: a file that matches none of UTF-8, GB18030 and Big5 is refused, saying so.
    Given customers written in UTF-16, when imported without --encoding,
    then it is refused: unknown encoding, and nothing is written."""
    path = customers_file(tmp_path, "utf-16")

    errors = refusal(path)

    assert len(errors) == 1
    assert errors[0]["message"].startswith("unknown encoding")
    assert "--encoding" in errors[0]["message"]


def test_an_unknown_encoding_name_is_refused(tmp_path):
    """Issue 3: --encoding must name an encoding the import reads."""
    path = customers_file(tmp_path, "utf-8")

    for name in ("klingon", "latin-1"):
        errors = refusal(path, encoding=name)
        assert [e["message"] for e in errors] == [
            f"unknown encoding '{name}': use one of utf-8, gbk, gb18030, big5"
        ]


def test_a_file_not_in_the_given_encoding_is_refused_naming_the_line(tmp_path):
    """Issue 3 (undecodable): Big5 bytes read as UTF-8 are refused, naming the line.
    Given a Big5 file, when imported with --encoding utf-8,
    then it is refused: line 1 is not valid UTF-8."""
    path = customers_file(tmp_path, "big5")

    errors = refusal(path, encoding="utf-8")

    assert errors[0]["row"] == 1
    assert errors[0]["message"].startswith("line 1 is not valid UTF-8")


def test_a_gbk_file_with_a_broken_data_row_is_refused_naming_that_line(tmp_path):
    """Issue 3: the whole file must decode, not only its header row.
    Given a GBK file whose third line has a stray byte, when imported without --encoding,
    then it is refused naming line 3."""
    good = csv_bytes("customers", HANS, language="zh-hans", encoding="gbk")
    lines = good.split(b"\r\n")
    lines[2] = lines[2] + b"\xff"
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\r\n".join(lines))

    errors = refusal(path)

    assert errors[0]["row"] == 3
    assert "line 3 is not valid GB18030" in errors[0]["message"]


def test_big5_given_as_cp950_alias_is_accepted(tmp_path):
    """Issue 3: encoding names are Python's (cp950 is Microsoft's Big5, cp936 its GBK)."""
    run(customers_file(tmp_path, "big5"), encoding="cp950")

    assert Customer.objects.get(code="C001").name == "華興貿易有限公司"

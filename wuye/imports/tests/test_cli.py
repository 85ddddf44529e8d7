"""`wuye import FILE [--kind K] [--encoding E] [--dry-run] [--on DATE] [--json]` (issue 3):
a per-kind table or JSON on success; on refusal exit 2, one stderr line per error."""

from __future__ import annotations

import json

import pytest

from wuye.cli import main
from wuye.imports.tests.helpers import DATA, counts, with_rows, write_csv, write_xlsx
from wuye.properties.models import Unit

pytestmark = pytest.mark.django_db


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_import_prints_a_table_of_created_updated_unchanged_per_kind(capsys, tmp_path):
    path = write_xlsx(tmp_path)

    code, out, err = cli(capsys, "import", path, "--on", "2026-03-01", "--user", "clerk")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["kind", "rows", "created", "updated", "unchanged"]
    assert lines[2].split() == ["projects", "1", "1", "0", "0"]
    assert lines[-1].split() == ["opening_balances", "2", "2", "0", "0"]

    code, out, _ = cli(capsys, "import", path, "--on", "2026-03-01")

    assert code == 0 and out.splitlines()[-1] == "nothing changed"


def test_import_json_output_is_the_result_as_data(capsys, tmp_path):
    """The command line: JSON with the per-kind counts, no floats."""
    path = write_xlsx(tmp_path)

    code, out, err = cli(capsys, "--json", "import", path, "--on", "2026-03-01", "--dry-run")

    assert (code, err) == (0, "")
    data = json.loads(out, parse_float=lambda text: pytest.fail(f"a float: {text}"))
    assert (data["format"], data["dry_run"], data["batch"], data["on"]) == (
        "xlsx",
        True,
        None,
        "2026-03-01",
    )
    assert data["kinds"][1] == {
        "kind": "units",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert Unit.objects.count() == 0  # a dry run


def test_dry_run_says_so_and_writes_nothing(capsys, tmp_path):
    path = write_xlsx(tmp_path)
    before = counts()

    code, out, _ = cli(capsys, "import", path, "--dry-run", "--on", "2026-03-01")

    assert code == 0
    assert out.splitlines()[0].split()[2:4] == ["would", "create"]
    assert out.splitlines()[-1] == "dry run: nothing written"
    assert counts() == before


def test_a_refused_import_exits_2_with_one_line_per_error(capsys, tmp_path):
    """STYLE §8; issue 3: `wuye: error: FILE sheet/kind row N, column 'X': message`, after
    one line that sums up; nothing on stdout, nothing written."""
    rows = with_rows("units", {"area": "-1"}, {"kind": "castle"})["units"]
    path = write_csv(tmp_path, "units", rows)
    before = counts()

    code, out, err = cli(capsys, "import", path, "--on", "2026-03-01")

    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"wuye: error: import refused: 2 errors in {path}, nothing written"
        f" / 匯入被拒：{path} 有 2 個錯誤，未寫入任何資料",
        f"wuye: error: {path} units row 2, column '面積': -1 is negative / -1 為負數",
        f"wuye: error: {path} units row 3, column '單元類型': 'castle' is not one of office,"
        " residential, shop, villa, parking / 「castle」不是 office, residential, shop, villa,"
        " parking 之一",
    ]
    assert counts() == before


def test_a_refused_import_with_json_prints_one_json_line(capsys, tmp_path):
    """The command line: with --json the error is one JSON object on one stderr line,
    with the errors as a list."""
    path = write_csv(tmp_path, "units", with_rows("units", {"area": "1.234"})["units"])

    code, out, err = cli(capsys, "import", path, "--json", "--on", "2026-03-01")

    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    data = json.loads(err)
    assert data["error"] == "import_refused"
    assert data["file"] == str(path)
    assert data["errors"][0] == {
        "sheet": "units",
        "row": 2,
        "column": "面積",
        "message": "1.234 has more than 2 decimals (分)",
        "message_zh": "1.234 超過兩位小數（分）",
    }


def test_file_level_errors_name_the_file_only(capsys, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes("客戶編號,客戶名稱\r\n".encode("utf-16"))

    code, _, err = cli(capsys, "import", path, "--on", "2026-03-01")

    assert code == 2
    assert err.splitlines()[1].startswith(f"wuye: error: {path} row 1: unknown encoding")


def test_encoding_and_kind_options_are_passed_on(capsys, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes("項目編號,項目名稱,項目類型\r\nHT,匯通商業大廈,辦公大廈\r\n".encode("big5"))

    code, out, err = cli(
        capsys,
        "import",
        path,
        "--encoding",
        "big5",
        "--kind",
        "項目",
        "--on",
        "2026-03-01",
        "--json",
    )

    assert (code, err) == (0, "")
    assert json.loads(out)["encoding"] == "big5"


def test_a_missing_file_is_one_line(capsys, tmp_path):
    code, out, err = cli(capsys, "import", tmp_path / "nope.csv", "--on", "2026-03-01")

    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"wuye: error: cannot read {tmp_path / 'nope.csv'}: No such file or directory / 無法讀取 {tmp_path / 'nope.csv'}：No such file or directory"
    ]


def test_import_is_listed_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "import" in capsys.readouterr().out
    assert DATA  # the data set the other tests use is not empty

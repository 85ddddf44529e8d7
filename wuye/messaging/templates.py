"""Message texts from template files: the R1 reminder of RULES.md with its placeholders
({年}{月}{金額}{賬號}{管理處}{電話}). An administrator overrides a shipped template by
putting a file of the same name in WUYE_TEMPLATE_DIR (as for printed documents); every
template is checked against X1 when it is used."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from wuye.errors import WuyeError
from wuye.messaging.validation import refuse_supply_threats

SHIPPED = Path(__file__).resolve().parent / "templates" / "messaging"
R1_REMINDER = "r1_reminder.txt"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def template_path(name: str) -> Path:
    """WUYE_TEMPLATE_DIR (its messaging/ folder or itself) first, then the shipped file."""
    name = name.strip()
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise WuyeError(
            "template_missing", f"bad template name '{name}'", f"範本名稱錯誤「{name}」"
        )
    for directory in getattr(settings, "WUYE_TEMPLATE_DIRS", []):
        for candidate in (Path(directory) / "messaging" / name, Path(directory) / name):
            if candidate.is_file():
                return candidate
    if (SHIPPED / name).is_file():
        return SHIPPED / name
    raise WuyeError(
        "template_missing",
        f"message template '{name}' not found (WUYE_TEMPLATE_DIR or the shipped ones)",
        f"找不到短信範本「{name}」（WUYE_TEMPLATE_DIR 或系統範本）",
    )


def load_template(name: str) -> str:
    text = template_path(name).read_text(encoding="utf-8").strip()
    refuse_supply_threats(text, what=f"message template '{name}'")  # rule X1
    return text


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each {placeholder}; one the template uses that is not known is an error
    (a reminder must never go out with a hole in it)."""
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(text)} - set(values))
    if unknown:
        raise WuyeError(
            "template_invalid",
            f"message template uses unknown placeholders: {', '.join(unknown)}",
            f"短信範本含有未知的佔位符：{'、'.join(unknown)}",
        )
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

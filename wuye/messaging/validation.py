"""X1 (《民法典》 art. 944): a property company must not collect by cutting off water,
electricity, heating or gas, so no text it sends may threaten to. Reusable by any part
that checks a template, a policy text or a message body."""

from __future__ import annotations

from wuye.errors import WuyeError
from wuye.x1 import find_supply_threats


def refuse_supply_threats(text: str, *, what: str = "text") -> None:
    """X1: raise WuyeError when `text` threatens to cut water, electricity, heating or gas."""
    found = find_supply_threats(text)
    if found:
        phrases = "、".join(dict.fromkeys(found))
        raise WuyeError(
            "x1_supply_threat",
            f"{what} threatens to cut water, electricity, heating or gas ({phrases}); "
            "the law forbids collecting that way (X1, Civil Code art. 944)",
            f"{what}含有停水、停電、停暖或停氣的字眼（{phrases}）；"
            "《民法典》第944條禁止以此方式催交物業費（X1）",
            phrases=list(dict.fromkeys(found)),
        )

"""Rule X1 (《民法典》 art. 944): a property company must not collect by cutting off water,
electricity, heating or gas. One detector of such threats for every text the system
makes: dunning steps and templates, messages, broadcasts."""

from __future__ import annotations

import re

#: the four supplies (Traditional and Simplified) and the verbs that would cut them
_SUPPLIES = "水電电暖氣气"
_THREATS = [
    # 停水, 斷電, 断气, 停止供水, 暫停供電, 中止供暖, 切斷電源 …
    rf"(?:停|斷|断|截)[{_SUPPLIES}]",
    rf"(?:停止|暫停|暂停|中止|中斷|中断|終止|终止|切斷|切断|截斷|截断|限制)(?:供|提供)?[{_SUPPLIES}]",
    rf"(?:停止|暫停|暂停|中止|中斷|中断|終止|终止|停)供[{_SUPPLIES}]",
    r"(?:停止|暫停|暂停|中止|終止|终止)(?:相關|相关|有關|有关)?(?:服務|服务)",
    r"(?:切斷|切断|截斷|截断|斷|断)(?:電源|电源|水源|氣源|气源)",
    r"(?:停|斷|断)(?:暖氣|暖气|燃氣|燃气|煤氣|煤气|天然氣|天然气)",
]
_PATTERN = re.compile("|".join(f"(?:{p})" for p in _THREATS))


def find_supply_threats(text: str) -> list[str]:
    """The phrases of `text` that threaten to cut a supply (empty: none)."""
    return [m.group(0) for m in _PATTERN.finditer(text or "")]

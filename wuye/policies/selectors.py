from __future__ import annotations

from typing import Any

from wuye.errors import WuyeError
from wuye.policies.models import PolicySetting
from wuye.policies.registry import DEFAULTS


def policy(key: str, *, project_id: int | None = None, segment: str = "") -> Any:
    """The value in force: project + segment, then project, then global, then default."""
    if key not in DEFAULTS:
        raise WuyeError("unknown_policy", f"unknown policy '{key}'", f"未知政策「{key}」")
    spec = DEFAULTS[key]
    rows = {
        (row.project_id, row.segment): row.value
        for row in PolicySetting.objects.filter(key=key, project_id__in=[project_id, None])
    }
    for candidate in ((project_id, segment), (project_id, ""), (None, segment), (None, "")):
        if candidate in rows:
            return spec.parse(rows[candidate])
    return spec.parse(spec.default)

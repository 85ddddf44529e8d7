"""Rule X1 (《民法典》 art. 944): a property company must not collect by cutting off water,
electricity, heating or gas. No dunning step can do it (there is no such action), and no
step name or document template may threaten it; this is checked when a step is saved
through a form (`DunningStep.clean`) or validated by `validate_policy`."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from wuye.dunning.models import Action
from wuye.x1 import find_supply_threats


def utility_threats(text: str) -> list[str]:
    return find_supply_threats(text)


def check_text(text: str, *, field: str) -> None:
    found = utility_threats(text)
    if found:
        raise ValidationError(
            {
                field: f"X1: must not threaten to cut water, electricity, heating or gas "
                f"({', '.join(found)}); 《民法典》第944條"
            }
        )


def template_source(name: str) -> str:
    """The text of a document template as an administrator may have overridden it."""
    from wuye.documents.rendering import template_for
    from wuye.errors import WuyeError

    try:
        return template_for(name).template.source
    except WuyeError as error:
        raise ValidationError({"template": error.message}) from None


def validate_step(step) -> None:
    if step.action not in Action.values:
        raise ValidationError(
            {
                "action": f"'{step.action}' is not an action; cutting water, electricity, "
                "heating or gas is never one (X1)"
            }
        )
    check_text(step.name, field="name")
    if step.template and step.action in (Action.SMS, Action.EMAIL):
        from wuye.errors import WuyeError
        from wuye.messaging.templates import load_template

        try:
            load_template(step.template)  # refuses a threat itself (X1)
        except WuyeError as error:
            raise ValidationError({"template": error.message}) from None
    elif step.template:
        check_text(template_source(step.template), field="template")


def validate_policy(policy) -> None:
    """Every step of a policy (X1)."""
    for step in policy.steps.all():
        validate_step(step)

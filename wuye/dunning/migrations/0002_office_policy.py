"""The default office policy (RULES.md E2, E3, G1) as data an administrator edits:
1st/2nd/3rd 催繳通知書 at 3/7/10 days overdue, each level at least 3 days after the
previous one was delivered or posted, then escalation to supervisor and manager 3 days
after the 3rd. The EMS/courier fallback (E3) is the notice delivery workflow."""

from django.db import migrations
from django.utils import timezone

STEPS = [
    # position, code, name, action, template, role, days_overdue, gap_days
    (1, "notice1", "第一次催繳通知書", "notice", "notice.html", "customer-service assistant", 3, 0),
    (2, "notice2", "第二次催繳通知書", "notice", "notice.html", "customer-service assistant", 7, 3),
    (3, "notice3", "第三次催繳通知書", "notice", "notice.html", "customer-service assistant", 10, 3),
    (4, "escalate", "上報部門主管及經理", "escalation", "", "supervisor, manager", 10, 3),
]


def create(apps, schema_editor):
    Policy = apps.get_model("dunning", "DunningPolicy")
    Step = apps.get_model("dunning", "DunningStep")
    policy = Policy.objects.create(
        code="office",
        name="辦公大廈催繳程序",
        segments="office",
        min_amount="1.00",
        changed_by="migration",
        changed_at=timezone.now(),
    )
    for position, code, name, action, template, role, days, gap in STEPS:
        Step.objects.create(
            policy=policy, position=position, code=code, name=name, action=action,
            template=template, role=role, days_overdue=days, gap_days=gap,
        )


def remove(apps, schema_editor):
    apps.get_model("dunning", "DunningStep").objects.filter(policy__code="office").delete()
    apps.get_model("dunning", "DunningPolicy").objects.filter(code="office").delete()


class Migration(migrations.Migration):
    dependencies = [("dunning", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]

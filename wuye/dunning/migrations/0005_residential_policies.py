"""The default residential policies (RULES.md Part 2 and its defaults table) as data an
administrator edits. Two tracks run side by side: R1 reminder messages every 14 days
while in arrears, and the ladder of calls (R2), posted notices (R3), visits (R4) and
the legal proposal (R5), each next step only when the previous one had no result
(no payment since). The special groups get their own: S1 vacant investment units (a
call a month, lawyer letters in one batch from 3,000), S2b shops and villas (a visit
every 14 days, legal stage at 5,000 and 60 days overdue), S3 hardship households
(reminders only; reductions and instalments go through approvals). No step suspends
water, electricity, heating or gas (X1)."""

from django.db import migrations
from django.utils import timezone

ASSISTANT = "customer-service assistant"
POLICIES = {
    # code: (name, segments, [(position, track, code, name, action, template, role,
    #         days_overdue, gap_days, min_arrears, min_age_days, without_result, repeat)])
    "residential": (
        "住宅小區催收",
        "residential",
        [
            (
                1,
                "reminder",
                "r1_reminder",
                "催收信息（R1）",
                "sms",
                "",
                ASSISTANT,
                1,
                0,
                None,
                None,
                False,
                14,
            ),
            (
                2,
                "main",
                "r2_call",
                "電話催收（R2, S2a）",
                "call",
                "",
                ASSISTANT,
                7,
                0,
                None,
                None,
                False,
                7,
            ),
            (
                3,
                "main",
                "r3_posting",
                "張貼催款單（R3）",
                "posting",
                "notice.html",
                ASSISTANT,
                30,
                7,
                None,
                None,
                True,
                None,
            ),
            (
                4,
                "main",
                "r4_visit",
                "上門溝通（R4）",
                "visit",
                "",
                ASSISTANT,
                45,
                7,
                None,
                None,
                True,
                None,
            ),
            (
                5,
                "main",
                "r5_legal",
                "建議法律程序（R5）",
                "escalation",
                "",
                "manager",
                60,
                14,
                "5000.01",
                366,
                True,
                None,
            ),
        ],
    ),
    "vacant_investment": (
        "空置投資單位（S1）",
        "vacant_investment",
        [
            (
                1,
                "reminder",
                "r1_reminder",
                "催收信息（R1）",
                "sms",
                "",
                ASSISTANT,
                1,
                0,
                None,
                None,
                False,
                14,
            ),
            (
                2,
                "main",
                "s1_call",
                "每月電話提醒及銀行托收（S1）",
                "call",
                "",
                ASSISTANT,
                1,
                0,
                None,
                None,
                False,
                30,
            ),
            (
                3,
                "main",
                "s1_lawyer",
                "律師函批量審批（S1）",
                "escalation",
                "",
                "manager",
                1,
                0,
                "3000.00",
                None,
                False,
                None,
            ),
        ],
    ),
    "shop_villa": (
        "商鋪及別墅（S2b）",
        "shop_villa",
        [
            (
                1,
                "main",
                "s2b_visit",
                "專人上門跟進（S2b）",
                "visit",
                "",
                ASSISTANT,
                1,
                0,
                None,
                None,
                False,
                14,
            ),
            (
                2,
                "main",
                "s2b_legal",
                "法律程序（S2b, R5）",
                "escalation",
                "",
                "manager",
                60,
                0,
                "5000.00",
                None,
                False,
                None,
            ),
        ],
    ),
    "hardship": (
        "特殊戶（S3）",
        "hardship",
        [
            (
                1,
                "reminder",
                "r1_reminder",
                "催收信息（R1）",
                "sms",
                "",
                ASSISTANT,
                1,
                0,
                None,
                None,
                False,
                30,
            ),
        ],
    ),
}


def create(apps, schema_editor):
    Policy = apps.get_model("dunning", "DunningPolicy")
    Step = apps.get_model("dunning", "DunningStep")
    now = timezone.now()
    for code, (name, segments, steps) in POLICIES.items():
        policy = Policy.objects.create(
            code=code,
            name=name,
            segments=segments,
            min_amount="1.00",
            changed_by="migration",
            changed_at=now,
        )
        for (
            position,
            track,
            step_code,
            step_name,
            action,
            template,
            role,
            days,
            gap,
            amount,
            age,
            without_result,
            repeat,
        ) in steps:
            Step.objects.create(
                policy=policy,
                position=position,
                track=track,
                code=step_code,
                name=step_name,
                action=action,
                template=template,
                role=role,
                days_overdue=days,
                gap_days=gap,
                min_arrears=amount,
                min_age_days=age,
                without_result=without_result,
                repeat_every_days=repeat,
            )


def remove(apps, schema_editor):
    codes = list(POLICIES)
    apps.get_model("dunning", "DunningStep").objects.filter(policy__code__in=codes).delete()
    apps.get_model("dunning", "DunningPolicy").objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("dunning", "0004_posting_evidence_occurrences")]
    operations = [migrations.RunPython(create, remove)]

"""The fee items of the procedures' collection notice (R3) plus parking; administrators
add or change fee items as data."""

from decimal import Decimal

from django.db import migrations

ITEMS = [
    # code, 中文, English, tax rate, bears late fee (L1), pass-through (X5)
    ("PMF", "物業服務費", "Property service fee", "0.0600", True, False),
    ("ELV", "電梯費", "Elevator fee", "0.0600", True, False),
    ("WATER", "共用水費公攤", "Shared water", "0.0900", False, True),
    ("ELEC", "共用電費公攤", "Shared electricity", "0.1300", False, True),
    ("PARK", "車位管理費", "Parking management fee", "0.0600", True, False),
]


def load(apps, schema_editor):
    FeeItem = apps.get_model("billing", "FeeItem")
    for order, (code, name, name_en, rate, late, passthrough) in enumerate(ITEMS):
        FeeItem.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name, name_en=name_en, tax_rate=Decimal(rate), bears_late_fee=late,
                pass_through=passthrough, sort_order=order,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

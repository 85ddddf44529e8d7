"""X6: the one-year LPR (貸款市場報價利率, published by the National Interbank Funding
Center) with its effective dates, as data an administrator extends."""

from decimal import Decimal

from django.db import migrations

RATES = [
    ("2023-08-21", "0.0345", "1年期LPR 3.45%"),
    ("2024-07-22", "0.0335", "1年期LPR 3.35%"),
    ("2024-10-21", "0.0310", "1年期LPR 3.10%"),
    ("2025-05-20", "0.0300", "1年期LPR 3.00%"),
]


def create(apps, schema_editor):
    Rate = apps.get_model("legal", "LprRate")
    for day, rate, note in RATES:
        Rate.objects.create(effective_from=day, rate=Decimal(rate), note=note)


def remove(apps, schema_editor):
    apps.get_model("legal", "LprRate").objects.filter(
        effective_from__in=[day for day, _, _ in RATES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]

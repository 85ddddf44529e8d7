"""R3: the posted step prints the 催款單 (collection notice) after the procedures' sample."""

from django.db import migrations


def forward(apps, schema_editor):
    Step = apps.get_model("dunning", "DunningStep")
    Step.objects.filter(policy__code="residential", code="r3_posting").update(
        template="collection_notice.html"
    )


def backward(apps, schema_editor):
    Step = apps.get_model("dunning", "DunningStep")
    Step.objects.filter(policy__code="residential", code="r3_posting").update(
        template="notice.html"
    )


class Migration(migrations.Migration):
    dependencies = [("dunning", "0005_residential_policies")]
    operations = [migrations.RunPython(forward, backward)]

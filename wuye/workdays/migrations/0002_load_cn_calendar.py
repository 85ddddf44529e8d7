"""Rule W1: mainland China's holidays and make-up workdays, as far as chinesecalendar
knows them. Later years are added as data by an administrator."""

from django.db import migrations


def load(apps, schema_editor):
    from chinese_calendar import constants

    CalendarDay = apps.get_model("workdays", "CalendarDay")
    CalendarYear = apps.get_model("workdays", "CalendarYear")
    days = [
        CalendarDay(calendar="CN", date=d, is_workday=False, name=str(n))
        for d, n in constants.holidays.items()
    ] + [
        CalendarDay(calendar="CN", date=d, is_workday=True, name=f"{n} (調休)")
        for d, n in constants.workdays.items()
    ]
    CalendarDay.objects.bulk_create(days)
    for year in sorted({d.date.year for d in days}):
        CalendarYear.objects.create(calendar="CN", year=year, source="chinesecalendar")


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

from django.db import migrations


def count_existing(apps, schema_editor):
    """The tallies (now per student and class) from the absences, and the new term
    summaries from the day summaries."""
    RollCall = apps.get_model("attendance", "RollCall")
    if not RollCall.objects.using(schema_editor.connection.alias).exists():
        return
    from dentruong.attendance import tallies

    SchoolYear = apps.get_model("orgs", "SchoolYear")
    tallies.rebuild(school_year_ids=SchoolYear.objects.values_list("id", flat=True))


class Migration(migrations.Migration):
    dependencies = [("attendance", "0005_class_term_summary")]

    operations = [migrations.RunPython(count_existing, migrations.RunPython.noop)]

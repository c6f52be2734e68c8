import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """A student's tally is kept per class (the class that recorded the absences), so that
    the whole-term student-based rate counts per class without joining enrolments. The
    rows are recounted from the absences in the next migration, once this one's unique
    constraint exists (PostgreSQL creates it when the migration ends)."""

    dependencies = [
        ("attendance", "0003_absence_tally"),
        ("orgs", "0001_initial"),
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="AbsenceTally"),
        migrations.CreateModel(
            name="AbsenceTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("term", models.PositiveSmallIntegerField()),
                ("excused", models.PositiveIntegerField(default=0)),
                ("unexcused", models.PositiveIntegerField(default=0)),
                ("late", models.PositiveIntegerField(default=0)),
                ("stray", models.BooleanField(db_default=False)),
                ("school_class", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orgs.schoolclass")),
                ("school_year", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orgs.schoolyear")),
                ("student", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="people.student")),
            ],
            options={
                "verbose_name": "absence tally",
                "verbose_name_plural": "absence tallies",
                "indexes": [
                    models.Index(fields=["school_class", "school_year", "term", "excused", "unexcused", "student"], name="tally_class_term"),
                    models.Index(fields=["school_year", "term"], name="tally_year_term"),
                    models.Index(condition=models.Q(("stray", True)), fields=["student"], name="tally_stray"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("student", "school_class", "term"), name="tally_one_per_student_class"),
                    models.CheckConstraint(condition=models.Q(("term__in", [1, 2])), name="tally_term"),
                ],
            },
        ),
    ]

"""The audit table is append-only in the database too: triggers raise on UPDATE and DELETE
(SQLite and PostgreSQL; dentruong/audit/triggers.py, decision 0010)."""

from django.db import migrations


def install(apps, schema_editor):
    from dentruong.audit import triggers

    triggers.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from dentruong.audit import triggers

    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]

from django.db import migrations

from ipcop.lib.reference_data import PROFESSIONS


def seed(apps, schema_editor):
    Profession = apps.get_model("accounts", "Profession")
    for code, name in PROFESSIONS:
        Profession.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

from django.db import migrations

from ipcop.lib.reference_data import THEMES


def seed(apps, schema_editor):
    Theme = apps.get_model("interviews", "Theme")
    for order, (name, description) in enumerate(THEMES, start=1):
        Theme.objects.get_or_create(name=name, defaults={"description": description, "order": order})


class Migration(migrations.Migration):
    dependencies = [("interviews", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""CIHC 2010 (the default), CIHC 2024 and IPEC 2023 as data, so an admin can switch a
program's framework and reports follow it."""

from django.db import migrations

from ipcop.lib.reference_data import FRAMEWORKS


def seed(apps, schema_editor):
    Framework = apps.get_model("mentoring", "CompetencyFramework")
    Domain = apps.get_model("mentoring", "CompetencyDomain")
    for code, name, year, is_default, domains in FRAMEWORKS:
        framework, _ = Framework.objects.update_or_create(
            code=code, defaults={"name": name, "year": year, "is_default": is_default}
        )
        for order, (domain_code, domain_name) in enumerate(domains, start=1):
            Domain.objects.update_or_create(
                framework=framework, code=domain_code, defaults={"name": domain_name, "order": order}
            )


class Migration(migrations.Migration):
    dependencies = [("mentoring", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

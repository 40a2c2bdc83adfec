"""Institutions become rows (a program's institution was its name as text), so that an
institution can hold agreements with sites; programs gain their coordinators."""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


def institutions_from_names(apps, schema_editor):
    Institution = apps.get_model("placements", "Institution")
    Program = apps.get_model("placements", "Program")
    names = sorted(set(Program.objects.values_list("institution_name", flat=True)))
    ids = {i.name: i.pk for i in Institution.objects.bulk_create(Institution(name=n) for n in names)}
    for program in Program.objects.only("pk", "institution_name"):
        Program.objects.filter(pk=program.pk).update(institution_id=ids[program.institution_name])


def names_from_institutions(apps, schema_editor):
    Program = apps.get_model("placements", "Program")
    for program in Program.objects.select_related("institution"):
        Program.objects.filter(pk=program.pk).update(institution_name=program.institution.name)


class Migration(migrations.Migration):
    dependencies = [
        ("placements", "0005_placement_status_index_for_list_sort"),
        ("accounts", "0007_user_is_coordinator"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Institution",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, unique=True)),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.RemoveConstraint(model_name="program", name="program_unique"),
        migrations.RenameField(model_name="program", old_name="institution", new_name="institution_name"),
        migrations.AddField(
            model_name="program",
            name="institution",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="programs",
                to="placements.institution",
            ),
        ),
        migrations.RunPython(institutions_from_names, names_from_institutions),
        migrations.RemoveField(model_name="program", name="institution_name"),
        migrations.AlterField(
            model_name="program",
            name="institution",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="programs",
                to="placements.institution",
            ),
        ),
        migrations.AddConstraint(
            model_name="program",
            constraint=models.UniqueConstraint(fields=("institution", "name"), name="program_unique"),
        ),
        migrations.AlterModelOptions(name="program", options={"ordering": ["institution__name", "name"]}),
        migrations.AddField(
            model_name="program",
            name="coordinators",
            field=models.ManyToManyField(
                blank=True,
                limit_choices_to={"is_coordinator": True},
                related_name="coordinated_programs",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]

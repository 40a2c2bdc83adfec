"""Each student's sessions at each site per profession present and per domain practised
(StudentSiteProfession, StudentSiteDomain): the site matrix's cells.

This migration also created hand-written triggers (with advisory locks) that kept the
counts, and filled them. Those statements are gone: 0008 drops the triggers where they
ran; the counts are kept by triggers declared on the models (mentoring/triggers.py).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_event"),
        ("mentoring", "0005_site_profession"),
        ("placements", "0001_initial"),
        ("sites", "0002_recent_activity_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="StudentSiteDomain",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sessions", models.PositiveIntegerField()),
                (
                    "domain",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="mentoring.competencydomain",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="sites.site",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="placements.student",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("site", "student", "domain"), name="studentsitedomain_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="StudentSiteProfession",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sessions", models.PositiveIntegerField()),
                (
                    "profession",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.profession",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="sites.site",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="placements.student",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("site", "student", "profession"), name="studentsiteprofession_once"
                    )
                ],
            },
        ),
        # Created hand-written triggers and filled the counts; inert now (see above).
        migrations.RunSQL(migrations.RunSQL.noop, migrations.RunSQL.noop),
    ]

"""Replaced the presence rows' hand-written trigger on SiteProfession by a statement-level
one. Inert now: 0008 drops those triggers where they ran (see 0005)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("mentoring", "0006_student_site_counts")]

    operations = [migrations.RunSQL(migrations.RunSQL.noop, migrations.RunSQL.noop)]

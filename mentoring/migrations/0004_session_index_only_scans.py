"""Indexes that make "the professions present at a site's sessions" two index-only scans
(the site matrix's columns, the learning record's "never worked with"), built without
locking the tables' writes."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("mentoring", "0003_seed_frameworks"),
    ]

    operations = [
        # (site, -held_on) plus the id: a site's session ids without reading the table.
        AddIndexConcurrently(
            model_name="mentoringsession",
            index=models.Index(fields=["site", "-held_on", "-id"], name="session_site_held_id_idx"),
        ),
        RemoveIndexConcurrently(model_name="mentoringsession", name="session_site_held_idx"),
        # Each session's professions and people, read from the index alone.
        AddIndexConcurrently(
            model_name="sessionprofessional",
            index=models.Index(
                fields=["session", "profession", "person"], name="sessionprof_session_prof_idx"
            ),
        ),
    ]

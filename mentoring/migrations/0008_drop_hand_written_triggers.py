"""Drop the hand-written counting triggers and functions of migrations 0005-0007, where
those migrations ran before they were made inert; the next migrations declare the counts'
triggers on the models (django-pgtrigger)."""

from django.db import migrations

_TRIGGERS = {
    "mentoring_mentoringsession": [
        "mentoring_session_presence_count",
        "mentoring_session_recount_insert",
        "mentoring_session_recount_update",
        "mentoring_session_recount_delete",
    ],
    "mentoring_sessionprofessional": [
        "mentoring_presence_count",
        "mentoring_presence_truncate",
        "mentoring_presence_site_count_insert",
        "mentoring_presence_site_count_update",
        "mentoring_presence_site_count_delete",
        "mentoring_presence_recount_insert",
        "mentoring_presence_recount_update",
        "mentoring_presence_recount_delete",
        "mentoring_presence_student_sites_truncate",
    ],
    "mentoring_sessionstudent": [
        "mentoring_attendance_recount_insert",
        "mentoring_attendance_recount_update",
        "mentoring_attendance_recount_delete",
        "mentoring_attendance_truncate",
    ],
    "mentoring_mentoringsession_domains": [
        "mentoring_domain_recount_insert",
        "mentoring_domain_recount_update",
        "mentoring_domain_recount_delete",
        "mentoring_domain_truncate",
    ],
}
_FUNCTIONS = [
    "mentoring_siteprofession_add(bigint, bigint, integer)",
    "mentoring_presence_count()",
    "mentoring_presence_truncate()",
    "mentoring_session_presence_count()",
    "mentoring_presence_site_count()",
    "mentoring_recount_student_sites(bigint[], bigint[])",
    "mentoring_attendance_recount()",
    "mentoring_session_rows_recount()",
    "mentoring_session_recount()",
    "mentoring_student_sites_truncate()",
]

DROP = [
    f"DROP TRIGGER IF EXISTS {trigger} ON {table}"
    for table, triggers in _TRIGGERS.items()
    for trigger in triggers
] + [f"DROP FUNCTION IF EXISTS {function}" for function in _FUNCTIONS]


class Migration(migrations.Migration):
    dependencies = [("mentoring", "0007_site_profession_statement_trigger")]

    # Not reversible into the old triggers: going back leaves the counts untriggered.
    operations = [migrations.RunSQL(DROP, migrations.RunSQL.noop)]

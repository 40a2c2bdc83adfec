"""The triggers that keep each student's session counts at a site (StudentSiteProfession,
StudentSiteDomain) right, declared on the models they watch (django-pgtrigger).

Each statement that writes sessions, attendance, presence or domain rows names the
(site, student) pairs whose counts it may change; the trigger recounts those pairs from
the tables (a student has tens of sessions at a site). A recount, not a delta: "sessions
with someone of a profession" counts a session once however many of that profession were
there, and a recount is right in whatever order the rows of a statement, or of the
statements under the deferred foreign keys, come.

Two transactions must not recount one pair at once (each would miss the other's rows), so
the pairs' sites are locked first, in id order, and the recount reads after the lock,
seeing what the previous holder committed. The services lock the site before writing
(`services.session_log`), so that concurrent logs wait for each other at their start
instead of deadlocking midway.
"""

from __future__ import annotations

import pgtrigger

_RECOUNT = """
    PERFORM 1 FROM sites_site WHERE id IN (SELECT site_id FROM ({pairs}) p)
    ORDER BY id FOR NO KEY UPDATE;
    SELECT array_agg(site_id), array_agg(student_id) INTO sites, students
    FROM (SELECT DISTINCT site_id, student_id FROM ({pairs}) p) p;
    IF sites IS NULL THEN
        RETURN NULL;
    END IF;
    DELETE FROM mentoring_studentsiteprofession c
    USING unnest(sites, students) p (site_id, student_id)
    WHERE c.site_id = p.site_id AND c.student_id = p.student_id;
    DELETE FROM mentoring_studentsitedomain c
    USING unnest(sites, students) p (site_id, student_id)
    WHERE c.site_id = p.site_id AND c.student_id = p.student_id;
    INSERT INTO mentoring_studentsiteprofession (site_id, student_id, profession_id, sessions)
    SELECT s.site_id, a.student_id, sp.profession_id, COUNT(DISTINCT s.id)
    FROM unnest(sites, students) p (site_id, student_id)
    JOIN mentoring_sessionstudent a ON a.student_id = p.student_id
    JOIN mentoring_mentoringsession s ON s.id = a.session_id AND s.site_id = p.site_id
    JOIN mentoring_sessionprofessional sp ON sp.session_id = s.id
    GROUP BY 1, 2, 3;
    INSERT INTO mentoring_studentsitedomain (site_id, student_id, domain_id, sessions)
    SELECT s.site_id, a.student_id, d.competencydomain_id, COUNT(*)
    FROM unnest(sites, students) p (site_id, student_id)
    JOIN mentoring_sessionstudent a ON a.student_id = p.student_id
    JOIN mentoring_mentoringsession s ON s.id = a.session_id AND s.site_id = p.site_id
    JOIN mentoring_mentoringsession_domains d ON d.mentoringsession_id = s.id
    GROUP BY 1, 2, 3;
    RETURN NULL;
"""

# The students at the sessions a presence or domain row belongs to (`{rows}` is the
# statement's old or new rows, or both), at their session's site.
_AT_SESSIONS = """
    SELECT s.site_id, a.student_id FROM mentoring_mentoringsession s
    JOIN mentoring_sessionstudent a ON a.session_id = s.id
    WHERE s.id IN ({rows})
"""

# The (site, student) pairs each statement may change, by watched table and operation.
_PAIRS = {
    "attendance": {
        "insert": "SELECT s.site_id, n.student_id FROM new_values n"
        " JOIN mentoring_mentoringsession s ON s.id = n.session_id",
        "delete": "SELECT s.site_id, o.student_id FROM old_values o"
        " JOIN mentoring_mentoringsession s ON s.id = o.session_id",
        # Before and after, only for rows moved to another student or session (a
        # reflection written changes nothing counted).
        "update": "SELECT s.site_id, x.student_id FROM old_values o"
        " JOIN new_values n ON n.id = o.id"
        " CROSS JOIN LATERAL (VALUES (o.student_id, o.session_id), (n.student_id, n.session_id))"
        " x (student_id, session_id)"
        " JOIN mentoring_mentoringsession s ON s.id = x.session_id"
        " WHERE (o.student_id, o.session_id) IS DISTINCT FROM (n.student_id, n.session_id)",
    },
    "presence": {
        "insert": _AT_SESSIONS.format(rows="SELECT session_id FROM new_values"),
        "delete": _AT_SESSIONS.format(rows="SELECT session_id FROM old_values"),
        "update": _AT_SESSIONS.format(
            rows="SELECT session_id FROM new_values UNION SELECT session_id FROM old_values"
        ),
    },
    "domain": {
        "insert": _AT_SESSIONS.format(rows="SELECT mentoringsession_id FROM new_values"),
        "delete": _AT_SESSIONS.format(rows="SELECT mentoringsession_id FROM old_values"),
        "update": _AT_SESSIONS.format(
            rows="SELECT mentoringsession_id FROM new_values"
            " UNION SELECT mentoringsession_id FROM old_values"
        ),
    },
    # A session's students (attendance written before the session, or left after it under
    # the deferred foreign keys), at the old and new site when it moves; saved at the
    # same site, nothing.
    "session": {
        "insert": "SELECT n.site_id, a.student_id FROM new_values n"
        " JOIN mentoring_sessionstudent a ON a.session_id = n.id",
        "delete": "SELECT o.site_id, a.student_id FROM old_values o"
        " JOIN mentoring_sessionstudent a ON a.session_id = o.id",
        "update": "SELECT x.site_id, a.student_id FROM old_values o"
        " JOIN new_values n ON n.id = o.id AND n.site_id <> o.site_id"
        " CROSS JOIN LATERAL (VALUES (o.site_id), (n.site_id)) x (site_id)"
        " JOIN mentoring_sessionstudent a ON a.session_id = n.id",
    },
}

_OPERATIONS = {
    "insert": (pgtrigger.Insert, pgtrigger.Referencing(new="new_values")),
    "update": (pgtrigger.Update, pgtrigger.Referencing(old="old_values", new="new_values")),
    "delete": (pgtrigger.Delete, pgtrigger.Referencing(old="old_values")),
}


def counts_triggers(table: str) -> list[pgtrigger.Trigger]:
    """The three statement-level triggers (one per operation, as PostgreSQL requires of
    triggers with transition tables) that recount what a statement on `table` (a key of
    _PAIRS) may change."""
    return [
        pgtrigger.Trigger(
            name=f"{table}_counts_{operation}",
            level=pgtrigger.Statement,
            when=pgtrigger.After,
            operation=kind,
            referencing=referencing,
            declare=[("sites", "bigint[]"), ("students", "bigint[]")],
            func=_RECOUNT.format(pairs=_PAIRS[table][operation]),
        )
        for operation, (kind, referencing) in _OPERATIONS.items()
    ]

"""The version of the mentoring-session data that cached reads depend on (the outcomes
report, interviews.selectors.report). The services that log, change or delete sessions
bump it when their transaction commits, and so does the admin."""

from ipcop.lib.cache import DataVersion

_SESSIONS = DataVersion("mentoring:sessions-version")
sessions_version = _SESSIONS.current
sessions_changed = _SESSIONS.changed

# The mentoring teams: the facilitator's to-do list (mentoring.panels.facilitator_todo).
# The team services bump it; the admin's edits wait for the cache entry to expire.
_TEAMS = DataVersion("mentoring:teams-version")
teams_version = _TEAMS.current
teams_changed = _TEAMS.changed

# The placement evaluations: the facilitator's "evaluations overdue" to-do line. The
# evaluation services bump it; the admin's edits wait for the cache entry to expire.
_EVALUATIONS = DataVersion("mentoring:evaluations-version")
evaluations_version = _EVALUATIONS.current
evaluations_changed = _EVALUATIONS.changed

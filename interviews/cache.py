"""The versions of the interviews data that cached reads depend on.

- Follow-ups: the list's tab counts and the facilitator's home panel
  (interviews.selectors.followups). The services that create or change follow-ups bump
  it when their transaction commits, and so do the admin and a change of a site's
  facilitators (interviews.receivers).
- Interview records, their quotes and the themes: the outcomes report
  (interviews.selectors.report). The services that record interviews, add or delete
  quotes, or rename and merge themes bump it, and so do the admin and an erasure."""

from ipcop.lib.cache import DataVersion

_FOLLOWUPS = DataVersion("interviews:followups-version")
followups_version = _FOLLOWUPS.current
followups_changed = _FOLLOWUPS.changed

_RECORDS = DataVersion("interviews:records-version")
records_version = _RECORDS.current
records_changed = _RECORDS.changed

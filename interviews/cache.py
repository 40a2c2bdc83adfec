"""The version of the follow-up data that cached counts depend on (the list's tab counts,
the facilitator's home panel: interviews.selectors.followups). The services that create
or change follow-ups bump it when their transaction commits, and so do the admin and a
change of a site's facilitators (interviews.receivers)."""

from ipcop.lib.cache import DataVersion

_FOLLOWUPS = DataVersion("interviews:followups-version")
followups_version = _FOLLOWUPS.current
followups_changed = _FOLLOWUPS.changed

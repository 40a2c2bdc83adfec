"""The version of the sites data that cached reads depend on (the facilitator's home
panel: sites.panels). The services that change sites, CoPs, members, meetings or
initiatives bump it when their transaction commits; so does the admin (sites/admin.py)."""

from ipcop.lib.cache import DataVersion

_ACTIVITY = DataVersion("sites:activity-version")
activity_version = _ACTIVITY.current
activity_changed = _ACTIVITY.changed

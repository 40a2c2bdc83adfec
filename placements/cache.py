"""The version of the placements data that cached reads depend on (the outcomes report,
interviews.selectors.report). The services that create or change placements bump it when
their transaction commits, and so does the admin."""

from ipcop.lib.cache import DataVersion

_PLACEMENTS = DataVersion("placements:version")
placements_version = _PLACEMENTS.current
placements_changed = _PLACEMENTS.changed

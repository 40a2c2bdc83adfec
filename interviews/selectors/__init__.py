"""Reads of the interviews app, by feature: `followups` (the follow-ups list and its tab
counts, the home panel's counts, the calendar feed) and `report` (the outcomes report,
which reads across sites, placements, mentoring and interviews)."""

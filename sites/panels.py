"""The sites app's panels on the home dashboard (see ipcop/dashboard.py)."""

from ipcop.permissions import sites_facilitated_by


def facilitator(user) -> dict:
    return {"sites": sites_facilitated_by(user).only("id", "name")}

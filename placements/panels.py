"""The placements app's panels on the home dashboard (see ipcop/dashboard.py)."""


def student(user) -> dict:
    return {}

"""The placements app's panels on the home dashboard (see ipcop/dashboard.py)."""

from placements.selectors import student_placements


def student(user) -> dict:
    """A student's current, upcoming and past placements with their mentors and contact."""
    placements = student_placements(user)
    return {
        "current": placements.current,
        "upcoming": placements.upcoming,
        "past": placements.past,
    }

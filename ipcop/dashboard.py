"""The home page is a dashboard of panels, one or more per role. Each app owns its panels
(a context function in `<app>/panels.py` and a template in `templates/<app>/panels/`,
included by home.html with `ctx` and `panel_id`); a person with several roles sees the
panels of each, in this order.

The facilitator's first panel is their to-do list ("Needing attention"): each app adds its
lines from a `facilitator_todo(user)` function of its panels module, listed in
TODO_SOURCES, so no app needs to know another's."""

from dataclasses import dataclass
from importlib import import_module

from ipcop.permissions import has_role


@dataclass(frozen=True)
class TodoLine:
    """One line of the to-do list: how many things wait, what they are (`text` follows the
    count: "3 requested placements awaiting confirmation") and the page where the job is
    done; `items`, when given, are a few of them, each as (label, url)."""

    count: int
    text: str
    url: str
    urgent: bool = False
    items: tuple[tuple[str, str], ...] = ()


# The apps' to-do lines, in the order they are shown: "app.panels.function", each
# called with the user and returning a list of TodoLine.
TODO_SOURCES = [
    "sites.panels.facilitator_todo",
    "placements.panels.facilitator_todo",
    "mentoring.panels.facilitator_todo",
    "interviews.panels.facilitator_todo",
]


def _call(dotted: str, user):
    module_name, function_name = dotted.rsplit(".", 1)
    return getattr(import_module(module_name), function_name)(user)


def facilitator_todo(user) -> dict:
    """The lines of the to-do list with something to do (a count above zero)."""
    lines = [line for source in TODO_SOURCES for line in _call(source, user) if line.count]
    return {"lines": lines}


@dataclass(frozen=True)
class Panel:
    role: str
    template: str
    context_function: str  # "app.panels.function", called with the user


PANELS = [
    Panel("facilitator", "includes/todo_panel.html", "ipcop.dashboard.facilitator_todo"),
    Panel("facilitator", "sites/panels/facilitator.html", "sites.panels.facilitator"),
    Panel("facilitator", "interviews/panels/facilitator.html", "interviews.panels.facilitator"),
    Panel("preceptor", "mentoring/panels/preceptor.html", "mentoring.panels.preceptor"),
    Panel("coordinator", "placements/panels/coordinator.html", "placements.panels.coordinator"),
    Panel("student", "placements/panels/student.html", "placements.panels.student"),
]


def panels_for(user) -> list[dict]:
    """The person's panels: each its heading's `id`, its `template` and its `context`."""
    shown: list[dict] = []
    for panel in PANELS:
        # Admins see the facilitator panels over all sites.
        if has_role(user, panel.role) or (panel.role == "facilitator" and user.is_admin):
            context = _call(panel.context_function, user)
            panel_id = len(shown) + 1  # the id of its heading, for aria-labelledby
            shown.append({"id": panel_id, "template": panel.template, "context": context})
    return shown

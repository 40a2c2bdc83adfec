"""The home page is a dashboard of panels, one or more per role. Each app owns its panels
(a context function in `<app>/panels.py` and a template in `templates/<app>/panels/`,
included by home.html with `ctx` and `panel_id`); a person with several roles sees the
panels of each, in this order."""

from dataclasses import dataclass
from importlib import import_module

from ipcop.permissions import has_role


@dataclass(frozen=True)
class Panel:
    role: str
    template: str
    context_function: str  # "app.panels.function", called with the user


PANELS = [
    Panel("facilitator", "sites/panels/facilitator.html", "sites.panels.facilitator"),
    Panel("facilitator", "interviews/panels/facilitator.html", "interviews.panels.facilitator"),
    Panel("preceptor", "mentoring/panels/preceptor.html", "mentoring.panels.preceptor"),
    Panel("student", "placements/panels/student.html", "placements.panels.student"),
]


def panels_for(user) -> list[dict]:
    """The person's panels: each its heading's `id`, its `template` and its `context`."""
    shown: list[dict] = []
    for panel in PANELS:
        # Admins see the facilitator panels over all sites.
        if has_role(user, panel.role) or (panel.role == "facilitator" and user.is_admin):
            module_name, function_name = panel.context_function.rsplit(".", 1)
            context = getattr(import_module(module_name), function_name)(user)
            panel_id = len(shown) + 1  # the id of its heading, for aria-labelledby
            shown.append({"id": panel_id, "template": panel.template, "context": context})
    return shown

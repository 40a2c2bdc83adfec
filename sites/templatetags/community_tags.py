"""Template filters of the sites app."""

from django import template

from ipcop.permissions import communities_visible_to

register = template.Library()


@register.filter
def sees_communities(user) -> bool:
    """Whether the navigation offers the communities list: to those who start CoPs or may
    be added to one (admins, facilitators, preceptors) and to anyone in one. To a student
    in none it would be an empty page."""
    if not user.is_authenticated:
        return False
    if user.is_admin or user.is_facilitator or user.is_preceptor:
        return True
    return communities_visible_to(user).exists()

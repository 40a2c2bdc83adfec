"""The admin role is Django's staff flag (see `User.is_admin`): an admin may do anything
in Django admin, as in the app, without also being handed Django's per-model permissions.
Facilitators, preceptors and students are never staff, so they never enter the admin."""

from django.contrib.auth.backends import BaseBackend


class AdminRoleBackend(BaseBackend):
    """Grants every permission to active staff; authenticates nobody (ModelBackend does).
    What the admin refuses to everyone (adding, changing or deleting audit events) stays
    refused: those ModelAdmins answer False without asking for permissions."""

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return bool(user_obj.is_active and user_obj.is_staff)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return bool(user_obj.is_active and user_obj.is_staff)

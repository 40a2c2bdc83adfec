"""Shared admin base classes: choice widgets that do not query once per option.

Several models' ``__str__`` reads related rows (a placement names its student's user and
its site). A select, an autocomplete widget's selected values or a filter renders
``__str__`` per option, so each app's admin builds on these classes, which fetch those
related rows in the choice queryset's one query.
"""

from collections.abc import Callable

from django.contrib import admin
from django.db.models import Model

from accounts.audit import AUDITED_MODELS, audit_record
from accounts.models import AuditAction

# Related rows each model's __str__ reads, by model label.
STR_SELECT_RELATED: dict[str, tuple[str, ...]] = {
    "sites.Unit": ("site",),
    "sites.Membership": ("person", "community"),
    "sites.Meeting": ("community",),
    "placements.Student": ("user", "program__profession"),
    "placements.Placement": ("student__user", "site"),
    "placements.Capacity": ("site", "unit", "profession"),
    "placements.AffiliationAgreement": ("institution", "site"),
    "placements.PlacementRequest": ("student__user", "site"),
    "placements.PlacementOffer": ("site", "unit", "profession"),
    "mentoring.MentorAssignment": ("mentor",),
    "mentoring.SessionStudent": ("student__user", "student__program__profession"),
    "mentoring.SessionProfessional": ("person", "profession"),
    "interviews.FollowUp": ("participant",),
    "interviews.Reminder": ("recipient",),
}


def str_select_related(model) -> tuple[str, ...]:
    return STR_SELECT_RELATED.get(model._meta.label, ())


class RelatedChoicesMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = str_select_related(db_field.related_model)
        if related and "queryset" not in kwargs:
            kwargs["queryset"] = db_field.related_model._default_manager.select_related(*related)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = str_select_related(db_field.related_model)
        if related and "queryset" not in kwargs:
            kwargs["queryset"] = db_field.related_model._default_manager.select_related(*related)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class AuditedAdminMixin:
    """Admins looking at or changing confidential records (accounts.audit.AUDITED_MODELS)
    leave the same audit trail as the app's own views do."""

    model: type[Model]  # set by the ModelAdmin it is mixed into

    def _audited(self) -> bool:
        return self.model._meta.label_lower in AUDITED_MODELS

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if (
            self._audited()
            and request.method == "GET"
            and response.status_code == 200
            and getattr(response, "context_data", None)
            and response.context_data.get("original") is not None
        ):
            audit_record(request, AuditAction.VIEW, response.context_data["original"])
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if self._audited():
            audit_record(request, AuditAction.CHANGE if change else AuditAction.CREATE, obj)

    def delete_model(self, request, obj):
        if self._audited():
            audit_record(request, AuditAction.DELETE, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        if self._audited():
            for obj in queryset:
                audit_record(request, AuditAction.DELETE, obj)
        super().delete_queryset(request, queryset)


class DataVersionAdminMixin:
    """An admin change shows in cached reads at once, as a service's does: after a save
    or a delete, the admin bumps each data version in `data_versions` (the `..._changed`
    functions of the apps' cache modules, ipcop.lib.cache)."""

    data_versions: tuple[Callable[[], None], ...] = ()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._data_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._data_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._data_changed()

    def _data_changed(self) -> None:
        for changed in self.data_versions:
            changed()


class ModelAdmin(DataVersionAdminMixin, AuditedAdminMixin, RelatedChoicesMixin, admin.ModelAdmin):
    def get_queryset(self, request):
        # Autocomplete results and change-page titles render __str__ from this queryset.
        qs = super().get_queryset(request)
        related = str_select_related(self.model)
        if not related:
            return qs
        # The changelist ignores list_select_related once the queryset has any
        # select_related, so both lists go here.
        extra = (
            self.list_select_related if isinstance(self.list_select_related, tuple | list) else ()
        )
        return qs.select_related(*related, *extra)

    def get_search_results(self, request, queryset, search_term):
        # A queryset annotated with a count is grouped, and a grouped query drops the
        # model's default ordering: autocomplete would page it unordered (rows repeated
        # or skipped between pages). The changelist orders the results again itself.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not queryset.ordered:
            queryset = queryset.order_by(*self.model._meta.ordering, "pk")
        return queryset, may_have_duplicates


class InlineChoicesMixin(RelatedChoicesMixin):
    """Plain selects in an inline would query their options once per row; evaluate them
    once per page instead (autocomplete and raw-id fields render no options)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if (
            formfield is not None
            and db_field.name not in self.autocomplete_fields
            and db_field.name not in self.raw_id_fields
            and not db_field.get_limit_choices_to()
        ):
            formfield.choices = list(formfield.choices)
        return formfield

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        related = str_select_related(self.model)
        return qs.select_related(*related) if related else qs


class TabularInline(InlineChoicesMixin, admin.TabularInline):
    pass


class StackedInline(InlineChoicesMixin, admin.StackedInline):
    pass


class TriggerKeptAdmin(ModelAdmin):
    """Counts PostgreSQL triggers keep (e.g. follow-ups per site and status): never
    written here, as the triggers own them. Internal, so left out of the admin's index
    (its pages still answer, for checking a count by its address)."""

    actions = None

    def has_module_permission(self, request) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

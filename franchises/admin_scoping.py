"""Franchise scoping for every admin of the project: each staff user sees and edits only the rows of
the franchises they belong to, with the rights their role gives them there (`FranchiseScopedMixin`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from franchises.admin_display import local_time_column
from franchises.models import Franchise, Membership
from franchises.roles import role_group_name


def _memberships(request: HttpRequest) -> list[tuple[object, str]]:
    if not hasattr(request, "_admin_memberships"):
        request._admin_memberships = list(
            Membership.objects.filter(user=request.user).values_list("franchise_id", "role")
        )
    return request._admin_memberships


def _role_permissions(request: HttpRequest) -> dict[str, set[str]]:
    """Each role's permissions ("app_label.codename"), read from its group so operators can change them."""
    if not hasattr(request, "_admin_role_permissions"):
        names = {role_group_name(role): role for role in Membership.Role.values}
        rows = Permission.objects.filter(group__name__in=names).values_list(
            "group__name", "content_type__app_label", "codename"
        )
        perms: dict[str, set[str]] = {role: set() for role in names.values()}
        for group, app_label, codename in rows:
            perms[names[group]].add(f"{app_label}.{codename}")
        request._admin_role_permissions = perms
    return request._admin_role_permissions


def user_franchise_ids(request: HttpRequest, model: type[models.Model] | None = None, action: str = "") -> list | None:
    """The franchises where the signed-in user may do `action` ("view", "change", ...) on `model`
    (any of their franchises when no model is given). None means all: a superuser.

    Django's permissions are global, so a user who owns franchise C but is an agent at A would
    otherwise get C's owner rights at A too; the role held at each franchise decides there."""
    if request.user.is_superuser:
        return None
    if model is None:
        return [franchise_id for franchise_id, _role in _memberships(request)]
    opts = model._meta
    wanted = {f"{opts.app_label}.{action}_{opts.model_name}"}
    if action == "view":  # as in Django, whoever may change may also view
        wanted.add(f"{opts.app_label}.change_{opts.model_name}")
    perms = _role_permissions(request)
    return [fid for fid, role in _memberships(request) if perms.get(role, set()) & wanted]


def scoped_choices(model: type[models.Model], request: HttpRequest, action: str = "view") -> QuerySet | None:
    """The rows of `model` that the user may pick in a form, or None when there is no limit."""
    if model is User:
        ids = user_franchise_ids(request)
        # Only people who already work at one of the user's franchises: never list everyone.
        return None if ids is None else User.objects.filter(memberships__franchise__in=ids).distinct()
    if model is Franchise:
        ids = user_franchise_ids(request)
        return None if ids is None else Franchise.objects.filter(pk__in=ids)
    if any(f.name == "franchise" for f in model._meta.get_fields()):
        ids = user_franchise_ids(request, model, action)
        return None if ids is None else model._default_manager.filter(franchise__in=ids)
    return None


def _franchise_id_of(value: models.Model) -> object:
    return value.pk if isinstance(value, Franchise) else getattr(value, "franchise_id", None)


class FranchiseScopedMixin:
    """Limits a ModelAdmin (or inline) to the franchises of the user's memberships.

    Superusers see everything. Anyone else sees only rows of their franchises in change lists,
    change forms (another franchise's object is "not found"), autocomplete and related-object
    choices, and cannot move an object to another franchise: `franchise` is read-only once set,
    and every related object picked in a form must belong to the object's own franchise. What
    they may do with a row (view, add, change, delete) follows their role at that row's franchise.
    """

    # Lookup from this model to its Franchise; "" when the model is Franchise itself.
    franchise_path = "franchise"

    def franchise_ids(self, request, action: str) -> list | None:
        return user_franchise_ids(request, self.model, action)

    def franchise_id_of_obj(self, obj: models.Model) -> object:
        if isinstance(obj, Franchise):  # the model itself, or the parent object of an inline
            return obj.pk
        for name in self.franchise_path.split("__")[:-1]:
            obj = getattr(obj, name)
        return getattr(obj, "franchise_id", None)

    def franchise_of_obj(self, obj: models.Model) -> Franchise | None:
        """The row's franchise, through `franchise_path` (selected with the row in change lists)."""
        if isinstance(obj, Franchise):
            return obj
        for name in self.franchise_path.split("__"):
            obj = getattr(obj, name, None)
        return obj

    def _allowed(self, request, action: str, obj) -> bool:
        ids = self.franchise_ids(request, action)
        return ids is None or obj is None or self.franchise_id_of_obj(obj) in ids

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = self.franchise_ids(request, "view")
        if ids is None:
            return qs
        return qs.filter(**{f"{self.franchise_path}__in" if self.franchise_path else "pk__in": ids})

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._allowed(request, "view", obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allowed(request, "delete", obj)

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" action checks the permission without an object.
        ids = self.franchise_ids(request, "delete")
        if ids is not None:
            queryset = queryset.filter(**{f"{self.franchise_path}__in" if self.franchise_path else "pk__in": ids})
        super().delete_queryset(request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = scoped_choices(db_field.related_model, request)
        if db_field.related_model is User:
            # People only from franchises where the user may change this kind of row: an owner at B who
            # is an agent at A is offered B's staff for B's memberships, never A's.
            ids = self.franchise_ids(request, "change")
            choices = None if ids is None else User.objects.filter(memberships__franchise__in=ids).distinct()
        if db_field.name == "franchise" and db_field.related_model is Franchise:
            # A new row goes only to a franchise where the user's role may add it.
            ids = self.franchise_ids(request, "add")
            choices = None if ids is None else Franchise.objects.filter(pk__in=ids)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        choices = scoped_choices(db_field.related_model, request)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.franchise_path == "franchise" and "franchise" not in fields:
            fields.append("franchise")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        return same_franchise_form(super().get_form(request, obj, change, **kwargs))


class FranchiseTimeMixin:
    """Times as the franchise lives them. A change list shows each row's times in its franchise's zone
    with the zone's name; a change form shows and reads its times in the object's franchise's zone
    (and says which); dates in a change list's filters are those of the user's franchises' zone
    when they all share one (else UTC)."""

    def get_list_display(self, request):
        fields = {f.name: f for f in self.model._meta.concrete_fields}
        return [
            local_time_column(name, fields[name].verbose_name.capitalize(), self.franchise_of_obj)
            if isinstance(name, str) and isinstance(fields.get(name), models.DateTimeField)
            else name
            for name in super().get_list_display(request)
        ]

    def get_list_select_related(self, request):
        related = super().get_list_select_related(request)
        if not self.franchise_path or related is True:
            return related
        return [*(related or []), self.franchise_path]

    def changelist_view(self, request, extra_context=None):
        ids = user_franchise_ids(request)
        zones = set(Franchise.objects.filter(pk__in=ids).values_list("timezone", flat=True)) if ids else set()
        return _in_zone(zones.pop() if len(zones) == 1 else None, super().changelist_view, request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        franchise = self.franchise_of_obj(obj) if obj is not None else None
        if franchise is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        zone = franchise.tzinfo
        extra_context = {**(extra_context or {}), "subtitle": f"{obj} · times in {zone.key}, {franchise}'s time zone"}
        return _in_zone(franchise.timezone, super().changeform_view, request, object_id, form_url, extra_context)


def _in_zone(zone: str | None, view, request, *args):
    """Run and render `view` with `zone` as the current time zone (None: leave it)."""
    if zone is None:
        return view(request, *args)
    with timezone.override(zone):
        response = view(request, *args)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()  # a TemplateResponse renders later, outside this zone, unless now
        return response


def same_franchise_form(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """`form_class` plus a check that every related object picked belongs to the object's franchise."""

    class SameFranchiseForm(form_class):
        def clean(self):
            data = super().clean()
            franchise = data.get("franchise")
            franchise_id = franchise.pk if franchise else getattr(self.instance, "franchise_id", None)
            if franchise_id is None:
                return data
            for name, value in list(data.items()):
                picked = list(value) if isinstance(value, QuerySet | list | tuple) else [value]
                for item in picked:
                    if (
                        isinstance(item, models.Model)
                        and not isinstance(item, Franchise | User)
                        and _franchise_id_of(item) not in (None, franchise_id)
                    ):
                        self.add_error(name, f"{item} belongs to another franchise.")
                        break
            return data

    SameFranchiseForm.__name__ = form_class.__name__
    return SameFranchiseForm


class ScopedAdmin(FranchiseTimeMixin, FranchiseScopedMixin, admin.ModelAdmin):
    pass


class ReadOnlyAdmin(ScopedAdmin):
    """Rows the app writes (deliveries, sync runs, merges): viewed here, never added or edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DependentRowAdmin(ReadOnlyAdmin):
    """Rows that live and die with a parent (a contact's phones, a call's recording): read-only
    here, and deleted only along with the parent, by whoever may delete that parent."""

    parent_field = ""

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return False
        parent = getattr(obj, self.parent_field)
        return self.admin_site._registry[type(parent)].has_delete_permission(request, parent)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied("Delete the parent row instead.")


class ScopedTabularInline(FranchiseScopedMixin, admin.TabularInline):
    def franchise_id_of_obj(self, obj: models.Model) -> object:
        # An inline's permission checks get the parent object (a Franchise, a Call, a Contact).
        return obj.pk if isinstance(obj, Franchise) else obj.franchise_id

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._allowed(request, "add", obj)

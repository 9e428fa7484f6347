"""Staff users: a login, a membership of a franchise, and the admin permissions of their role.

Permissions come from one Django group per role, so an operator can widen a role in one place.
The admin then narrows every list, form and choice to the franchises of the user's memberships.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Q

from franchises.models import Franchise, Membership

ALL = ("view", "add", "change", "delete")
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Membership.Role.OWNER: {
        "franchises.franchise": ("view", "change"),
        "franchises.location": ALL,
        "franchises.membership": ALL,
        "franchises.apitoken": ("view", "add", "change"),
        "calls.call": ALL,
        "calls.recording": ("view",),
        "calls.webhookdelivery": ("view",),
        "calls.recordingfetch": ("view",),
        "contacts.contact": ALL,
        "contacts.contactphone": ("view",),
        "contacts.contactmerge": ("view",),
        "contacts.tag": ALL,
        "contacts.crmconnection": ("view", "add", "change"),
        "contacts.crmsyncrun": ("view",),
        "dialer.dialsession": ("view",),
        "dialer.dispositionmapping": ALL,
        "dialer.dialersettings": ("view", "add", "change"),
    },
    Membership.Role.MANAGER: {
        "franchises.franchise": ("view",),
        "franchises.location": ("view",),
        "franchises.membership": ("view",),
        "calls.call": ("view", "change"),
        "calls.recording": ("view",),
        "contacts.contact": ALL,
        "contacts.contactphone": ("view",),
        "contacts.contactmerge": ("view",),
        "contacts.tag": ALL,
        "dialer.dialsession": ("view",),
        "dialer.dispositionmapping": ("view",),
    },
    Membership.Role.AGENT: {
        "franchises.franchise": ("view",),
        "franchises.location": ("view",),
        "calls.call": ("view",),
        "calls.recording": ("view",),
        "contacts.contact": ("view", "change"),
        "contacts.contactphone": ("view",),
        "contacts.tag": ("view",),
        "dialer.dialsession": ("view",),
    },
}


def role_group_name(role: str) -> str:
    return f"Franchise {Membership.Role(role).label.lower()}s"


def role_permissions(role: str) -> list[Permission]:
    """The permissions ROLE_PERMISSIONS gives `role`."""
    wanted = Q(pk__in=[])
    for model, actions in ROLE_PERMISSIONS[role].items():
        app_label, model_name = model.split(".")
        wanted |= Q(content_type__app_label=app_label, codename__in=[f"{a}_{model_name}" for a in actions])
    return list(Permission.objects.filter(wanted))


def role_group(role: str) -> Group:
    """The group carrying `role`'s admin permissions, created (and filled) the first time."""
    group, created = Group.objects.get_or_create(name=role_group_name(role))
    if created:
        group.permissions.set(role_permissions(role))
    return group


def role_groups_sync() -> int:
    """Give the roles' groups any permission ROLE_PERMISSIONS declares that they lack (a model added
    since a group was made); what an operator added to a group stays. Runs after every `migrate`.
    Returns how many permissions were added."""
    added = 0
    for role in Membership.Role.values:
        group = Group.objects.filter(name=role_group_name(role)).first()
        if group is None:
            continue  # made, whole, the first time someone is given the role (role_group)
        missing = set(role_permissions(role)) - set(group.permissions.all())
        group.permissions.add(*missing)
        added += len(missing)
    return added


@transaction.atomic
def staff_user_add(*, username: str, franchise: Franchise, role: str, password: str | None = None) -> tuple[User, bool]:
    """Create the staff user `username` (or find it) and give it `role` at `franchise`.

    A new user needs a password; an existing one keeps theirs unless a new one is given.
    Returns (user, created). Raises ValueError (or ValidationError for a weak password)."""
    if role not in Membership.Role.values:
        raise ValueError(f"role must be one of {', '.join(Membership.Role.values)}")
    User._meta.get_field("username").run_validators(username)
    user = User.objects.filter(username=username).first()
    created = user is None
    if created and not password:
        raise ValueError("a new user needs a password (--password or STAFF_PASSWORD)")
    if password:
        validate_password(password, user)
    if created:
        user = User(username=username)
    user.is_staff = True
    if password:
        user.set_password(password)
    user.save()
    Membership.objects.update_or_create(user=user, franchise=franchise, defaults={"role": role})
    staff_groups_sync(user)
    return user, created


def staff_groups_sync(user: User) -> None:
    """Put `user` in the groups of the roles they hold somewhere, and out of the others."""
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    for role in Membership.Role.values:
        group = role_group(role)
        if role in roles:
            user.groups.add(group)
        else:
            user.groups.remove(group)

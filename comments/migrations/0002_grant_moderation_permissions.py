"""Give the Moderators and Editors groups the comment permissions; Writers get none."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ["comment", "reason", "report", "moderationaction", "listentry", "articlepolicy"]
CODENAMES = [
    *(f"{action}_{model}" for model in MODELS for action in ("add", "change", "delete", "view")),
    "moderate_comment",
]
ROLES = ["Moderators", "Editors"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("comments")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="comments", codename__in=CODENAMES
    )
    for name in ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="comments")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("comments", "0001_add_comment"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

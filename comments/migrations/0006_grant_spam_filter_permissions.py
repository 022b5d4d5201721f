"""Let Moderators and Editors see the spam filter's versions (and delete old ones) and the spam
waves; their moderate_comment permission is what acts on a wave."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_spammodel", "delete_spammodel", "view_commentcluster"]
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
    permissions = Permission.objects.filter(
        content_type__app_label="comments", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("comments", "0005_add_spam_filter_and_waves")]

    operations = [migrations.RunPython(grant, revoke)]

"""Create the newsroom's roles, so every fresh database has them with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ARTICLE_MODELS = [
    "article",
    "articleauthor",
    "author",
    "section",
    "correction",
    "previewlink",
    "editorimage",
]

ROLES = {
    # Writers draft and submit; what they may change is narrowed further by ArticleAdmin.
    "Writers": [
        "add_article",
        "change_article",
        "view_article",
        "add_articleauthor",
        "change_articleauthor",
        "delete_articleauthor",
        "view_articleauthor",
        "view_author",
        "view_section",
        "view_correction",
        "view_statuschange",
        "add_editorimage",
        "view_editorimage",
    ],
    # Editors edit, publish and correct everything in the articles app.
    "Editors": [
        *(
            f"{action}_{model}"
            for model in ARTICLE_MODELS
            for action in ("add", "change", "delete", "view")
        ),
        # The status history is an audit trail: readable, never edited by hand.
        "view_statuschange",
        "publish_article",
    ],
    # Moderators handle comments only; the comments app grants those permissions.
    "Moderators": [],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="articles", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("articles", "0003_add_status_change_preview_link_editor_image_publish_permission"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]

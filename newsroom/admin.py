"""What every app's admin shares."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """Show rows the site writes itself: nobody adds or changes them in the admin, not even a
    superuser, and nobody deletes them unless `can_delete` says so.

    Serves model admins and inlines alike (an inline's own `can_delete` means the same).
    """

    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.can_delete and super().has_delete_permission(request, obj)


def column(attribute, *, description, ordering=None, spec=""):
    """Return an admin column that shows one attribute of the row, formatted by `spec` if given.

    For annotations (which `list_display` cannot name directly) and fields shown under another
    label; without `spec` the admin formats the value as it would a field's.
    """

    @admin.display(description=description, ordering=ordering)
    def show(model_admin, obj):
        value = getattr(obj, attribute)
        return format(value, spec) if spec else value

    return show

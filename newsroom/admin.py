"""What every app's admin shares."""

from django.contrib import admin


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

"""When comments are open: staffed hours per section, and a mode per article."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from comments import staffing
from comments.models import ArticlePolicy, DeskSchedule, StaffedShift
from newsroom import pagecache


class StaffedShiftInline(admin.TabularInline):
    model = StaffedShift
    extra = 1
    verbose_name_plural = _("shifts (site time zone)")


@admin.register(DeskSchedule)
class DeskScheduleAdmin(admin.ModelAdmin):
    """Staffed hours per section: every change shows on readers' pages at once."""

    list_display = ["section", "outside", "shift_list"]
    list_select_related = ["section"]
    autocomplete_fields = ["section"]
    inlines = [StaffedShiftInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("shifts")

    @admin.display(description=_("shifts"))
    def shift_list(self, schedule):
        return ", ".join(str(shift) for shift in schedule.shifts.all()) or _("None: never staffed")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._schedules_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._schedules_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._schedules_changed()

    def _schedules_changed(self):
        staffing.forget_schedules()
        pagecache.invalidate_site()  # article pages show the form, or not, by the schedule


@admin.register(ArticlePolicy)
class ArticlePolicyAdmin(admin.ModelAdmin):
    list_display = ["article", "mode"]
    list_filter = ["mode"]
    autocomplete_fields = ["article"]
    search_fields = ["article__headline"]

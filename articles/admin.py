from django.contrib import admin

from .models import Article, ArticleAuthor, Author, Section


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "is_desk", "user"]
    list_filter = ["is_desk"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    autocomplete_fields = ["user"]


class ArticleAuthorInline(admin.TabularInline):
    model = ArticleAuthor
    extra = 1
    autocomplete_fields = ["author"]
    verbose_name = "byline"
    verbose_name_plural = "byline (in order)"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["headline", "section", "status", "publish_at", "updated_at"]
    list_filter = ["status", "section"]
    list_select_related = ["section"]
    search_fields = ["headline", "dek"]
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section"]
    inlines = [ArticleAuthorInline]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "dek", "section", "body"]}),
        ("Publication", {"fields": ["status", "publish_at", "comments_enabled"]}),
    ]

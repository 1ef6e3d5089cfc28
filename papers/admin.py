from django.contrib import admin

from .models import (
    DuplicateCandidate,
    Listing,
    Paper,
    PaperAlias,
    PendingImport,
    ReadingList,
    Topic,
)


class TopicInline(admin.TabularInline):
    model = Topic
    extra = 0
    fields = ("name", "position")


class ListingInline(admin.TabularInline):
    model = Listing
    extra = 0
    fields = ("topic", "position", "line")
    raw_id_fields = ("topic",)


@admin.register(ReadingList)
class ReadingListAdmin(admin.ModelAdmin):
    list_display = ("name", "source_name", "format", "imported_at", "updated_at")
    list_filter = ("format",)
    search_fields = ("name", "source_name")
    inlines = [TopicInline]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "reading_list", "position")
    list_filter = ("reading_list",)
    search_fields = ("name",)
    list_select_related = ("reading_list",)


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("title", "short_name", "venue", "year", "citation_key")
    list_filter = ("venue", "year", "entry_type")
    search_fields = ("title", "short_name", "authors", "venue", "citation_key")
    readonly_fields = ("title_key", "created_at", "updated_at")
    inlines = [ListingInline]

    def save_model(self, request, obj, form, change):
        obj.refresh_search_text()
        super().save_model(request, obj, form, change)


@admin.register(PaperAlias)
class PaperAliasAdmin(admin.ModelAdmin):
    list_display = ("title_key", "paper")
    search_fields = ("title_key", "paper__title")
    raw_id_fields = ("paper",)


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ("paper", "topic", "position", "line")
    list_filter = ("topic__reading_list",)
    search_fields = ("paper__title", "topic__name", "raw_text")
    list_select_related = ("paper", "topic")
    raw_id_fields = ("paper", "topic")


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(admin.ModelAdmin):
    list_display = ("paper_a", "paper_b", "score", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("paper_a__title", "paper_b__title", "reason")
    list_select_related = ("paper_a", "paper_b", "decided_by")
    raw_id_fields = ("paper_a", "paper_b", "decided_by")


@admin.register(PendingImport)
class PendingImportAdmin(admin.ModelAdmin):
    list_display = ("filename", "uploaded_by", "status", "created_at", "applied_at")
    list_filter = ("status",)
    search_fields = ("filename",)
    exclude = ("content",)
    readonly_fields = ("summary",)

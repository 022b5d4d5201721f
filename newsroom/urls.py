from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from newsroom import spamtraps
from newsroom.views import healthz

admin.site.site_header = "Newsroom administration"
admin.site.site_title = "Newsroom admin"
admin.site.index_title = "Newsroom"
# The article list needs the width; the home page already lists every model.
admin.site.enable_nav_sidebar = False

handler500 = "newsroom.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("comments/", include("comments.urls")),
    path("form-stamp/", spamtraps.stamp, name="form-stamp"),
    path("", include("sharing.urls")),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    # Uploaded pictures during development; in production the web server serves MEDIA_ROOT.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

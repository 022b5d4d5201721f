from django.urls import path

from . import views

app_name = "sharing"

urlpatterns = [
    path("share/<slug:slug>/", views.email_article, name="email"),
    path("share/<slug:slug>/sent/", views.email_sent, name="sent"),
]

"""The read-only admin mixin: rows the site writes itself are never added or changed by hand."""

import pytest
from django.contrib import admin

from articles.models import StatusChange
from comments.admin.queue import ModerationActionInline, ReasonInline, ReportInline
from comments.models import Comment, CommentCluster, SpamModel
from newsroom.admin import ReadOnlyAdminMixin
from newsroom.outbox.models import Message
from sharing.models import SharedArticle
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# Each admin that uses the mixin, and whether it still lets staff delete a row.
READ_ONLY_ADMINS = [
    (admin.site._registry[StatusChange], False),
    (admin.site._registry[SharedArticle], False),
    (admin.site._registry[Message], True),
    (admin.site._registry[SpamModel], True),
    (admin.site._registry[CommentCluster], True),
    (ReasonInline(Comment, admin.site), False),
    (ReportInline(Comment, admin.site), False),
    (ModerationActionInline(Comment, admin.site), False),
]


@pytest.fixture
def superuser_request(rf):
    request = rf.get("/admin/")
    request.user = make_user(is_staff=True, is_superuser=True)
    return request


@pytest.mark.parametrize(("model_admin", "may_delete"), READ_ONLY_ADMINS, ids=str)
def test_read_only_admin_refuses_add_and_change_even_to_a_superuser(
    superuser_request, model_admin, may_delete
):
    row = model_admin.model()
    assert isinstance(model_admin, ReadOnlyAdminMixin)
    assert not model_admin.has_add_permission(superuser_request, None)
    assert not model_admin.has_change_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request, row)
    assert model_admin.has_delete_permission(superuser_request, row) is may_delete
    assert model_admin.has_view_permission(superuser_request, row)


@pytest.mark.parametrize(
    "model", [StatusChange, SharedArticle, Message, SpamModel, CommentCluster], ids=str
)
def test_read_only_admin_add_page_is_forbidden_to_a_superuser(client, model):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    opts = model._meta
    response = client.get(f"/admin/{opts.app_label}/{opts.model_name}/add/")
    assert response.status_code == 403

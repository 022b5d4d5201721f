import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comments.models import Comment, ListEntry, ModerationAction
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

Status = Comment.Status
CHANGELIST = "/admin/comments/comment/"


def staff(role):
    return make_user(role.lower(), groups=[role], is_staff=True)


@pytest.fixture
def moderator_client(client):
    client.force_login(staff("Moderators"))
    return client


def action(client, name, comments):
    return client.post(
        CHANGELIST,
        {"action": name, "_selected_action": [c.pk for c in comments], "index": 0},
    )


# --- Roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Moderators", "Editors"])
def test_moderators_and_editors_can_approve_from_the_queue(client, role):
    user = staff(role)
    client.force_login(user)
    comment = make_comment(status=Status.HELD)
    assert client.get(CHANGELIST).status_code == 200
    response = action(client, "approve", [comment])
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert comment.actions.get().changed_by == user


@pytest.mark.parametrize("name", ["approve", "reject", "mark_spam", "ban_author"])
def test_writers_can_neither_see_nor_act_on_comments(client, name):
    client.force_login(staff("Writers"))
    comment = make_comment(status=Status.HELD)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}{comment.pk}/change/").status_code == 403
    assert action(client, name, [comment]).status_code == 403
    comment.refresh_from_db()
    assert comment.status == Status.HELD
    assert not ModerationAction.objects.exists()
    assert not ListEntry.objects.exists()


def test_staff_without_a_role_cannot_post_actions(client):
    client.force_login(make_user("intern", is_staff=True))
    comment = make_comment(status=Status.HELD)
    assert action(client, "approve", [comment]).status_code == 403


def test_view_only_permission_cannot_run_actions(client):
    user = make_user("reader", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_comment"))
    client.force_login(user)
    comment = make_comment(status=Status.HELD)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert 'value="approve"' not in response.content.decode()
    action(client, "approve", [comment])
    comment.refresh_from_db()
    assert comment.status == Status.HELD


# --- The queue -----------------------------------------------------------------------------------


def test_queue_opens_on_held_newest_first_with_reasons_and_counts(moderator_client):
    from datetime import timedelta

    from django.utils import timezone

    article = make_article(headline="River talks")
    older = make_comment(article, status=Status.HELD, body="Older held",
                         created_at=timezone.now() - timedelta(hours=2))  # fmt: skip
    newer = make_comment(article, status=Status.HELD, body="Newer held")
    newer.reasons.create(rule="watched_term", detail="“casino” matched “CASINO”")
    make_comment(article, body="Already approved")
    response = moderator_client.get(CHANGELIST)
    html = response.content.decode()
    assert [c.pk for c in response.context["cl"].result_list] == [newer.pk, older.pk]
    assert "Already approved" not in html
    assert "Watched term: “casino” matched “CASINO”" in html
    assert "River talks" in html
    assert "Held for moderation<strong>2</strong>" in html
    assert "Approved<strong>1</strong>" in html


def test_queue_template_lives_where_django_looks_for_it(moderator_client):
    response = moderator_client.get(CHANGELIST)
    assert "admin/comments/comment/change_list.html" in [t.name for t in response.templates]
    assert 'class="queue-counts"' in response.content.decode()


def test_queue_filters_by_status_reason_article_and_searches_ip(moderator_client):
    article = make_article()
    spam = make_comment(article, status=Status.SPAM, ip_address="203.0.113.9")
    linked = make_comment(status=Status.HELD)
    linked.reasons.create(rule="links", detail="3 links")
    make_comment(status=Status.HELD)

    def listed(query):
        return [c.pk for c in moderator_client.get(CHANGELIST + query).context["cl"].result_list]

    assert listed("?status=spam") == [spam.pk]
    assert listed("?reason=links") == [linked.pk]
    assert listed(f"?status=all&article={article.pk}") == [spam.pk]
    assert listed("?status=all&q=203.0.113.9") == [spam.pk]


def test_changelist_runs_constant_queries_whatever_the_number_of_comments(moderator_client):
    article = make_article()

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert moderator_client.get(CHANGELIST).status_code == 200
        return queries

    for _ in range(3):
        make_comment(article, status=Status.HELD).reasons.create(rule="pre")
    few = count()
    for _ in range(60):
        make_comment(make_article(), status=Status.HELD).reasons.create(rule="pre")
    many = count()
    assert len(few) == len(many)
    sqls = [q["sql"] for q in many.captured_queries]
    # No full COUNT(*) of the table: the paginator's count is capped by a LIMIT subquery.
    counts = [sql for sql in sqls if "COUNT(" in sql.upper()]
    assert all("LIMIT" in sql or "GROUP BY" in sql for sql in counts), counts


def test_moderator_restores_a_reported_comment_with_one_action_and_sees_the_addresses(
    moderator_client,
):
    from comments import moderation

    comment = make_comment()
    for n in range(1, 4):
        moderation.report(comment, reason="abuse", ip_address=f"203.0.113.{n}")
    comment.refresh_from_db()
    assert comment.status == Status.HELD
    page = moderator_client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()
    assert "203.0.113.1" in page and "203.0.113.3" in page

    assert action(moderator_client, "approve", [comment]).status_code == 302
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    # The same raid cannot hide it again at once: the dismissed reports no longer count.
    moderation.report(comment, reason="abuse", ip_address="203.0.113.99")
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED


def test_ban_author_action(moderator_client):
    comment = make_comment(status=Status.HELD, email="troll@example.org", ip_address="192.0.2.1")
    other = make_comment(status=Status.HELD, email="troll@example.org")
    action(moderator_client, "ban_author", [comment])
    assert set(Comment.objects.values_list("status", flat=True)) == {Status.REJECTED}
    assert ListEntry.objects.filter(kind="blocked_email", value="troll@example.org").exists()
    assert ListEntry.objects.filter(kind="blocked_ip", value="192.0.2.1").exists()
    assert other.actions.get().to_status == Status.REJECTED


def test_change_page_shows_audit_trail_and_status_edit_is_audited(moderator_client):
    comment = make_comment(status=Status.HELD, body="Check me")
    comment.reasons.create(rule="watched_term", detail="“x” matched “X”")
    url = f"{CHANGELIST}{comment.pk}/change/"
    response = moderator_client.post(
        url,
        {
            "status": "rejected",
            "moderation_note": "Personal attack",
            **inline_management(),
        },  # fmt: skip
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    comment.refresh_from_db()
    assert comment.status == Status.REJECTED
    row = comment.actions.get()
    assert (row.from_status, row.to_status, row.note) == ("held", "rejected", "Personal attack")
    html = moderator_client.get(url).content.decode()
    assert "Audit trail" in html and "Personal attack" in html and "moderators" in html


def inline_management():
    data = {}
    for prefix in ["reasons", "reports", "actions"]:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data


def test_moderators_edit_the_blocked_and_watched_lists(moderator_client):
    response = moderator_client.post(
        "/admin/comments/listentry/add/", {"kind": "watched_term", "value": " Casino "}
    )
    assert response.status_code == 302
    assert ListEntry.objects.get().value == "casino"


# --- One-click decisions from a row -------------------------------------------------------------


def moderate_url(comment, seen="held"):
    return f"{CHANGELIST}{comment.pk}/moderate/?seen={seen}"


def decide(client, comment, decision, **headers):
    return client.post(
        moderate_url(comment), {"decision": decision}, headers={"accept": "application/json"}
    )


@pytest.mark.parametrize(
    ("decision", "outcome"),
    [("approve", Status.APPROVED), ("reject", Status.REJECTED), ("spam", Status.SPAM)],
)
def test_one_click_decision_from_the_row(moderator_client, decision, outcome):
    comment = make_comment(status=Status.HELD, name="Asha Rao")
    response = decide(moderator_client, comment, decision)
    assert response.status_code == 200
    assert response.json()["ok"] and response.json()["status"] == outcome
    comment.refresh_from_db()
    assert comment.status == outcome
    row = comment.actions.get()
    assert (row.from_status, row.to_status, row.changed_by.username) == (
        "held",
        outcome,
        "moderators",
    )


def test_every_row_has_its_buttons_posting_to_its_own_url(moderator_client):
    comment = make_comment(status=Status.HELD)
    html = moderator_client.get(CHANGELIST).content.decode()
    url = moderate_url(comment)
    for value in ["approve", "reject", "spam", "ban"]:
        assert f'formaction="{url}" formmethod="post" name="decision" value="{value}"' in html


def test_one_click_decision_runs_a_fixed_number_of_queries(
    moderator_client, django_assert_max_num_queries
):
    article = make_article()
    first, second = (make_comment(article, status=Status.HELD) for _ in range(2))
    decide(moderator_client, first, "reject")  # warms the session and the permission lookups
    for _ in range(30):
        make_comment(article, status=Status.HELD)
    # Session, user, the comment with its article, the moderator's permissions (user and
    # group); then the decision itself: the UPDATE and its audit row, in one transaction (the
    # test's savepoint and its release count as two more).
    with django_assert_max_num_queries(9):
        assert decide(moderator_client, second, "reject").status_code == 200


def test_without_javascript_the_decision_returns_to_the_queue_with_a_message(moderator_client):
    comment = make_comment(status=Status.HELD, name="Ravi Menon")
    queue = f"http://testserver{CHANGELIST}?status=held&q=Ravi"
    response = moderator_client.post(
        moderate_url(comment), {"decision": "approve"}, headers={"referer": queue}, follow=True
    )
    assert response.redirect_chain[0][0] == queue
    assert "Ravi Menon’s comment on" in response.content.decode()
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED


def test_a_foreign_referer_is_not_followed(moderator_client):
    comment = make_comment(status=Status.HELD)
    response = moderator_client.post(
        moderate_url(comment), {"decision": "approve"}, headers={"referer": "https://evil.test/"}
    )
    assert response["Location"] == CHANGELIST


def test_row_decisions_need_post_csrf_and_the_moderate_role(client):
    comment = make_comment(status=Status.HELD)
    moderator = staff("Moderators")
    client.force_login(moderator)
    assert client.get(moderate_url(comment)).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(moderator)
    assert strict.post(moderate_url(comment), {"decision": "approve"}).status_code == 403
    writer = Client()
    writer.force_login(staff("Writers"))
    assert writer.post(moderate_url(comment), {"decision": "approve"}).status_code == 403
    viewer = Client()
    user = make_user("viewer", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_comment"))
    viewer.force_login(user)
    assert viewer.post(moderate_url(comment), {"decision": "approve"}).status_code == 403
    assert decide(client, comment, "publish").status_code == 400
    comment.refresh_from_db()
    assert comment.status == Status.HELD
    assert not comment.actions.exists()


def test_a_comment_decided_meanwhile_by_someone_else_is_left_alone(moderator_client):
    comment = make_comment(status=Status.HELD)
    other = make_user("asha", is_staff=True)
    from comments import moderation

    moderation.approve(comment, by=other)
    response = decide(moderator_client, comment, "spam")
    assert response.status_code == 409
    assert response.json()["message"] == "Not changed: this comment is already Approved by asha."
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert comment.actions.count() == 1


def test_ban_author_from_the_row(moderator_client):
    comment = make_comment(status=Status.HELD, email="troll@example.org", ip_address="192.0.2.7")
    other = make_comment(status=Status.HELD, email="troll@example.org")
    unrelated = make_comment(status=Status.HELD)
    response = decide(moderator_client, comment, "ban")
    assert response.json()["message"].endswith("2 comments rejected.")
    assert ListEntry.objects.filter(kind="blocked_email", value="troll@example.org").exists()
    assert ListEntry.objects.filter(kind="blocked_ip", value="192.0.2.7").exists()
    other.refresh_from_db()
    unrelated.refresh_from_db()
    assert (other.status, unrelated.status) == (Status.REJECTED, Status.HELD)


# --- Context one click away ---------------------------------------------------------------------


def test_row_shows_the_authors_record_and_links_thread_and_history(moderator_client):
    article = make_article()
    for status in [Status.APPROVED, Status.APPROVED, Status.SPAM]:
        make_comment(article, email="farah@example.org", status=status)
    comment = make_comment(article, email="farah@example.org", status=Status.HELD)
    newcomer = make_comment(article, email="", status=Status.HELD)
    response = moderator_client.get(CHANGELIST)
    rows = {c.pk: c for c in response.context["cl"].result_list}
    assert (rows[comment.pk].earlier_approved, rows[comment.pk].earlier_removed) == (2, 1)
    assert (rows[newcomer.pk].earlier_approved, rows[newcomer.pk].earlier_removed) == (0, 0)
    html = response.content.decode()
    assert "2 approved, 1 rejected or spam" in html
    assert f'href="{CHANGELIST}{comment.pk}/change/#thread-context">Thread and history' in html
    assert "No earlier comments" in html


def test_row_buttons_follow_the_newsrooms_language_after_another_language_was_shown(
    moderator_client, settings
):
    from django.utils import translation

    make_comment(status=Status.HELD)
    english = moderator_client.get(CHANGELIST).content.decode()
    with translation.override("hi"):
        spam = translation.gettext("Spam")
    assert spam != "Spam" and 'aria-keyshortcuts="s">Spam</button>' in english
    settings.LANGUAGE_CODE = "hi"
    hindi = moderator_client.get(CHANGELIST).content.decode()
    assert f'aria-keyshortcuts="s">{spam}</button>' in hindi


def test_change_page_shows_the_thread_and_the_authors_earlier_comments(moderator_client):
    from datetime import timedelta

    from django.utils import timezone

    article = make_article(headline="Tram depot")
    start = timezone.now() - timedelta(hours=3)
    root = make_comment(article, body="Where will the depot go?", created_at=start)
    reply = make_comment(
        article, parent=root, body="Next to the river.", email="owen@example.org",
        status=Status.HELD, created_at=start + timedelta(minutes=5),
    )  # fmt: skip
    make_comment(make_article(headline="Bridge"), email="owen@example.org",
                 status=Status.REJECTED, body="An earlier rant")  # fmt: skip
    html = moderator_client.get(f"{CHANGELIST}{reply.pk}/change/").content.decode()
    assert "Replies to a thread on “Tram depot”" in html
    thread = html[html.index('id="thread-context"') :]
    assert thread.index("Where will the depot go?") < thread.index("Next to the river.")
    assert 'aria-current="true"><strong>Reader' in thread
    assert "<strong>Rejected</strong> on “Bridge”: An earlier rant" in html


def test_queue_rows_select_with_the_admins_own_checkbox_markup(moderator_client):
    from django.contrib import admin

    comment = make_comment(status=Status.HELD, name='Asha "A&B" <Rao>')
    queue = admin.site._registry[Comment]
    ours = queue.action_checkbox(comment)
    assert ours == admin.ModelAdmin.action_checkbox(queue, comment)  # the widget's rendering
    assert ours in moderator_client.get(CHANGELIST).content.decode()
    assert ours.startswith('<input type="checkbox" name="_selected_action" value=')

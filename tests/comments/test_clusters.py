"""Spam waves: near-identical texts or one link domain from several senders form a cluster that
is held, never refused; one action rejects or spams the whole cluster and blocks its links."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comments import clusters, moderation
from comments.models import ClusterKey, Comment, CommentCluster, ListEntry, Reason
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

Status = Comment.Status
Rule = Reason.Rule
WAVE_TEXT = (
    "Dear {name}, I earn 9000 rupees a day from home with this simple trick, "
    "ask me how on WhatsApp!"
)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    settings.NEWSROOM_COMMENTS_RATE_LIMITS = "1000/m"
    settings.NEWSROOM_COMMENTS_CLUSTER_MIN_SENDERS = 3
    settings.NEWSROOM_COMMENTS_CLUSTER_HOURS = 24


@pytest.fixture
def moderator():
    return make_user("asha", groups=["Moderators"], is_staff=True)


def submit(body, *, n, article=None, **fields):
    fields = {
        "name": f"Reader {n}",
        "email": f"reader{n}@example.org",
        "ip_address": f"198.51.100.{n}",
        **fields,
    }
    return moderation.submit(
        moderation.Submission(article=article or make_article(), body=body, **fields)
    )


def test_near_identical_texts_from_five_emails_form_one_held_cluster():
    article = make_article()
    names = ["friends", "all", "readers", "sir", "madam"]
    wave = [
        submit(WAVE_TEXT.format(name=name), n=n, article=article) for n, name in enumerate(names)
    ]

    cluster = CommentCluster.objects.with_figures().get()
    assert (cluster.size, cluster.emails, cluster.ips) == (5, 5, 5)
    statuses = [c.status for c in Comment.objects.order_by("pk")]
    # The first two were alone when they came; from the third sender on, the wave is held.
    assert statuses == [Status.APPROVED] * 2 + [Status.HELD] * 3
    reason = wave[4].reasons.get()
    assert reason.rule == Rule.WAVE
    assert reason.detail == "Part of a wave: similar text from 5 senders in 24 h (5 comments)"


def test_short_texts_never_form_clusters():
    for n in range(5):
        submit("Nice! Well said, thank you.", n=n)

    assert not CommentCluster.objects.exists()
    assert not ClusterKey.objects.exists()
    assert set(Comment.objects.values_list("status", flat=True)) == {Status.APPROVED}


def test_the_same_link_domain_from_several_ips_forms_a_cluster():
    bodies = [
        "Interesting point about the budget; more at https://cheap-deals.example.com/a",
        "I disagree with the minister entirely. See cheap-deals.example.com for details",
        "Such a long article about trains, read www.cheap-deals.example.com/trains instead",
    ]
    comments = [submit(body, n=n) for n, body in enumerate(bodies)]

    assert comments[2].status == Status.HELD
    assert "links to cheap-deals.example.com from 3 senders" in comments[2].reasons.get().detail
    assert CommentCluster.objects.with_figures().get().size == 3


def test_one_sender_repeating_itself_is_not_a_wave():
    for n in range(4):
        submit(WAVE_TEXT.format(name=n), n=1)  # one email, one IP, four articles

    assert not CommentCluster.objects.exists()
    assert set(Comment.objects.values_list("status", flat=True)) == {Status.APPROVED}


def test_different_texts_do_not_cluster():
    bodies = [
        "The council should publish the audit of the water board before the vote.",
        "My daughter's school bus route changed twice this month without notice.",
        "The photographs of the monsoon flooding in the old town are remarkable.",
        "I would like to know who pays for the new flyover once it is finished.",
    ]
    for n, body in enumerate(bodies):
        submit(body, n=n)

    assert not CommentCluster.objects.exists()


def test_comments_outside_the_window_do_not_count():
    earlier = timezone.now() - timedelta(hours=25)
    for n in range(2):
        submit(WAVE_TEXT.format(name=n), n=n)
    ClusterKey.objects.update(created_at=earlier)

    comment = submit(WAVE_TEXT.format(name="new"), n=9)

    assert comment.status == Status.APPROVED
    assert clusters.forget_old_keys() == 2 * clusters.BANDS
    assert ClusterKey.objects.count() == clusters.BANDS


def test_links_to_the_site_itself_never_tie_comments_together(settings):
    settings.NEWSROOM_SITE_URL = "https://news.example.in"
    for n, topic in enumerate(["the budget", "the railway strike", "the monsoon"]):
        submit(f"There is more on {topic} in https://news.example.in/2024/{n}/ today", n=n)

    assert not CommentCluster.objects.exists()


def wave_of(count, domain="win-cash.example.net"):
    return [
        submit(f"{WAVE_TEXT.format(name=n)} Visit https://{domain}/offer now", n=n)
        for n in range(count)
    ]


def test_spamming_a_cluster_marks_all_and_blocks_its_link_domains(moderator):
    wave_of(4)
    cluster = CommentCluster.objects.get()

    marked, blocked = moderation.spam_cluster(cluster, by=moderator)

    assert (marked, blocked) == (4, 1)
    assert set(Comment.objects.values_list("status", flat=True)) == {Status.SPAM}
    entry = ListEntry.objects.get(kind=ListEntry.Kind.BLOCKED_LINK_DOMAIN)
    assert entry.value == "win-cash.example.net" and entry.created_by == moderator
    later = submit("Totally new words here, see http://promo.win-cash.example.net/x", n=50)
    assert later.status == Status.SPAM
    assert later.reasons.filter(rule=Rule.BLOCKED_LINK_DOMAIN).exists()


def test_rejecting_a_cluster_rejects_every_comment_without_blocking(moderator):
    wave_of(3)

    assert moderation.reject_cluster(CommentCluster.objects.get(), by=moderator) == 3

    assert set(Comment.objects.values_list("status", flat=True)) == {Status.REJECTED}
    assert not ListEntry.objects.exists()
    assert {
        a.changed_by
        for c in Comment.objects.all()
        for a in c.actions.filter(changed_by__isnull=False)
    } == {moderator}


def test_the_queue_lists_waves_with_their_size_and_acts_on_them(client, moderator):
    wave_of(4)
    client.force_login(moderator)
    cluster = CommentCluster.objects.get()

    html = client.get("/admin/comments/commentcluster/").content.decode()
    assert f'href="/admin/comments/comment/?cluster={cluster.pk}&amp;status=all">4</a>' in html
    assert "4 / 4" in html  # senders: emails / IPs
    queue = client.get("/admin/comments/comment/", {"cluster": cluster.pk, "status": "all"})
    assert len(queue.context["cl"].result_list) == 4

    response = client.post(
        "/admin/comments/commentcluster/",
        {"action": "spam_waves", "_selected_action": [cluster.pk], "index": 0},
        follow=True,
    )

    assert "4 comments marked as spam; 1 link domain blocked." in response.content.decode()


def test_zero_senders_switches_waves_off(settings):
    settings.NEWSROOM_COMMENTS_CLUSTER_MIN_SENDERS = 0
    for n in range(4):
        submit(WAVE_TEXT.format(name=n), n=n)

    assert not CommentCluster.objects.exists() and not ClusterKey.objects.exists()
    assert set(Comment.objects.values_list("status", flat=True)) == {Status.APPROVED}

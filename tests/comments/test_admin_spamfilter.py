"""The queue sorts and filters by spam score, marks likely spam in bulk after confirming, and the
admin shows each spam filter version's state."""

import numpy as np
import pytest

from comments import moderation, spamfilter
from comments.models import Comment, Reason, SpamModel
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

Status = Comment.Status
CHANGELIST = "/admin/comments/comment/"
BULK = "/admin/comments/comment/mark-likely-spam/"


def staff(role):
    user = make_user(role.lower(), groups=[role], is_staff=True)
    return user


@pytest.fixture
def moderator(client):
    user = staff("Moderators")
    client.force_login(user)
    return user


def scored(score, status=Status.HELD, **fields):
    return make_comment(
        body=f"Scored {score}", status=status, spam_score=score, spam_model_version=1, **fields
    )


def listed_bodies(response):
    return [comment.body for comment in response.context["cl"].result_list]


def test_queue_shows_and_sorts_by_spam_score_with_unscored_last(client, moderator):
    for score in [0.2, None, 0.997, 0.6]:
        scored(score)

    response = client.get(CHANGELIST, {"score": "top"})

    assert listed_bodies(response) == ["Scored 0.997", "Scored 0.6", "Scored 0.2", "Scored None"]
    assert "Spam score 1.00" in response.content.decode()
    assert 'href="?score=top"' in client.get(CHANGELIST).content.decode()


def test_a_score_band_is_sorted_highest_first(client, moderator):
    for score in [0.93, 0.97, 0.91]:
        scored(score)

    bodies = listed_bodies(client.get(CHANGELIST, {"score": "0.9"}))

    assert bodies == ["Scored 0.97", "Scored 0.93", "Scored 0.91"]


@pytest.mark.parametrize(
    "band, expected",
    [
        ("0.99", ["Scored 0.995"]),
        ("0.9", ["Scored 0.95"]),
        ("0.5", ["Scored 0.6"]),
        ("0", ["Scored 0.2"]),
        ("none", ["Scored None"]),
    ],
)
def test_queue_filters_by_score_band(client, moderator, band, expected):
    for score in [0.2, None, 0.995, 0.6, 0.95]:
        scored(score)

    assert listed_bodies(client.get(CHANGELIST, {"score": band})) == expected


def test_bulk_spam_asks_first_and_shows_the_count(client, moderator):
    likely = [scored(0.999), scored(0.991)]
    scored(0.98)
    scored(0.999, status=Status.APPROVED)

    response = client.get(BULK)

    html = response.content.decode()
    assert "2 held comments</strong> score 0.99 or more" in html
    assert "Yes, mark 2 as spam" in html
    assert all(
        c.status == Status.HELD for c in Comment.objects.filter(pk__in=[c.pk for c in likely])
    )
    assert (
        'href="/admin/comments/comment/mark-likely-spam/"'
        in client.get(CHANGELIST).content.decode()
    )


def test_bulk_spam_marks_only_what_the_moderator_saw(client, moderator):
    likely = [scored(0.999), scored(0.991)]
    below = scored(0.98)
    approved = scored(0.999, status=Status.APPROVED)
    last_seen = client.get(BULK).context["last_seen"]
    arrived_later = scored(0.995)

    response = client.post(BULK, {"last_seen": last_seen}, follow=True)

    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in likely] == [Status.SPAM, Status.SPAM]
    assert statuses[below.pk] == statuses[arrived_later.pk] == Status.HELD
    assert statuses[approved.pk] == Status.APPROVED
    assert "2 held comments scoring 0.99 or more marked as spam." in response.content.decode()
    assert {a.changed_by for c in likely for a in c.actions.all()} == {moderator}


def test_bulk_spam_needs_the_moderation_permission(client):
    client.force_login(staff("Writers"))
    comment = scored(0.999)

    assert client.get(BULK).status_code == 403
    assert client.post(BULK, {"last_seen": comment.pk}).status_code == 403
    comment.refresh_from_db()
    assert comment.status == Status.HELD


def stored_model(examples=400):
    weights = np.zeros(spamfilter.n_features(), dtype=np.float32)
    weights[:3] = [0.5, -0.25, 1.0]
    fitted = spamfilter.Fitted(
        weights=weights,
        intercept=-0.1,
        slope=2.0,
        offset=0.0,
        threshold=0.91,
        recall=0.953,
        fp_rate=0.008,
        auc=0.9961,
        seconds=4.2,
        folds=5,
    )
    return spamfilter.store(fitted, examples=examples, spam_examples=120)


def test_admin_shows_each_model_s_state_and_its_false_positives_since(client, moderator):
    model = stored_model()
    article = make_article()
    held = [scored(0.95, article=article), scored(0.97, article=article)]
    for comment in held:
        Reason.objects.create(comment=comment, rule=Reason.Rule.SPAM_FILTER, detail="Likely spam")
    moderation.approve(held[0], by=moderator)  # a false positive
    for _ in range(3):
        scored(0.1, status=Status.APPROVED, article=article)

    html = client.get("/admin/comments/spammodel/").content.decode()

    assert str(model) in html
    for figure in ["400", "120", "95.3%", "0.80%", "0.9961", "0.910", "2 (1)", "25.00% of 4 ham"]:
        assert figure in html
    assert client.get(f"/admin/comments/spammodel/{model.pk}/change/").status_code == 200


def test_a_model_below_the_minimum_decisions_is_shown_as_not_in_use(client, moderator, settings):
    settings.NEWSROOM_SPAM_FILTER_MIN_DECISIONS = 300
    stored_model(examples=100)

    response = client.get("/admin/comments/spammodel/")

    assert 'alt="False"' in response.content.decode()
    assert not SpamModel.objects.usable().exists()


@pytest.mark.parametrize(
    "query, rows",
    [
        ("score=top", 50),
        ("status=all&score=top", 50),
        ("score=0.9", 11),  # scores from 0.90 up to 0.99: comments 108 to 118 of 120
    ],
)
def test_queue_by_score_runs_a_fixed_number_of_queries(
    client, moderator, django_assert_max_num_queries, query, rows
):
    from tests.comments.test_queue_performance import MAX_QUERIES, held_comments

    for n, comment in enumerate(held_comments(120, articles=7)):
        Comment.objects.filter(pk=comment.pk).update(spam_score=n / 120, spam_model_version=1)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"{CHANGELIST}?{query}")

    assert len(response.context["cl"].result_list) == rows

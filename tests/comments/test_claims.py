"""Opening a held comment claims it for a few minutes: others see who is reviewing it, skip it in
their next-item order, and get it back when the claim expires."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from comments import claims
from comments.models import Claim, Comment
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

Status = Comment.Status
QUEUE = "/admin/comments/comment/"
START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Kolkata"))


@pytest.fixture
def clock(settings):
    settings.NEWSROOM_COMMENTS_CLAIM_MINUTES = 5
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def moderator(username, first_name="", last_name=""):
    user = make_user(
        username, groups=["Moderators"], first_name=first_name, last_name=last_name, is_staff=True
    )
    client = Client()
    client.force_login(user)
    return user, client


@pytest.fixture
def desk(clock):
    """Three held comments, newest first in the queue, and two moderators."""
    article = make_article()
    comments = [
        make_comment(
            article, status=Status.HELD, body=f"Held {n}", created_at=START - timedelta(minutes=n)
        )  # fmt: skip
        for n in range(3)
    ]
    asha = moderator("asha", "Asha", "Rao")
    ravi = moderator("ravi")
    return comments, asha, ravi


def change(comment):
    return f"{QUEUE}{comment.pk}/change/"


def test_opening_a_held_comment_claims_it_and_others_see_who(desk):
    comments, (asha, asha_client), (ravi, ravi_client) = desk
    asha_client.get(change(comments[1]))
    claim = Claim.objects.get(comment=comments[1])
    assert (claim.by, claim.expires_at) == (asha, START + timedelta(minutes=5))

    ravi_queue = ravi_client.get(QUEUE).content.decode()
    assert ravi_queue.count("Being reviewed by") == 1
    assert 'data-claimed-by="Asha Rao">Being reviewed by Asha Rao</p>' in ravi_queue
    assert "Being reviewed by" not in asha_client.get(QUEUE).content.decode()  # her own

    page = ravi_client.get(change(comments[1])).content.decode()
    assert "Being reviewed by <strong>Asha Rao</strong> until 09:05" in page
    assert Claim.objects.get(comment=comments[1]).by == asha  # not taken over


def test_a_claimed_comment_drops_out_of_the_others_next_item_order(desk):
    comments, (asha, asha_client), (ravi, ravi_client) = desk
    asha_client.get(change(comments[1]))
    assert claims.next_for(ravi, comments[0]) == comments[2]
    assert claims.next_for(asha, comments[0]) == comments[1]  # her own claim stays in hers
    page = ravi_client.get(change(comments[0])).content.decode()
    assert f'href="{change(comments[2])}">Next held comment' in page
    # Saving with "review next" goes to the next comment nobody else is reviewing.
    response = ravi_client.post(
        change(comments[0]),
        {"status": "approved", "moderation_note": "", "_reviewnext": "1", **no_inlines()},
    )
    assert response["Location"] == change(comments[2])


def test_the_claim_expires_and_the_comment_is_anyones_again(desk, clock):
    comments, (asha, asha_client), (ravi, ravi_client) = desk
    asha_client.get(change(comments[1]))
    clock.shift(timedelta(minutes=4, seconds=59))
    assert "Being reviewed by Asha Rao" in ravi_client.get(QUEUE).content.decode()
    clock.shift(timedelta(seconds=1))
    assert "Being reviewed by" not in ravi_client.get(QUEUE).content.decode()
    assert claims.next_for(ravi, comments[0]) == comments[1]
    ravi_client.get(change(comments[1]))
    claim = Claim.objects.get(comment=comments[1])
    assert (claim.by, claim.expires_at) == (ravi, START + timedelta(minutes=10))


def test_reopening_ones_own_claim_extends_it_and_a_decided_comment_shows_no_claim(desk, clock):
    comments, (asha, asha_client), _ = desk
    asha_client.get(change(comments[0]))
    clock.shift(timedelta(minutes=3))
    asha_client.get(change(comments[0]))
    assert Claim.objects.get(comment=comments[0]).expires_at == START + timedelta(minutes=8)
    asha_client.post(
        f"{QUEUE}{comments[0].pk}/moderate/?seen=held",
        {"decision": "approve"},
        headers={"accept": "application/json"},
    )
    _, ravi_client = moderator("ravi2")
    assert "Being reviewed by" not in ravi_client.get(f"{QUEUE}?status=all").content.decode()


def test_decided_comments_are_not_claimed_and_the_queue_stays_constant_in_queries(
    desk, django_assert_max_num_queries
):
    comments, (asha, asha_client), (ravi, ravi_client) = desk
    approved = make_comment(status=Status.APPROVED)
    asha_client.get(change(approved))
    assert not Claim.objects.exists()
    for comment in comments:
        asha_client.get(change(comment))
    with django_assert_max_num_queries(9):
        assert ravi_client.get(QUEUE).content.decode().count("Being reviewed by") == 3


def no_inlines():
    data = {}
    for prefix in ["reasons", "reports", "actions"]:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data

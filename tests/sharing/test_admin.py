import re

import pytest
from django.urls import reverse

from newsroom.outbox.models import Message
from sharing.delivery import queue_share
from sharing.models import EmailShare, ShareVisitCount
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(
        make_user("chief", email="chief@example.com", is_staff=True, is_superuser=True)
    )
    return client


def share(article, status=EmailShare.Status.QUEUED, recipient_count=2, sent=None, **fields):
    """Store a share with its outbox messages, `sent` of them (default: all) already sent."""
    item = EmailShare.objects.create(
        article=article,
        sender_name="Priya",
        sender_email="priya@example.net",
        recipients="\n".join(f"friend{n}@example.org" for n in range(recipient_count)),
        recipient_count=recipient_count,
        status=status,
        **fields,
    )
    if status == EmailShare.Status.QUEUED:
        queue_share(item)
        sent = recipient_count if sent is None else sent
        ids = Message.objects.filter(key__startswith=f"share:{item.pk}:").order_by("pk")
        Message.objects.filter(pk__in=list(ids.values_list("pk", flat=True))[:sent]).update(
            status=Message.Status.SENT
        )
    return item


def rows(html):
    """Return the text of each row of the admin's result table."""
    html = html.split('id="result_list"')[1].split("</table>")[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S)[1:]
    ]


def test_article_shares_lists_emails_sent_and_visits_per_article(
    admin_client, django_assert_max_num_queries
):
    ferry = make_article(headline="Harbour ferry returns")
    bridge = make_article(headline="Old bridge reopens")
    make_article(headline="Never shared")
    share(ferry, recipient_count=2)
    share(ferry, recipient_count=3)
    share(ferry, status=EmailShare.Status.SPAM, recipient_count=5)  # never sent: not counted
    share(bridge, recipient_count=1, sent=0)
    ShareVisitCount.objects.create(article=ferry, visits=7)
    ShareVisitCount.objects.create(article=bridge, visits=1)

    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:sharing_sharedarticle_changelist"))
    assert response.status_code == 200
    listed = rows(response.content.decode())
    assert len(listed) == 2, listed
    assert listed[0].startswith("Harbour ferry returns") and listed[0].endswith("2 5 7")
    assert listed[1].startswith("Old bridge reopens") and listed[1].endswith("1 0 1")
    assert "Never shared" not in response.content.decode()


def test_article_shares_are_read_only(admin_client):
    ferry = make_article()
    share(ferry)
    assert admin_client.get(reverse("admin:sharing_sharedarticle_add")).status_code == 403
    change = reverse("admin:sharing_sharedarticle_change", args=[ferry.pk])
    assert admin_client.post(change, {"headline": "Changed"}).status_code == 403


def test_email_share_list_and_detail_open(admin_client):
    item = share(make_article(), note="Worth a read")
    listing = admin_client.get(reverse("admin:sharing_emailshare_changelist"))
    assert listing.status_code == 200 and "Priya" in listing.content.decode()
    detail = admin_client.get(reverse("admin:sharing_emailshare_change", args=[item.pk]))
    assert "Worth a read" in detail.content.decode()


def test_each_share_links_to_its_messages_in_the_outbox(admin_client):
    item = share(make_article(), recipient_count=3, sent=1)
    listing = admin_client.get(reverse("admin:sharing_emailshare_changelist")).content.decode()
    assert "1 of 3" in listing
    url = reverse("admin:outbox_message_changelist") + f"?kind=share&amp;source_id__exact={item.pk}"
    assert url in listing
    messages = admin_client.get(url.replace("&amp;", "&")).content.decode()
    assert messages.count("@example.org") >= 3


def test_editors_can_see_share_numbers_without_being_superusers(client):
    editor = make_user("desk", groups=["Editors"], is_staff=True)
    client.force_login(editor)
    share(make_article(headline="Harbour ferry returns"))
    response = client.get(reverse("admin:sharing_sharedarticle_changelist"))
    assert response.status_code == 200
    assert "Harbour ferry returns" in response.content.decode()
    assert client.get(reverse("admin:sharing_emailshare_changelist")).status_code == 200

"""The held comments a reader has posted, remembered in their session so only they see them.

The comment view remembers a held comment; the comment thread tag only reads the list;
comments.middleware forgets comments once they are published, before the page cache looks at
the session, so that the reader is served shared pages again once nothing personal is left.
"""

from .models import Comment

SESSION_KEY = "comments_pending"
REMEMBERED = 20


def remember(session, comment):
    """Remember a held comment in the reader's session (the newest REMEMBERED of them)."""
    earlier = session.get(SESSION_KEY, [])[-(REMEMBERED - 1) :]
    session[SESSION_KEY] = [*earlier, comment.pk]


def comment_ids(session):
    """Return the ids of the reader's remembered comments, without changing the session."""
    return session.get(SESSION_KEY, []) if session is not None else []


def for_article(session, article):
    """Return the reader's comments on the article that readers cannot see yet, oldest first."""
    ids = comment_ids(session)
    if not ids:
        return []
    theirs = article.comments.filter(pk__in=ids).order_by("created_at")
    return [comment for comment in theirs if not comment.is_public()]


def forget_published(session):
    """Forget remembered comments that readers can see now: they show in the thread."""
    ids = comment_ids(session)
    if not ids:
        return
    published = set(Comment.objects.approved().filter(pk__in=ids).values_list("pk", flat=True))
    if not published:
        return
    remaining = [pk for pk in ids if pk not in published]
    if remaining:
        session[SESSION_KEY] = remaining
    else:
        del session[SESSION_KEY]

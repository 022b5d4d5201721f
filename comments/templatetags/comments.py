"""Put an article's comments on its page; the articles app only includes our template."""

import functools
from dataclasses import dataclass, field

from django import template
from django.conf import settings
from django.core.paginator import Paginator
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

from newsroom import compiledsql, pagecache

from .. import pending, rendering, staffing
from ..forms import CommentForm
from ..models import Comment

register = template.Library()


def approved_counts(article):
    """Return the article's approved and top-level approved counts, one query per page view."""
    counts = getattr(article, "_approved_comment_counts", None)
    if counts is None:
        found = compiledsql.rows(
            ("approved-comment-counts", article.pk),
            lambda _: Comment.objects.approved().filter(article_id=article.pk).counts_by_article(),
        )
        _, total, top_level = found[0] if found else (article.pk, 0, 0)
        counts = article._approved_comment_counts = {"total": total, "top_level": top_level}
    return counts


@register.simple_tag
def approved_comment_count(article):
    """Return how many approved comments the article has."""
    return approved_counts(article)["total"]


@dataclass
class Thread:
    """Everything the comments section shows, fetched in a fixed number of queries."""

    total: int = 0
    page: object = None
    rows: list = field(default_factory=list)  # the page's approved comments' ThreadComment.FIELDS
    pending: list = field(default_factory=list)
    is_open: bool = False
    close_at: object = None
    close_after_days: int = 0
    form: object = None
    reply_to: object = None
    reported: int | None = None
    desk_message: str = ""  # staffed hours: why comments are held or closed just now

    @functools.cached_property
    def comments(self):
        """Return the page's top-level comments, their replies nested: built only to render."""
        return _threads_from_rows(self.rows)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register.simple_tag(takes_context=True)
def comment_thread(context, article):
    """Return the page of approved threads (oldest first, replies nested) and the form."""
    request = context.get("request")
    params = request.GET if request else {}
    counts = approved_counts(article)
    thread = Thread(
        total=counts["total"],
        is_open=article.comments_are_open(),
        close_at=article.comments_close_at(),
        close_after_days=settings.NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS,
    )
    if thread.is_open and request is not None and thread.close_at:
        pagecache.valid_until(request, thread.close_at)  # the form goes then
    if thread.is_open:
        desk = staffing.desk_state(article)
        thread.desk_message = desk.reader_message()
        thread.is_open = not desk.closes_comments
        if request is not None:
            pagecache.valid_until(request, desk.changes_at)  # the desk opens or closes then
    if counts["top_level"]:
        # Counted already: the paginator only numbers the top-level comments' page.
        paginator = Paginator(range(counts["top_level"]), settings.NEWSROOM_COMMENTS_PER_PAGE)
        thread.page = paginator.get_page(params.get("comments_page"))
        thread.rows = _thread_rows(article, thread.page)
    if request is not None:
        thread.pending = pending.for_article(request.session, article)
    if thread.is_open:
        thread.form = context.get("comment_form")
        reply_to = _int(params.get("reply_to"))
        if thread.form is None and reply_to is None and pagecache.is_rendering_for_cache(request):
            thread.form = _blank_shared_form()
        if thread.form is None:
            user = getattr(request, "user", None)
            initial = {"parent": reply_to}
            if request is not None:
                initial["rendered_at"] = pagecache.rendered_at_value(request)
            thread.form = CommentForm(article=article, user=user, initial=initial)
        parent_id = _int(thread.form["parent"].value())
        thread.reply_to = _find(thread.comments, parent_id) if parent_id else None
        if thread.reply_to is None and thread.form.is_bound:
            # A reply shown again with errors: its parent may be on another page of the thread.
            thread.reply_to = getattr(thread.form, "cleaned_data", {}).get("parent")
    thread.reported = _int(params.get("reported"))
    return thread


@register.simple_tag(takes_context=True)
def comments_section(context, article):
    """Render the article's comments section; a cached page's open one, kept in this worker's
    memory under everything it shows: a page retired with its thread as it was renders
    nothing, a new approved comment only itself (rendering.render_thread)."""
    thread = comment_thread(context, article)
    template = context.template.engine.get_template("comments/_comments_section.html")

    def render():
        with context.push(thread=thread):
            return template.render(context)

    shared = pagecache.is_rendering_for_cache(context.get("request"))
    if not shared or not thread.is_open or thread.form is not _blank_shared_form():
        return render()
    page = thread.page
    key = (
        template,
        article.pk,
        thread.total,
        (page.number, page.paginator.num_pages) if page else None,
        rendering.thread_key(
            thread.rows,
            is_open=thread.is_open,
            page_number=page.number if page else 1,
            reported=thread.reported,
        ),
        thread.desk_message,
    )
    return pagecache.remembered(key, render)


@register.simple_tag
def comment_items(thread):
    """Render the page's comments, replies nested, as the items of a list."""
    return rendering.render_thread(
        thread.comments,
        is_open=thread.is_open,
        page_number=thread.page.number if thread.page else 1,
        reported=thread.reported,
    )


@register.simple_tag(takes_context=True)
def comment_form_section(context, thread, article):
    """Render the comment form's section; a cached page's, the same for every reader, once.

    On a page being cached the blank form depends only on the article, the desk's message and
    the language and URL layout, so this worker keeps it under those.
    """
    template = context.template.engine.get_template("comments/_comment_form.html")
    if thread.form is not _blank_shared_form():
        return template.render(context)
    key = (
        template,
        article.pk,
        thread.desk_message,
        get_language(),
        get_script_prefix(),
        get_urlconf(),
    )
    return pagecache.remembered(key, lambda: template.render(context))


@register.simple_tag
def comment_form_fields(form):
    """Render the comment form's fields with crispy-forms (the <form> tag is the template's)."""
    return rendering.render_form_fields(form)


@functools.cache
def _blank_shared_form():
    """The blank form of a page being cached, the same for every article and reader.

    Only read (its HTML comes from rendering.render_form_fields), so it is made once per process.
    """
    return CommentForm(article=None, initial={"parent": None, "rendered_at": ""})


class ThreadComment:
    """What the thread shows of an approved comment: one row of a lean `values_list()` query."""

    FIELDS = ("pk", "name", "created_at", "body_html", "depth", "parent_id")
    __slots__ = (*FIELDS, "children")

    def __init__(self, pk, name, created_at, body_html, depth, parent_id):
        self.pk, self.name, self.created_at, self.body_html = pk, name, created_at, body_html
        self.depth, self.parent_id = depth, parent_id
        self.children = []


def _thread_rows(article, page):
    """Return the rows (ThreadComment.FIELDS) of the page's top-level comments and of every
    approved reply to them, oldest first.

    One query, with the page's top-level pks as its subquery: the page's comments by their pks,
    and their replies through the thread index, as a UNION (an OR of the two, or COALESCE of the
    thread and the pk, reads every approved comment of the article instead). Its SQL is kept
    compiled for the article's page of threads (newsroom.compiledsql).
    """

    def build(_):
        approved = Comment.objects.approved().filter(article_id=article.pk)
        page_pks = (
            approved.top_level()
            .order_by("created_at", "pk")
            .values("pk")[page.start_index() - 1 : page.end_index()]
        )
        threads = approved.filter(pk__in=page_pks).order_by().values_list(*ThreadComment.FIELDS)
        replies = approved.filter(thread_id__in=page_pks).order_by()
        replies = replies.values_list(*ThreadComment.FIELDS)
        return threads.union(replies, all=True).order_by("created_at", "pk")

    key = ("comment-threads", article.pk, page.start_index(), page.end_index())
    return compiledsql.rows(key, build)


def _threads_from_rows(rows):
    """Return the top-level comments of `rows`, every reply attached to its parent's
    `children`."""
    comments = [ThreadComment(*row) for row in rows]
    by_id = {comment.pk: comment for comment in comments}
    top_level = []
    for comment in comments:
        if comment.parent_id is None:
            top_level.append(comment)
            continue
        parent = by_id.get(comment.parent_id)
        if parent is not None:  # a reply under a hidden comment stays hidden with it
            parent.children.append(comment)
    return top_level


def _find(comments, pk):
    for comment in comments:
        if comment.pk == pk:
            return comment
        found = _find(comment.children, pk)
        if found:
            return found
    return None

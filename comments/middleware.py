from . import pending

# The page that lists the reader's pending comments (through the comment_thread tag).
ARTICLE_PAGE = "articles:detail"


class PendingCommentsMiddleware:
    """Forget the reader's pending comments that are published, before the article page is served.

    Runs before the view, so that the page cache sees the session as it is after forgetting them.
    Requests without a session cookie, and other pages, cost nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method in ("GET", "HEAD")
            and request.session.session_key
            and request.resolver_match.view_name == ARTICLE_PAGE
        ):
            pending.forget_published(request.session)

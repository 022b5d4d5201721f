"""Bench only: retire a page-cache scope before the request, to measure a cache miss under load.

`X-Bench-Retire: article:<slug>` is what a new comment does to the article's pages (the article
part stays cached, the thread is rendered); `X-Bench-Retire: site` what an edit does. Installed
by bench/settings.py only, above the page cache, never in the project's settings.
"""

from newsroom import pagecache


class RetireScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        scope = request.headers.get("X-Bench-Retire")
        if scope:
            pagecache._replace_generations([scope])
        return self.get_response(request)

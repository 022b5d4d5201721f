from .models import ShareVisitCount


class ShareVisitMiddleware:
    """Count article visits that arrive from emailed links (utm_medium=article_share).

    Ordinary page views cost a dictionary lookup and no query; a counted visit costs one UPDATE
    of a per-article number. Nothing about the visitor is stored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method == "GET"
            and response.status_code == 200
            and request.GET.get("utm_medium") == "article_share"
            and request.resolver_match is not None
            and request.resolver_match.view_name == "articles:detail"
        ):
            ShareVisitCount.objects.record_visit(request.resolver_match.kwargs["slug"])
        return response

"""The site's own answers when a part of it fails: 503 while the database is down, /healthz."""

import logging
import sys
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import Count
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
DATABASE_DOWN = (OperationalError, InterfaceError)
# What a reader typed into our forms, shown again for them to send; other fields ride along.
TEXT_FIELDS = {
    "name": (_("Name"), False),
    "email": (_("Email"), False),
    "body": (_("Comment"), True),
    "sender_name": (_("Your name"), False),
    "sender_email": (_("Your email"), False),
    "recipients": (_("Send to"), True),
    "note": (_("Note"), True),
}


def database_unavailable(request):
    """Answer 503 with Retry-After, in the site's style, keeping a POST's text to send again.

    Rendered without the database: no context processors, no session, no user.
    """
    kept = []
    if request.method == "POST":
        for name, value in request.POST.items():
            if name == "csrfmiddlewaretoken":
                continue
            label, multiline = TEXT_FIELDS.get(name, ("", False))
            kept.append({"name": name, "value": value, "label": label, "multiline": multiline})
    context = {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "kept": kept,
        "action": request.path,
        "csrf_token": get_token(request),
    }
    response = HttpResponse(loader.render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # one warning below, not an error (and mail) per request
    return response


class DatabaseUnavailableMiddleware:
    """Turn a view's database connection error into the 503 page instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN):
            logger.warning(
                "Database unavailable for %s %s: %s", request.method, request.path, exception
            )
            return database_unavailable(request)
        return None


@requires_csrf_token
def server_error(request):
    """Django's handler500: the 503 page for a database outage outside a view, else the 500."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return database_unavailable(request)
    return HttpResponseServerError(loader.render_to_string("500.html"))


# --- /healthz -----------------------------------------------------------------------------------


def _check_database():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache():
    from django.core.cache import cache

    cache.get("healthz")


def _check_broker():
    from newsroom.celery import app

    if app.conf.task_always_eager:
        return None  # no broker: tasks run in the web process
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=1)
    return True


def _timed(check):
    started = time.monotonic()
    try:
        ok = check()
    except Exception:
        return {"ok": False}  # never the error's text: it can name hosts and ports
    result = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    if ok is None:
        result = {"ok": True, "used": False}
    return result


def _outbox():
    from django.db.models import Min
    from django.utils import timezone

    from newsroom.outbox.models import Message

    backlog = Message.objects.backlog().aggregate(count=Count("pk"), oldest=Min("created_at"))
    oldest = backlog["oldest"]
    return {
        "backlog": backlog["count"],
        "oldest_seconds": round((timezone.now() - oldest).total_seconds()) if oldest else 0,
        "failed": Message.objects.filter(status=Message.Status.FAILED).count(),
    }


@never_cache
@require_safe
def healthz(request):
    """Report what this server depends on, for load balancers and monitoring.

    200 while the database answers (the cache and broker only degrade the site: "degraded"),
    503 when it does not. JSON, and nothing secret: no addresses, versions or error texts.
    """
    checks = {
        "database": _timed(_check_database),
        "cache": _timed(_check_cache),
        "broker": _timed(_check_broker),
    }
    if checks["database"]["ok"]:
        try:
            checks["outbox"] = _outbox()
        except DATABASE_DOWN:
            checks["database"] = {"ok": False}
    if not checks["database"]["ok"]:
        status = "down"
    elif not (checks["cache"]["ok"] and checks["broker"]["ok"]):
        status = "degraded"
    elif checks["outbox"]["oldest_seconds"] > settings.NEWSROOM_HEALTH_OUTBOX_MAX_AGE:
        status = "degraded"  # mail is piling up: the worker or the mail server is in trouble
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == "down" else 200
    )

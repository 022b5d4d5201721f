vcl 4.1;
# Varnish in front of Newsroom's gunicorn (Debian's varnish 7). See README, "Varnish in front".
#
# - Caches only what the app marks with Surrogate-Control (anonymous readers' pages), for as long
#   as it says, plus /static/ by its Cache-Control. Everything else passes.
# - Readers with a session (signed in, or a comment awaiting moderation) and the admin always
#   reach the app: their pages are their own.
# - The app bans pages by surrogate key when it retires them (newsroom/frontcache.py): a BAN
#   request from an address in `purgers` with X-Ban-Keys: "site|article:<slug>".

import std;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

# The app servers, which send the bans.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.X-Ban-Keys !~ "^[a-z0-9:_|-]+$") {
            return (synth(400, "Bad ban keys"));
        }
        ban("obj.http.Surrogate-Key ~ (^|\s)(" + req.http.X-Ban-Keys + ")(\s|$)");
        return (synth(200, "Banned"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/admin/" || req.http.Authorization) {
        return (pass);
    }
    if (req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # Other cookies (csrftoken) do not change an anonymous reader's page: the app ignores them
    # there, and forms on per-reader pages set the cookie afresh.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    if (beresp.http.Surrogate-Control ~ "max-age=\d+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, ".*max-age=(\d+).*", "\1") + "s", 0s);
        set beresp.grace = 0s;
        if (beresp.ttl <= 0s || beresp.http.Set-Cookie) {
            set beresp.uncacheable = true;
            set beresp.ttl = 120s;
        }
        return (deliver);
    }
    if (bereq.url ~ "^/static/") {
        return (deliver);
    }
    # Not marked by the app: a per-reader page, an error, a redirect. Never kept.
    set beresp.uncacheable = true;
    set beresp.ttl = 120s;
    return (deliver);
}

sub vcl_deliver {
    # Keys and the front cache's lifetime are for this cache only.
    unset resp.http.Surrogate-Key;
    unset resp.http.Surrogate-Control;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}

import pytest

from newsroom.ratelimit import Rate, client_ip, describe_wait, hit, parse_ip, parse_rates


@pytest.mark.parametrize(
    "text, rate",
    [
        ("5/m", Rate(5, 60)),
        ("30/h", Rate(30, 3600)),
        ("20/d", Rate(20, 86400)),
        ("3/90s", Rate(3, 90)),
    ],
)
def test_rates_parse_from_settings_text(text, rate):
    assert Rate.parse(text) == rate


def test_limit_allows_up_to_the_count_then_refuses_until_the_window_resets():
    rates = [Rate(3, 60)]
    start = 1_800_000_000  # the start of a minute
    assert [hit("comment", "1.2.3.4", rates, now=start + i) for i in range(3)] == [None] * 3
    assert hit("comment", "1.2.3.4", rates, now=start + 10) == 50
    assert hit("comment", "1.2.3.4", rates, now=start + 60) is None


def test_limits_are_separate_per_identifier_and_scope():
    rates = [Rate(1, 60)]
    now = 1_800_000_000
    assert hit("comment", "a@example.com", rates, now=now) is None
    assert hit("comment", "b@example.com", rates, now=now) is None
    assert hit("share", "a@example.com", rates, now=now) is None
    assert hit("comment", "A@Example.com", rates, now=now) is not None  # same address


def test_the_longest_exceeded_window_decides_the_wait():
    rates = [Rate(5, 60), Rate(6, 3600)]
    start = 1_800_000_000 - 1_800_000_000 % 3600
    for minute in range(6):
        assert hit("comment", "ip", rates, now=start + minute * 60) is None
    assert hit("comment", "ip", rates, now=start + 600) == 3000


def test_rate_lists_parse_from_settings_text():
    assert parse_rates("5/m, 30/h,") == [Rate(5, 60), Rate(30, 3600)]


def test_client_ip_is_the_address_our_proxy_appended(rf, settings):
    settings.NEWSROOM_TRUSTED_PROXIES = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    # The first entry came from the client and could be anything; the last is the proxy's.
    assert client_ip(request) == "203.0.113.7"


def test_client_ip_is_the_socket_address_without_a_proxy(rf, settings):
    settings.NEWSROOM_TRUSTED_PROXIES = 0
    request = rf.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "198.51.100.4"


def test_without_the_shared_cache_limits_are_counted_per_process_and_logged(
    unreachable_cache, caplog, db
):
    rates = [Rate(2, 60)]
    now = 1_800_000_000
    assert hit("comment", "offline@example.org", rates, now=now) is None
    assert hit("comment", "offline@example.org", rates, now=now + 1) is None
    assert hit("comment", "offline@example.org", rates, now=now + 2) == 58
    assert hit("comment", "offline@example.org", rates, now=now + 60) is None
    assert "counted in this process only" in caplog.text


def test_client_ip_behind_two_proxies_is_the_second_entry_from_the_end(rf, settings):
    settings.NEWSROOM_TRUSTED_PROXIES = 2
    forwarded = "6.6.6.6, 203.0.113.7, 10.0.0.5"  # forged, the reader, the first proxy
    request = rf.get("/", REMOTE_ADDR="10.0.0.6", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == "203.0.113.7"
    # A header that did not pass through both proxies is not believed.
    request = rf.get("/", REMOTE_ADDR="10.0.0.6", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip(request) == "10.0.0.6"


@pytest.mark.parametrize(
    "forwarded",
    ["not-an-ip", "999.999.999.999", "", " , ", "6.6.6.6, not-an-ip", "1.2.3.4.5", "::g",
     "<script>alert(1)</script>", "x" * 5000, "203.0.113.7\r\nSet-Cookie: a=b"],
)  # fmt: skip
def test_a_malformed_forwarded_address_falls_back_to_the_socket_address(rf, settings, forwarded):
    settings.NEWSROOM_TRUSTED_PROXIES = 1
    request = rf.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == "198.51.100.4"


@pytest.mark.parametrize(
    "text, address",
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7:8443 ", "203.0.113.7"),
        ("2001:DB8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("fe80::1%eth0", "fe80::1"),
        ("unknown", None),
        ("", None),
    ],
)
def test_addresses_are_parsed_and_normalized(text, address):
    assert parse_ip(text) == address


@pytest.mark.parametrize(
    "seconds, words",
    [
        (1, "1 second"),
        (45, "45 seconds"),
        (89, "89 seconds"),
        (90, "about 2 minutes"),
        (3600, "about 60 minutes"),
        (5340, "about 89 minutes"),
        (5341, "about 2 hours"),
        (72000, "about 20 hours"),
    ],
)
def test_a_wait_is_described_in_seconds_then_minutes_then_hours(seconds, words):
    assert describe_wait(seconds) == words

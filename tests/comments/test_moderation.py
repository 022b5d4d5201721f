import time
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from comments import moderation
from comments.models import ArticlePolicy, Comment, ListEntry, ModerationAction, Reason
from newsroom import ratelimit, spamtraps
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

Status = Comment.Status
Rule = Reason.Rule


@pytest.fixture(autouse=True)
def _post_mode(settings):
    # Most rules are easiest to see when nothing else holds the comment.
    settings.NEWSROOM_COMMENTS_MODE = "post"


@pytest.fixture
def article():
    return make_article()


def submit(article, body="A thoughtful comment.", **fields):
    fields = {"name": "Asha", "email": "asha@example.org", "ip_address": "198.51.100.7", **fields}
    return moderation.submit(moderation.Submission(article=article, body=body, **fields))


def rules(comment):
    return sorted(comment.reasons.values_list("rule", flat=True))


# --- Order of the pipeline, traps --------------------------------------------------------------


def test_a_clean_comment_in_post_mode_is_approved_with_an_audit_row(article):
    comment = submit(article)
    assert comment.status == Status.APPROVED
    action = comment.actions.get()
    assert (action.from_status, action.to_status, action.rule) == ("", Status.APPROVED, "post mode")


def test_closed_article_refuses_and_stores_nothing(article):
    article.comments_enabled = False
    with pytest.raises(moderation.CommentsClosed):
        submit(article)
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "catch, rule",
    [
        (spamtraps.Catch(spamtraps.HONEYPOT, "Honeypot field was filled in"), Rule.HONEYPOT),
        (spamtraps.Catch(spamtraps.TIMING, "Sent 0.4 s after the form was shown"), Rule.TIMING),
        (spamtraps.Catch(spamtraps.TIMING, "Form timestamp missing or tampered with"), Rule.TIMING),
    ],
)
def test_spam_traps_mark_spam_and_record_why(article, catch, rule):
    comment = submit(article, spam_catch=catch)
    assert comment.status == Status.SPAM
    assert list(comment.reasons.values_list("rule", "detail")) == [(rule, catch.reason)]


def test_the_rule_follows_the_trap_code_not_its_wording(article):
    reworded = spamtraps.Catch(spamtraps.TIMING, "Honeypot? No: sent too fast")
    comment = submit(article, spam_catch=reworded)
    assert rules(comment) == [Rule.TIMING]
    comment = submit(article, body="Another", spam_catch=spamtraps.Catch(spamtraps.HONEYPOT, "x"))
    assert rules(comment) == [Rule.HONEYPOT]


# --- Rate limits and duplicates -----------------------------------------------------------------


def test_sixth_comment_in_a_minute_from_one_ip_is_rate_limited(article):
    for n in range(5):
        submit(article, body=f"Comment {n}", email=f"r{n}@example.org")
    with pytest.raises(moderation.RateLimited) as refused:
        submit(article, body="One more", email="other@example.org")
    assert "Please wait" in refused.value.message
    assert refused.value.retry_after >= 1
    assert Comment.objects.count() == 5


# 30 s into a day, so every fixed window of the limiter holds the whole test, however slow it is.
INSIDE_EVERY_WINDOW = 20_000 * 86_400 + 30


def test_email_rate_limit_holds_across_ips(article):
    with mock.patch("newsroom.ratelimit.time.time", return_value=INSIDE_EVERY_WINDOW):
        for n in range(5):
            submit(article, body=f"Comment {n}", ip_address=f"198.51.100.{n}")
        with pytest.raises(moderation.RateLimited):
            submit(article, body="Again", ip_address="203.0.113.9")


def test_rate_limit_resets_after_the_window(article, settings):
    settings.NEWSROOM_COMMENTS_RATE_LIMITS = "2/m"
    submit(article, body="one")
    submit(article, body="two")
    with pytest.raises(moderation.RateLimited):
        submit(article, body="three")
    # The limiter counts in fixed windows of the clock; step into the next one.
    with mock.patch("newsroom.ratelimit.time.time", return_value=time.time() + 3600):
        assert submit(article, body="three").status == Status.APPROVED


def test_same_text_from_same_email_on_same_article_within_a_day_is_refused(article):
    submit(article, body="Same words")
    with pytest.raises(moderation.Duplicate):
        submit(article, body="  Same words ")
    assert submit(make_article(), body="Same words").status == Status.APPROVED
    assert submit(article, body="Same words", email="someone@example.org")


def test_same_text_a_day_later_is_accepted(article):
    make_comment(
        article,
        email="asha@example.org",
        body="Same words",
        created_at=timezone.now() - timedelta(hours=25),
    )
    assert submit(article, body="Same words").status == Status.APPROVED


# --- Blocked and watched lists ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, value, fields, rule",
    [
        (ListEntry.Kind.BLOCKED_EMAIL, "spammer@example.org", {"email": "Spammer@Example.org"},
         Rule.BLOCKED_EMAIL),
        (ListEntry.Kind.BLOCKED_DOMAIN, "spam.example", {"email": "x@mail.spam.example"},
         Rule.BLOCKED_DOMAIN),
        (ListEntry.Kind.BLOCKED_IP, "203.0.113.0/24", {"ip_address": "203.0.113.50"},
         Rule.BLOCKED_IP),
        (ListEntry.Kind.BLOCKED_IP, "2001:db8::1", {"ip_address": "2001:db8::1"},
         Rule.BLOCKED_IP),
    ],
)  # fmt: skip
def test_blocked_authors_are_marked_spam(article, kind, value, fields, rule):
    ListEntry.objects.create(kind=kind, value=value)
    comment = submit(article, **fields)
    assert comment.status == Status.SPAM
    assert rules(comment) == [rule]


@pytest.mark.parametrize(
    "text, matched",
    [
        ("Try the CASINO today", "CASINO"),
        ("Try the c a s i n o today", "c a s i n o"),
        ("Try the c.a.s.i.n.o today", "c.a.s.i.n.o"),
        ("Try the ｃａｓｉｎｏ today", "ｃａｓｉｎｏ"),  # fullwidth letters (NFKC)
        ("Try the саsinо today", "саsinо"),  # Cyrillic а, с and о
        ("Try the ca\u200bsino today", "ca\u200bsino"),  # zero-width space
        ("Try the 𝐜𝐚𝐬𝐢𝐧𝐨 today", "𝐜𝐚𝐬𝐢𝐧𝐨"),  # mathematical bold
    ],
)
def test_blocked_terms_survive_simple_evasion(article, text, matched):
    ListEntry.objects.create(kind=ListEntry.Kind.BLOCKED_TERM, value="casino")
    comment = submit(article, body=text)
    assert comment.status == Status.SPAM
    assert comment.reasons.get().detail == f"“casino” matched “{matched}”"


@pytest.mark.parametrize(
    "text", ["Casinos are a policy topic", "occasional", "Casino-like"[:0] + "casinoesque"]
)
def test_terms_match_whole_words_only(article, text):
    ListEntry.objects.create(kind=ListEntry.Kind.BLOCKED_TERM, value="casino")
    assert submit(article, body=text).status == Status.APPROVED


def test_multi_word_terms_match_with_extra_spaces(article):
    ListEntry.objects.create(kind=ListEntry.Kind.WATCHED_TERM, value="cheap pills")
    comment = submit(article, body="Buy CHEAP    pills here")
    assert comment.status == Status.HELD
    assert comment.reasons.get().detail == "“cheap pills” matched “CHEAP    pills”"


def test_watched_term_holds_and_names_the_match(article):
    ListEntry.objects.create(kind=ListEntry.Kind.WATCHED_TERM, value="idiot")
    comment = submit(article, body="What an IDIOT.")
    assert comment.status == Status.HELD
    assert list(comment.reasons.values_list("rule", "detail")) == [
        (Rule.WATCHED_TERM, "“idiot” matched “IDIOT”")
    ]


def test_terms_in_the_name_count_too(article):
    ListEntry.objects.create(kind=ListEntry.Kind.WATCHED_TERM, value="casino")
    assert submit(article, name="Casino King").status == Status.HELD


def test_blocked_beats_watched_and_every_fired_rule_is_recorded(article):
    ListEntry.objects.create(kind=ListEntry.Kind.BLOCKED_TERM, value="pills")
    ListEntry.objects.create(kind=ListEntry.Kind.WATCHED_TERM, value="cheap")
    comment = submit(article, body="cheap pills")
    assert comment.status == Status.SPAM
    assert rules(comment) == [Rule.BLOCKED_TERM, Rule.WATCHED_TERM]


# --- Links ------------------------------------------------------------------------------------


def test_two_links_pass_and_three_are_held(article):
    assert submit(article, body="http://a.org and http://b.org").status == Status.APPROVED
    comment = submit(article, body="http://a.org http://b.org http://c.org")
    assert comment.status == Status.HELD
    assert comment.reasons.get().detail.startswith("3 links (more than 2): http://a.org")


# --- Moderation modes ----------------------------------------------------------------------------


def test_pre_moderation_holds_every_comment(article, settings):
    settings.NEWSROOM_COMMENTS_MODE = "pre"
    make_comment(article, email="asha@example.org")
    comment = submit(article)
    assert comment.status == Status.HELD
    assert rules(comment) == [Rule.PRE_MODERATION]


def test_trusted_mode_holds_a_first_comment_and_trusts_the_same_email_from_the_same_browser(
    article, settings
):
    settings.NEWSROOM_COMMENTS_MODE = "trusted"
    first = submit(article, body="First words", browser_key="k1")
    assert first.status == Status.HELD
    assert rules(first) == [Rule.NEW_COMMENTER]
    moderation.approve(first, by=None)
    again = submit(article, body="Second words", email="ASHA@example.org", browser_key="k1")
    assert again.status == Status.APPROVED
    # The address alone proves nothing: another browser, or none, is held.
    assert submit(article, body="Third words", browser_key="k2").status == Status.HELD
    assert submit(article, body="Fourth words").status == Status.HELD


def test_trusted_mode_trusts_a_signed_in_reader_by_account(article, settings):
    settings.NEWSROOM_COMMENTS_MODE = "trusted"
    reader = make_user("asha")
    make_comment(article, email="asha@example.org", user=reader)
    assert submit(article, user=reader, browser_key="new").status == Status.APPROVED
    stranger = make_user("mallory")
    assert submit(article, body="Me too", user=stranger, browser_key="x").status == Status.HELD
    # The earlier comment has no browser key (it predates them): an empty key proves nothing.
    assert submit(article, body="Me three", user=stranger).status == Status.HELD


def test_per_article_mode_overrides_the_site_default(article, settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    ArticlePolicy.objects.create(article=article, mode="pre")
    assert submit(article).status == Status.HELD
    assert submit(make_article(), body="Other article").status == Status.APPROVED


# --- Moderators' decisions, reports, bans, audit --------------------------------------------


def test_each_decision_writes_an_audit_row_with_who_and_note(article):
    moderator = make_user("mod")
    comment = make_comment(article, status=Status.HELD)
    moderation.approve(comment, by=moderator, note="Fine")
    moderation.reject(comment, by=moderator)
    moderation.mark_spam(comment, by=moderator)
    rows = list(
        comment.actions.values_list("changed_by__username", "from_status", "to_status", "note")
    )
    assert rows == [
        ("mod", Status.HELD, Status.APPROVED, "Fine"),
        ("mod", Status.APPROVED, Status.REJECTED, ""),
        ("mod", Status.REJECTED, Status.SPAM, ""),
    ]
    assert Comment.objects.get(pk=comment.pk).status == Status.SPAM


def test_report_threshold_hides_the_comment_with_the_reasons(article):
    comment = make_comment(article)
    assert moderation.report(comment, reason="spam", session_key="s1")
    assert not moderation.report(comment, reason="abuse", session_key="s1")  # once per reader
    assert moderation.report(comment, reason="abuse", session_key="s2")
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED and comment.report_count == 2
    assert moderation.report(comment, reason="off_topic", user=make_user("u"))
    comment.refresh_from_db()
    assert comment.status == Status.HELD
    reason = comment.reasons.get()
    assert reason.rule == Rule.REPORTS
    assert reason.detail == "3 reports (weight 3): Spam, Abusive or hateful, Off-topic"
    assert comment.actions.last().rule == "reports"


def test_one_report_per_signed_in_user(article):
    comment, user = make_comment(article), make_user("u")
    assert moderation.report(comment, reason="spam", user=user, session_key="a")
    assert not moderation.report(comment, reason="spam", user=user, session_key="b")


def test_one_report_per_address_whatever_the_session(article):
    comment = make_comment(article)
    assert moderation.report(comment, reason="spam", session_key="a", ip_address="198.51.100.9")
    for n in range(5):
        assert not moderation.report(
            comment, reason="spam", session_key=f"new-{n}", ip_address="198.51.100.9"
        )
    assert comment.reports.count() == 1


def test_one_client_cannot_hide_a_comment_however_much_its_report_weighs(article, settings):
    settings.NEWSROOM_COMMENTS_UPHELD_REPORTER_WEIGHT = 10
    reporter = upheld_reporter()
    comment = make_comment(article)
    assert moderation.report(comment, reason="abuse", user=reporter, ip_address="198.51.100.1")
    comment.refresh_from_db()
    assert comment.reports.get().weight == 10
    assert comment.status == Status.APPROVED


def upheld_reporter(name="careful"):
    """A signed-in reader whose earlier report a moderator upheld by rejecting the comment."""
    user = make_user(name)
    earlier = make_comment(make_article())
    moderation.report(earlier, reason="abuse", user=user)
    moderation.reject(earlier, by=make_user(f"{name}-mod"))
    return user


def test_report_from_a_reader_whose_reports_were_upheld_weighs_more(article):
    careful, newcomer = upheld_reporter(), make_user("newcomer")
    assert moderation.report_weight(careful) == 2
    assert moderation.report_weight(newcomer) == 1
    assert moderation.report_weight(None) == 1

    # Two guests do not reach the threshold of 3; the careful reader and one guest do.
    by_guests = make_comment(article)
    moderation.report(by_guests, reason="spam", ip_address="203.0.113.1")
    moderation.report(by_guests, reason="spam", ip_address="203.0.113.2")
    by_guests.refresh_from_db()
    assert by_guests.status == Status.APPROVED

    weighted = make_comment(article)
    moderation.report(weighted, reason="abuse", user=careful, ip_address="203.0.113.3")
    moderation.report(weighted, reason="abuse", ip_address="203.0.113.4")
    weighted.refresh_from_db()
    assert weighted.status == Status.HELD
    assert (
        weighted.reasons.get().detail
        == "2 reports (weight 3): Abusive or hateful, Abusive or hateful"
    )


def test_dismissed_reports_are_not_upheld_and_stop_counting(article):
    moderator = make_user("mod")
    reader = make_user("reader")
    comment = make_comment(article)
    for n, who in enumerate([reader, None, None], start=1):
        moderation.report(comment, reason="spam", user=who, ip_address=f"203.0.113.{n}")
    comment.refresh_from_db()
    assert comment.status == Status.HELD
    moderation.approve(comment, by=moderator, note="Robust but fair")
    assert comment.reports.filter(dismissed_at__isnull=True).count() == 0
    # The next report starts the count again, and the dismissed one earned the reader nothing.
    moderation.report(comment, reason="spam", ip_address="203.0.113.9")
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert moderation.report_weight(reader) == 1


def test_reports_from_one_address_are_rate_limited(article, settings):
    settings.NEWSROOM_COMMENTS_REPORT_RATE_LIMITS = "3/h"
    comments = [make_comment(article) for _ in range(4)]
    for comment in comments[:3]:
        assert moderation.report(comment, reason="spam", ip_address="198.51.100.50")
    with pytest.raises(moderation.RateLimited) as refused:
        moderation.report(comments[3], reason="spam", ip_address="198.51.100.50")
    assert refused.value.retry_after > 0
    assert not comments[3].reports.exists()


def test_ban_author_blocks_email_and_ip_and_rejects_their_comments(article):
    moderator = make_user("mod")
    comment = make_comment(article, email="troll@example.org", ip_address="203.0.113.5",
                           status=Status.HELD)  # fmt: skip
    other_held = make_comment(make_article(), email="troll@example.org", status=Status.HELD)
    same_ip = make_comment(article, email="sock@example.org", ip_address="203.0.113.5",
                           status=Status.HELD)  # fmt: skip
    approved_earlier = make_comment(article, email="troll@example.org")
    colleague_published = make_comment(article, email="desk@example.org", ip_address="203.0.113.5")
    already_spam = make_comment(article, email="troll@example.org", status=Status.SPAM)
    bystander = make_comment(article, status=Status.HELD)

    assert moderation.ban_author(comment, by=moderator) == 4

    statuses = dict(Comment.objects.values_list("pk", "status"))
    theirs = [comment, other_held, same_ip, approved_earlier]
    assert {statuses[each.pk] for each in theirs} == {Status.REJECTED}
    # The same IP never takes down someone else's published comment; spam stays spam.
    assert statuses[colleague_published.pk] == Status.APPROVED
    assert statuses[already_spam.pk] == Status.SPAM
    assert statuses[bystander.pk] == Status.HELD
    assert set(ListEntry.objects.values_list("kind", "value")) == {
        (ListEntry.Kind.BLOCKED_EMAIL, "troll@example.org"),
        (ListEntry.Kind.BLOCKED_IP, "203.0.113.5"),
    }
    assert (
        ModerationAction.objects.filter(changed_by=moderator, to_status=Status.REJECTED).count()
        == 4
    )
    # And the next comment from them is spam on arrival.
    assert submit(article, email="troll@example.org", body="I'm back").status == Status.SPAM


def test_rate_limit_refusals_describe_the_wait_with_the_shared_words(article, settings):
    settings.NEWSROOM_COMMENTS_RATE_LIMITS = "1/h"
    settings.NEWSROOM_COMMENTS_REPORT_RATE_LIMITS = "1/h"
    mid_hour = timezone.now().replace(minute=30, second=30)  # no window rolls over in the test
    with (
        time_machine.travel(mid_hour, tick=False),
        mock.patch.object(ratelimit, "describe_wait", return_value="<the wait>") as describe,
    ):
        submit(article)
        with pytest.raises(moderation.RateLimited) as comment_refused:
            submit(article, body="Again")
        moderation.report(make_comment(article), reason="spam", ip_address="198.51.100.60")
        with pytest.raises(moderation.RateLimited) as report_refused:
            moderation.report(make_comment(article), reason="spam", ip_address="198.51.100.60")
    assert "Please wait <the wait> and try again" in comment_refused.value.message
    assert "Please wait <the wait>; moderators" in report_refused.value.message
    assert [c.args for c in describe.call_args_list] == [
        (comment_refused.value.retry_after,),
        (report_refused.value.retry_after,),
    ]


def test_a_reason_reads_as_its_rule_label_and_detail_in_the_active_language():
    from django.utils import translation

    assert str(Reason(rule=Reason.Rule.REPORTS)) == "Reported by readers"
    assert str(Reason(rule=Reason.Rule.LINKS, detail="3 links")) == "Too many links: 3 links"
    assert str(Reason(rule="retired-rule", detail="x")) == "retired-rule: x"
    with translation.override("hi"):
        label = str(Reason.Rule.REPORTS.label)
        assert str(Reason(rule=Reason.Rule.REPORTS)) == label

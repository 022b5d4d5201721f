"""The spam filter learns from moderators' decisions, holds likely spam and never blocks a POST."""

import csv
import pickle
import re
from functools import cache
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from django.core.management import call_command

from comments import moderation, spamfilter
from comments.models import Comment, ModerationAction, Reason, SpamModel
from newsroom.spamtraps import sign_render_time
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

Status = Comment.Status
DATA = Path(__file__).parent.parent / "data"
SMS = DATA / "sms_spam_collection.csv"
OWN_COMMENTS = DATA / "newsroom_comments.csv"

CLEAR_SPAM = (
    "WINNER!! You have been selected for a cash prize of 5000 rupees. "
    "Call 09061701461 now or claim at free-prize-claims.xyz"
)
CLEAR_HAM = (
    "The piece on the council budget was fair, but it left out the library closures in the "
    "east ward. Will there be a follow-up?"
)


@cache
def corpus(path):
    return spamfilter.read_csv(path)


@cache
def sms_split():
    """Every third SMS message to train on (a fast subset), the rest held back."""
    rows = corpus(SMS)
    return rows[::3], [row for n, row in enumerate(rows) if n % 3]


@cache
def sms_fitted():
    train, _ = sms_split()
    X = spamfilter.vectorize([example for example, _ in train])
    y = np.array([is_spam for _, is_spam in train], dtype=int)
    return spamfilter.fit(X, y, folds=5, max_fp_rate=0.01), len(y), int(y.sum())


@pytest.fixture
def sms_model():
    fitted, examples, spam = sms_fitted()
    return spamfilter.store(fitted, examples=examples, spam_examples=spam)


@pytest.fixture(autouse=True)
def _fresh_models():
    spamfilter.forget_loaded_models()
    yield
    spamfilter.forget_loaded_models()


@pytest.fixture(autouse=True)
def _post_mode(settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    settings.NEWSROOM_COMMENTS_RATE_LIMITS = "1000/m"


@pytest.fixture
def moderator():
    return make_user("asha", is_staff=True)


def submit(article, body, **fields):
    fields = {"name": "Ravi", "email": "ravi@example.org", "ip_address": "198.51.100.7", **fields}
    return moderation.submit(moderation.Submission(article=article, body=body, **fields))


# --- Learning from people, not from rules ------------------------------------------------------


def test_people_s_decisions_are_examples_and_automatic_outcomes_are_not(moderator):
    article = make_article()
    approved = make_comment(article, body="A kind word", status=Status.HELD)
    rejected = make_comment(article, body="A rude word", status=Status.HELD)
    spam = make_comment(article, body="Cheap pills", status=Status.HELD)
    automatic = submit(article, "Approved by post mode, nobody looked")
    reported = make_comment(article, body="Held by readers' reports")
    moderation.approve(approved, by=moderator)
    moderation.reject(rejected, by=moderator)
    moderation.mark_spam(spam, by=moderator)
    moderation.hold(reported, rule="reports")

    labels = {example.text: status for example, status in spamfilter.labelled_comments()}

    assert labels == {
        "A kind word": Status.APPROVED,
        "A rude word": Status.REJECTED,
        "Cheap pills": Status.SPAM,
    }
    assert automatic.body not in labels


def test_the_latest_decision_of_a_person_is_the_label(moderator):
    comment = make_comment(body="Changed my mind", status=Status.HELD)
    moderation.mark_spam(comment, by=moderator)
    moderation.approve(comment, by=moderator)

    [(example, status)] = spamfilter.labelled_comments()

    assert status == Status.APPROVED


def test_commenter_history_is_what_it_was_when_the_comment_came_in(moderator):
    article = make_article()
    for n in range(2):
        make_comment(article, email="old@example.org", body=f"Earlier {n}")
    later = make_comment(article, email="old@example.org", body="Later", status=Status.HELD)
    moderation.approve(later, by=moderator)
    make_comment(article, email="old@example.org", body="Even later")

    [(example, _)] = spamfilter.labelled_comments()

    assert (example.approved_before, example.spam_before) == (2, 0)


def test_training_runs_after_every_n_new_decisions_of_people(
    settings, moderator, django_capture_on_commit_callbacks
):
    settings.NEWSROOM_SPAM_FILTER_MIN_DECISIONS = 10
    settings.NEWSROOM_SPAM_FILTER_RETRAIN_EVERY = 4
    article = make_article()
    spam_rows = [row for row in corpus(OWN_COMMENTS) if row[1]]
    ham_rows = [row for row in corpus(OWN_COMMENTS) if not row[1]]
    rows = [row for pair in zip(spam_rows, ham_rows, strict=False) for row in pair]
    held = [make_comment(article, body=ex.text, status=Status.HELD) for ex, _ in rows[:20]]

    def decide(comment):
        is_spam = dict((ex.text, s) for ex, s in rows)[comment.body]
        with django_capture_on_commit_callbacks(execute=True):
            (moderation.mark_spam if is_spam else moderation.approve)(comment, by=moderator)

    for comment in held[:9]:
        decide(comment)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.hold(make_comment(article), rule="reports")  # automatic: does not count
    assert not SpamModel.objects.exists()

    decide(held[9])  # the tenth decision
    assert SpamModel.objects.get().examples == 10

    for comment in held[10:13]:
        decide(comment)
    assert SpamModel.objects.count() == 1
    decide(held[13])  # the fourth since the first model
    newest = SpamModel.objects.first()
    assert (newest.version, newest.examples, newest.spam_examples) == (2, 14, 7)


def test_nightly_training_skips_when_nobody_decided_anything_since(settings, sms_model):
    from comments import tasks

    settings.NEWSROOM_SPAM_FILTER_MIN_DECISIONS = 1
    sms_model.last_decision_id = ModerationAction.objects.count()
    sms_model.save()

    assert tasks.train_spam_filter.delay().get() is None
    assert SpamModel.objects.count() == 1


# --- Scoring new comments ----------------------------------------------------------------------


def test_model_trained_on_sms_holds_clear_spam_and_leaves_clear_ham(settings, sms_model):
    settings.NEWSROOM_SPAM_FILTER_MIN_DECISIONS = 300
    article = make_article()

    spam = submit(article, CLEAR_SPAM, email="prize@example.net")
    ham = submit(article, CLEAR_HAM)

    assert spam.status == Status.HELD
    [reason] = spam.reasons.all()
    assert reason.rule == Reason.Rule.SPAM_FILTER
    assert re.fullmatch(r"Likely spam \(score (0\.\d\d|1\.00), model v1\)", reason.detail)
    assert spam.spam_score >= sms_model.threshold and spam.spam_model_version == 1
    assert ham.status == Status.APPROVED
    assert not ham.reasons.exists()
    assert ham.spam_score < sms_model.threshold


def test_a_held_likely_spam_comment_is_never_deleted_or_marked_spam(settings, sms_model):
    spam = submit(make_article(), CLEAR_SPAM)

    assert Comment.objects.filter(pk=spam.pk, status=Status.HELD).exists()


def test_threshold_holds_at_most_one_percent_of_held_out_ham(sms_model):
    _, held_back = sms_split()
    scores = spamfilter.Loaded(sms_model).score([example for example, _ in held_back])
    is_spam = np.array([spam for _, spam in held_back])

    false_positive_rate = np.mean(scores[~is_spam] >= sms_model.threshold)
    recall = np.mean(scores[is_spam] >= sms_model.threshold)

    assert false_positive_rate <= 0.01
    assert recall > 0.5  # the filter is not trivially holding nothing
    assert sms_model.cv_fp_rate <= 0.01


def test_until_enough_decisions_the_model_is_not_used(settings, sms_model):
    settings.NEWSROOM_SPAM_FILTER_MIN_DECISIONS = sms_model.examples + 1

    comment = submit(make_article(), CLEAR_SPAM)

    assert (comment.status, comment.spam_score) == (Status.APPROVED, None)


def test_without_a_model_the_pipeline_behaves_as_before():
    comment = submit(make_article(), CLEAR_SPAM)

    assert comment.status == Status.APPROVED
    assert comment.spam_score is None
    assert not comment.reasons.exists()


def test_a_broken_model_never_refuses_or_blocks_a_post(client, settings, sms_model):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    SpamModel.objects.filter(pk=sms_model.pk).update(weight_index=b"\xff\xff\xff\x7f" * 3)
    spamfilter.forget_loaded_models()
    article = make_article()
    data = {
        "name": "Ravi",
        "email": "ravi@example.org",
        "body": CLEAR_SPAM,
        "rendered_at": sign_render_time(),
        "website": "",
    }

    response = client.post(f"/comments/post/{article.pk}/", data)

    assert response.status_code == 302
    comment = Comment.objects.get(body=CLEAR_SPAM)
    assert (comment.status, comment.spam_score) == (Status.APPROVED, None)


def test_a_model_that_fails_while_scoring_never_blocks_a_comment(sms_model):
    with mock.patch.object(spamfilter, "vectorize", side_effect=MemoryError("no room")):
        comment = submit(make_article(), CLEAR_SPAM)

    assert comment.status == Status.APPROVED
    assert comment.spam_score is None


# --- Stored as data -----------------------------------------------------------------------


def test_stored_model_round_trips_without_pickle(sms_model):
    fitted, _, _ = sms_fitted()
    examples = [example for example, _ in sms_split()[1][:50]]

    with (
        mock.patch.object(pickle, "loads", side_effect=AssertionError("pickle used")),
        mock.patch.object(pickle, "dumps", side_effect=AssertionError("pickle used")),
    ):
        stored = spamfilter.store(fitted, examples=10, spam_examples=3)
        loaded = spamfilter.Loaded(SpamModel.objects.get(pk=stored.pk))
        scores = loaded.score(examples)

    expected = fitted.scores(spamfilter.vectorize(examples))
    np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-6)
    assert stored.version == sms_model.version + 1
    assert isinstance(stored.features, dict) and stored.threshold == fitted.threshold


# --- The command ---------------------------------------------------------------------------


def test_evaluate_on_the_sms_corpus_prints_its_figures(capsys):
    call_command("spam_filter", "evaluate", "--csv", str(SMS), "--folds", "5")

    output = capsys.readouterr().out
    assert "Examples: 5574 (747 spam, 4827 ham), 5-fold stratified cross-validation" in output
    assert re.search(r"Spam recall at <= 1% false positives: [01]\.\d{3}\n", output)
    assert re.search(r"recall [01]\.\d{3}, false-positive rate [01]\.\d{4}\n", output)
    assert re.search(r"ROC AUC: [01]\.\d{4}\n", output)
    assert re.search(
        r"Training: \d+\.\d\d s per fold \(\d+\.\d\d s CPU\); "
        r"scoring: \d+\.\d\d ms per comment \(\d+\.\d\d ms CPU\)",
        output,
    )


def test_evaluate_explains_a_bad_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhello,maybe\n", encoding="utf-8")

    with pytest.raises(Exception, match="label must be spam or ham"):
        call_command("spam_filter", "evaluate", "--csv", str(path))


def test_export_writes_people_s_decisions_as_text_and_label(tmp_path, moderator):
    article = make_article()
    for body, decide in [
        ("Useful, thanks", moderation.approve),
        ("Off-topic rant", moderation.reject),
        ("Buy pills", moderation.mark_spam),
    ]:
        decide(make_comment(article, body=body, status=Status.HELD), by=moderator)
    path = tmp_path / "decisions.csv"

    call_command("spam_filter", "export", "--csv", str(path))

    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {"text": "Useful, thanks", "label": "ham", "decision": "approved"},
        {"text": "Off-topic rant", "label": "ham", "decision": "rejected"},
        {"text": "Buy pills", "label": "spam", "decision": "spam"},
    ]
    assert spamfilter.read_csv(path)[2][1] is True  # evaluate reads what export writes


def test_train_command_stores_the_next_version(capsys, moderator):
    article = make_article()
    for example, is_spam in corpus(OWN_COMMENTS):
        comment = make_comment(article, body=example.text, status=Status.HELD)
        (moderation.mark_spam if is_spam else moderation.approve)(comment, by=moderator)

    call_command("spam_filter", "train")

    model = SpamModel.objects.get()
    assert (model.version, model.examples, model.spam_examples) == (1, 65, 25)
    assert (
        model.last_decision_id
        == ModerationAction.objects.filter(changed_by=moderator).latest("pk").pk
    )
    assert "Trained Spam filter v1 on 65 decisions (25 spam)" in capsys.readouterr().out

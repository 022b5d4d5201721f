"""The spam filter: a linear model that learns from the moderators' own decisions.

A comment becomes hashed word and character n-grams, plus a few tokens for its links and their
domains, its length, shouting, repeated characters, long numbers, and the commenter's history.
Hashing needs no vocabulary, so a trained model is only numbers (a weight per feature, an
intercept, a sigmoid that turns the margin into a 0-1 score, and the hold threshold), stored in
a SpamModel row that every app server reads. A linear SVM was clearly better than naive Bayes and
twenty times faster to train than logistic regression on these features, for the same recall.

Only decisions a person made are examples: approved and rejected comments are ham (rejected is
not spam: it is kept apart from spam in the export), spam is spam. Automatic outcomes never are.
"""

import csv
import logging
import math
import re
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q

from .models import Comment, ModerationAction, SpamModel
from .sanitize import link_domains

logger = logging.getLogger(__name__)

Status = Comment.Status
DECISIONS = (Status.APPROVED, Status.REJECTED, Status.SPAM)
FEATURES = {"version": 1, "word_ngrams": [1, 2], "char_ngrams": [2, 5], "bits": [18, 18, 10]}
SVM_C = 0.5
MIN_THRESHOLD = 0.5  # never hold a comment the model thinks more likely ham than spam


@dataclass(frozen=True)
class Example:
    """One comment as the model sees it; history is None when unknown (a CSV of texts)."""

    text: str
    name: str = ""
    approved_before: int | None = None
    spam_before: int | None = None


@dataclass(frozen=True)
class Score:
    value: float
    version: int
    threshold: float

    @property
    def is_likely_spam(self):
        return self.value >= self.threshold

    def reason(self):
        return f"Likely spam (score {self.value:.2f}, model v{self.version})"


# --- Features -------------------------------------------------------------------------------


def _bucket(value, edges):
    return sum(value >= edge for edge in edges)


def meta_tokens(example):
    """Return the simple features as tokens: bucketed numbers, link domains, history, name."""
    text = example.text
    letters = sum(c.isalpha() for c in text) or 1
    longest_run = max((len(m.group()) for m in re.finditer(r"(.)\1*", text)), default=0)
    domains = link_domains(text)
    tokens = [
        f"len={_bucket(len(text), [10, 30, 60, 120, 250, 500, 1000, 2000])}",
        f"caps={_bucket(sum(c.isupper() for c in text) / letters, [0.1, 0.2, 0.4, 0.7])}",
        f"digits={_bucket(sum(c.isdigit() for c in text) / (len(text) or 1), [0.02, 0.1, 0.2])}",
        f"run={_bucket(longest_run, [3, 4, 6, 10])}",
        f"excl={_bucket(text.count('!'), [1, 2, 4])}",
        f"links={min(len(domains), 4)}",
    ]
    if re.search(r"\d{5,}|\d{3}[ -]\d{3,}", text):
        tokens.append("long-number")
    if re.search(r"[£$€₹]|\b(?:usd|rs|inr)\b", text, re.IGNORECASE):
        tokens.append("money")
    for domain in domains:
        labels = domain.split(".")
        tokens += [f"domain={'.'.join(labels[-2:])}", f"tld={labels[-1]}"]
    if example.approved_before is None:
        tokens.append("history=unknown")
    else:
        tokens.append(f"approved={_bucket(example.approved_before, [1, 2, 5])}")
        tokens.append(f"spam={_bucket(example.spam_before or 0, [1, 3])}")
    tokens += [f"name={word}" for word in re.findall(r"\w+", example.name.casefold())[:4]]
    return tokens


# scikit-learn and SciPy are imported where they are used: a web process that has no model in
# use never pays their import (about a second of CPU and 100 MB).


def _vectorizers(features):
    from sklearn.feature_extraction.text import HashingVectorizer

    word_bits, char_bits, meta_bits = features["bits"]
    return [
        HashingVectorizer(
            ngram_range=tuple(features["word_ngrams"]),
            token_pattern=r"(?u)\b\w+\b",  # noqa: S106 - a regular expression, not a secret
            n_features=2**word_bits,
            alternate_sign=False,
        ),
        HashingVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(features["char_ngrams"]),
            n_features=2**char_bits,
            alternate_sign=False,
        ),
        HashingVectorizer(
            analyzer=meta_tokens, n_features=2**meta_bits, alternate_sign=False, norm=None
        ),
    ]


def vectorize(examples, features=FEATURES):
    """Return the examples' feature matrix (CSR, one row per example)."""
    from scipy import sparse

    word, char, meta = _vectorizers(features)
    texts = [e.text for e in examples]
    return sparse.hstack(
        [word.transform(texts), char.transform(texts), meta.transform(examples)], format="csr"
    )


def n_features(features=FEATURES):
    return sum(2**bits for bits in features["bits"])


# --- Training -------------------------------------------------------------------------------


@dataclass
class Fitted:
    """The numbers a training run produces, before they are stored."""

    weights: np.ndarray
    intercept: float
    slope: float
    offset: float
    threshold: float
    recall: float
    fp_rate: float
    auc: float
    seconds: float
    folds: int

    def scores(self, X):
        return _sigmoid(self.slope * (X @ self.weights + self.intercept) + self.offset)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def _svm():
    from sklearn.svm import LinearSVC

    return LinearSVC(C=SVM_C, class_weight="balanced")


def out_of_fold_margins(X, y, *, folds, seed=0):
    """Return each example's margin from a model that never saw it (stratified k-fold)."""
    from sklearn.model_selection import StratifiedKFold

    margins = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(X, y):
        model = _svm().fit(X[train], y[train])
        margins[test] = model.decision_function(X[test])
    return margins


def choose_threshold(scores, y, *, max_fp_rate):
    """Return the lowest score threshold that holds at most max_fp_rate of the ham."""
    ham = np.sort(scores[y == 0])[::-1]
    allowed = math.floor(max_fp_rate * len(ham))
    if allowed >= len(ham):
        return MIN_THRESHOLD
    return max(float(np.nextafter(ham[allowed], np.inf)), MIN_THRESHOLD)


def recall_at_fp_rate(scores, y, max_fp_rate):
    """Return the best spam recall of any threshold with at most max_fp_rate false positives."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, scores)
    return float(tpr[fpr <= max_fp_rate].max())


def fit(X, y, *, folds, max_fp_rate):
    """Train on every example; pick the sigmoid and the threshold on out-of-fold scores."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    started = time.perf_counter()
    margins = out_of_fold_margins(X, y, folds=folds)
    platt = LogisticRegression(C=1e4).fit(margins.reshape(-1, 1), y)
    slope, offset = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    held_out = _sigmoid(slope * margins + offset)
    threshold = choose_threshold(held_out, y, max_fp_rate=max_fp_rate)
    final = _svm().fit(X, y)
    return Fitted(
        weights=final.coef_.ravel().astype(np.float32),
        intercept=float(final.intercept_[0]),
        slope=slope,
        offset=offset,
        threshold=threshold,
        recall=float(np.mean(held_out[y == 1] >= threshold)),
        fp_rate=float(np.mean(held_out[y == 0] >= threshold)),
        auc=float(roc_auc_score(y, held_out)),
        seconds=time.perf_counter() - started,
        folds=folds,
    )


# --- The site's decisions -------------------------------------------------------------------


def human_decisions():
    """Return {comment id: (status, audit row id)}: the latest decision a person made on each."""
    rows = (
        ModerationAction.objects.filter(changed_by__isnull=False, to_status__in=DECISIONS)
        .order_by("pk")
        .values_list("comment_id", "to_status", "pk")
    )
    return {comment_id: (status, pk) for comment_id, status, pk in rows.iterator()}


def labelled_comments():
    """Return [(Example, status)] for every comment a person decided, oldest first.

    The commenter's history is what it was when the comment came in: their earlier approved and
    spam comments.
    """
    decisions = human_decisions()
    # A subquery, not a list of ids: SQLite caps the parameters of one query.
    decided = ModerationAction.objects.filter(changed_by__isnull=False, to_status__in=DECISIONS)
    comments = list(
        Comment.objects.filter(pk__in=decided.values("comment_id"))
        .order_by("created_at", "pk")
        .values_list("pk", "body", "name", "email", "created_at")
        .iterator()
    )
    emails = {email for _, _, _, email, _ in comments if email}
    history = {}
    email_list = sorted(emails)
    for start in range(0, len(email_list), 500):
        rows = Comment.objects.filter(
            email__in=email_list[start : start + 500], status__in=[Status.APPROVED, Status.SPAM]
        ).values_list("email", "created_at", "status")
        for email, created, status in rows.iterator():
            history.setdefault(email, []).append((created, status))
    labelled = []
    for pk, body, name, email, created in comments:
        earlier = [status for when, status in history.get(email, []) if when < created]
        labelled.append(
            (
                Example(
                    text=body,
                    name=name,
                    approved_before=earlier.count(Status.APPROVED),
                    spam_before=earlier.count(Status.SPAM),
                ),
                decisions[pk][0],
            )
        )
    return labelled


def new_decisions_since(model):
    """Return how many decisions people made after the model was trained."""
    decided = ModerationAction.objects.filter(changed_by__isnull=False, to_status__in=DECISIONS)
    if model is not None and model.last_decision_id:
        decided = decided.filter(pk__gt=model.last_decision_id)
    return decided.count()


def train(*, folds=None, max_fp_rate=None):
    """Train a model on every decision people made and store it as the next version.

    Return the SpamModel, or None when there are too few spam or ham examples to cross-validate.
    """
    folds = folds or settings.NEWSROOM_SPAM_FILTER_FOLDS
    max_fp_rate = settings.NEWSROOM_SPAM_FILTER_MAX_FP_RATE if max_fp_rate is None else max_fp_rate
    last_decision = ModerationAction.objects.filter(
        changed_by__isnull=False, to_status__in=DECISIONS
    ).aggregate(last=Max("pk"))["last"]
    labelled = labelled_comments()
    y = np.array([status == Status.SPAM for _, status in labelled], dtype=int)
    if min(int(y.sum()), len(y) - int(y.sum())) < folds:
        return None
    fitted = fit(
        vectorize([example for example, _ in labelled]), y, folds=folds, max_fp_rate=max_fp_rate
    )
    return store(
        fitted, examples=len(y), spam_examples=int(y.sum()), last_decision_id=last_decision
    )


def store(fitted, *, examples, spam_examples, last_decision_id=None, features=FEATURES):
    """Save a training run's numbers as the next SpamModel version."""
    index = np.flatnonzero(fitted.weights).astype("<i4")
    fields = {
        "examples": examples,
        "spam_examples": spam_examples,
        "last_decision_id": last_decision_id,
        "features": features,
        "weight_index": index.tobytes(),
        "weight_value": fitted.weights[index].astype("<f4").tobytes(),
        "intercept": fitted.intercept,
        "score_slope": fitted.slope,
        "score_offset": fitted.offset,
        "threshold": fitted.threshold,
        "folds": fitted.folds,
        "cv_recall": fitted.recall,
        "cv_fp_rate": fitted.fp_rate,
        "cv_auc": fitted.auc,
        "train_seconds": fitted.seconds,
    }
    for attempt in range(3):  # two trainings finishing at once: the later takes the next number
        newest = SpamModel.objects.aggregate(v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                model = SpamModel.objects.create(version=newest + 1, **fields)
            forget_loaded_models()
            return model
        except IntegrityError:
            if attempt == 2:
                raise
    return None


def train_if_due(*, every=None):
    """Train when enough decisions came in since the newest model; return it or None.

    Nothing is trained before NEWSROOM_SPAM_FILTER_MIN_DECISIONS decisions in all.
    """
    every = every or settings.NEWSROOM_SPAM_FILTER_RETRAIN_EVERY
    newest = SpamModel.objects.first()
    if newest is not None and new_decisions_since(newest) < every:
        return None
    if new_decisions_since(None) < settings.NEWSROOM_SPAM_FILTER_MIN_DECISIONS:
        return None
    return train()


# --- Scoring --------------------------------------------------------------------------------


class Loaded:
    """A SpamModel's numbers ready to score: a dense weight vector and the vectorizers."""

    def __init__(self, model):
        size = n_features(model.features)
        index = np.frombuffer(bytes(model.weight_index), dtype="<i4")
        values = np.frombuffer(bytes(model.weight_value), dtype="<f4")
        if len(index) != len(values) or (len(index) and (index.min() < 0 or index.max() >= size)):
            raise ValueError(f"{model} has inconsistent weights")
        self.weights = np.zeros(size, dtype=np.float64)
        self.weights[index] = values
        self.model = model
        self.features = model.features

    def score(self, examples):
        X = vectorize(examples, self.features)
        margins = X @ self.weights + self.model.intercept
        return _sigmoid(self.model.score_slope * margins + self.model.score_offset)


_loaded = {}  # version -> Loaded, or None if the stored model could not be read
_newest = {}  # minimum decisions -> (when checked, newest usable version)
RECHECK_SECONDS = 30  # how soon an app server picks up a model another one trained


def usable_model():
    """Return the newest usable model, loaded, or None (too few decisions, or unreadable)."""
    minimum = settings.NEWSROOM_SPAM_FILTER_MIN_DECISIONS
    checked, version = _newest.get(minimum, (None, None))
    if checked is None or time.monotonic() - checked > RECHECK_SECONDS:
        version = SpamModel.objects.usable().values_list("version", flat=True).first()
        _newest.clear()
        _newest[minimum] = (time.monotonic(), version)
    if version is None:
        return None
    if version not in _loaded:
        try:
            _loaded.clear()  # one model per process
            _loaded[version] = Loaded(SpamModel.objects.get(version=version))
        except Exception:
            logger.exception("Spam filter v%s cannot be loaded; comments go unscored", version)
            _loaded[version] = None
    return _loaded[version]


def forget_loaded_models():
    """Make this process look for the newest model on its next score."""
    _newest.clear()
    _loaded.clear()


def commenter_history(email):
    """Return the commenter's (approved, spam) comment counts, in one query."""
    if not email:
        return 0, 0
    counts = Comment.objects.by_email(email).aggregate(
        approved=Count("pk", filter=Q(status=Status.APPROVED)),
        spam=Count("pk", filter=Q(status=Status.SPAM)),
    )
    return counts["approved"], counts["spam"]


def score_comment(*, body, name, email):
    """Return the Score of a new comment, or None when no model is in use or scoring failed.

    Never raises: a missing or broken model must not block or refuse a reader's comment.
    """
    try:
        loaded = usable_model()
        if loaded is None:
            return None
        approved, spam = commenter_history(email)
        example = Example(text=body, name=name, approved_before=approved, spam_before=spam)
        value = float(loaded.score([example])[0])
        if not math.isfinite(value):
            raise ValueError(f"score {value}")
        return Score(value=value, version=loaded.model.version, threshold=loaded.model.threshold)
    except Exception:
        logger.exception("Spam filter failed; the comment goes through the other rules alone")
        return None


# --- Evaluation and export ------------------------------------------------------------------


@dataclass
class Evaluation:
    examples: int
    spam: int
    folds: int
    recall_at_max_fp: float
    max_fp_rate: float
    threshold_recall: float
    threshold_fp_rate: float
    auc: float
    train_seconds: float
    train_cpu_seconds: float
    score_ms: float
    score_cpu_ms: float

    def lines(self):
        return [
            f"Examples: {self.examples} ({self.spam} spam, {self.examples - self.spam} ham), "
            f"{self.folds}-fold stratified cross-validation",
            f"Spam recall at <= {self.max_fp_rate:.0%} false positives: "
            f"{self.recall_at_max_fp:.3f}",
            f"With the threshold the site would choose: recall {self.threshold_recall:.3f}, "
            f"false-positive rate {self.threshold_fp_rate:.4f}",
            f"ROC AUC: {self.auc:.4f}",
            f"Training: {self.train_seconds:.2f} s per fold ({self.train_cpu_seconds:.2f} s CPU); "
            f"scoring: {self.score_ms:.2f} ms per comment ({self.score_cpu_ms:.2f} ms CPU)",
        ]


def read_csv(path):
    """Return [(Example, is_spam)] from a CSV with columns text,label (spam or ham)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError("the CSV needs the columns text and label")
        rows = []
        for number, row in enumerate(reader, start=2):
            label = (row["label"] or "").strip().lower()
            if label not in {"spam", "ham"}:
                raise ValueError(f"line {number}: label must be spam or ham, not {label!r}")
            rows.append((Example(text=row["text"] or ""), label == "spam"))
    return rows


def evaluate(rows, *, folds=5, max_fp_rate=0.01):
    """Cross-validate exactly the site's model on [(Example, is_spam)]; return the figures.

    Each fold is trained as the site trains (its threshold chosen on its own inner folds) and
    judged on texts it never saw.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    examples = [example for example, _ in rows]
    y = np.array([is_spam for _, is_spam in rows], dtype=int)
    X = vectorize(examples)
    scores = np.zeros(len(y))
    held = np.zeros(len(y), dtype=bool)
    train_seconds, train_cpu = [], []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=1)
    for train_rows, test_rows in splitter.split(X, y):
        started, cpu = time.perf_counter(), time.process_time()
        fitted = fit(X[train_rows], y[train_rows], folds=folds, max_fp_rate=max_fp_rate)
        train_seconds.append(time.perf_counter() - started)
        train_cpu.append(time.process_time() - cpu)
        scores[test_rows] = fitted.scores(X[test_rows])
        held[test_rows] = scores[test_rows] >= fitted.threshold
    sample = examples[: min(200, len(examples))]
    # Wall time includes waiting for a busy CPU; CPU time is what one comment costs.
    started, cpu = time.perf_counter(), time.process_time()
    for example in sample:
        fitted.scores(vectorize([example]))
    score_ms = (time.perf_counter() - started) * 1000 / max(1, len(sample))
    score_cpu_ms = (time.process_time() - cpu) * 1000 / max(1, len(sample))
    return Evaluation(
        examples=len(y),
        spam=int(y.sum()),
        folds=folds,
        recall_at_max_fp=recall_at_fp_rate(scores, y, max_fp_rate),
        max_fp_rate=max_fp_rate,
        threshold_recall=float(held[y == 1].mean()),
        threshold_fp_rate=float(held[y == 0].mean()),
        auc=float(roc_auc_score(y, scores)),
        train_seconds=float(np.mean(train_seconds)),
        train_cpu_seconds=float(np.mean(train_cpu)),
        score_ms=score_ms,
        score_cpu_ms=score_cpu_ms,
    )


def export_rows():
    """Yield (text, label, decision) for every comment a person decided: the evaluate format."""
    for example, status in labelled_comments():
        yield example.text, "spam" if status == Status.SPAM else "ham", status

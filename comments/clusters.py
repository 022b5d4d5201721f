"""Spam waves: near-identical texts, or links to the same domain, from several senders at once.

Every comment of 30 characters or more leaves keys behind for NEWSROOM_COMMENTS_CLUSTER_HOURS:
the bands of a MinHash signature of its character 5-shingles (so texts that share most shingles
share a band) and the domains it links to. A new comment that meets comments from enough other
email addresses or IPs (NEWSROOM_COMMENTS_CLUSTER_MIN_SENDERS, itself included) joins their
cluster and is held; nothing is refused. Moderators reject or spam a whole cluster at once, and
spamming it puts its link domains on the blocked link domain list.

MinHash with banding is the standard way to find near duplicates without comparing every pair;
candidates are then checked with the exact Jaccard similarity of their shingles.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import numpy as np
from django.conf import settings
from django.utils import timezone

from .models import ClusterKey, Comment, CommentCluster
from .sanitize import link_domains

Status = Comment.Status
MIN_LENGTH = 30  # "Nice!" and "Agreed, well said" never form clusters
SHINGLE = 5
BANDS, ROWS = 10, 4  # 40 hashes: texts with Jaccard 0.8 meet in a band 99.9 % of the time
SIMILARITY = 0.6
MAX_CANDIDATES = 300  # keys read per new comment, newest first
MAX_MEMBERS = 50

_rng = np.random.default_rng(20240601)  # fixed: keys must be the same in every process, forever
_A = _rng.integers(1, 2**32, size=BANDS * ROWS, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**32, size=BANDS * ROWS, dtype=np.uint64)
_MASK = np.uint64(2**32 - 1)


def normalize(text):
    """Fold case, width and punctuation so trivial edits do not hide a copy."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def shingles(text):
    """Return the set of character 5-grams of the normalised text."""
    return {text[i : i + SHINGLE] for i in range(max(1, len(text) - SHINGLE + 1))}


def _stable_hash(value, salt=b""):
    digest = hashlib.blake2b(value.encode(), digest_size=8, salt=salt.ljust(16, b"\0")).digest()
    return int.from_bytes(digest, "big", signed=True)


def text_keys(normalized):
    """Return the MinHash band keys of a normalised text."""
    base = np.array([_stable_hash(s) & 0xFFFFFFFF for s in shingles(normalized)], dtype=np.uint64)
    signature = ((base[:, None] * _A[None, :] + _B[None, :]) & _MASK).min(axis=0)
    bands = [signature[band * ROWS : (band + 1) * ROWS] for band in range(BANDS)]
    return [_stable_hash(",".join(map(str, rows)), b"band%d" % n) for n, rows in enumerate(bands)]


def own_domain():
    return (urlsplit(settings.NEWSROOM_SITE_URL).hostname or "").removeprefix("www.")


def clustering_domains(body):
    """Return the link domains that can tie comments together (not our own, not ignored)."""
    ignored = {own_domain(), *settings.NEWSROOM_COMMENTS_CLUSTER_IGNORE_DOMAINS}
    return [
        d for d in link_domains(body) if not any(d == i or d.endswith("." + i) for i in ignored)
    ]


def domain_key(domain):
    return _stable_hash(domain, b"domain")


@dataclass(frozen=True)
class Member:
    """What a wave needs of an earlier comment (a lean row: a wave may meet hundreds of keys)."""

    pk: int
    body: str
    email: str
    ip_address: str | None
    cluster_id: int | None


@dataclass
class Wave:
    """Earlier comments a new one is part of a wave with."""

    members: list = field(default_factory=list)  # Member rows
    domains: list = field(default_factory=list)
    similar_text: bool = False
    senders: int = 1

    def reason(self):
        why = "similar text" if self.similar_text else "links to " + ", ".join(self.domains)
        return (
            f"Part of a wave: {why} from {self.senders} senders in "
            f"{settings.NEWSROOM_COMMENTS_CLUSTER_HOURS} h ({len(self.members) + 1} comments)"
        )


@dataclass
class Fingerprint:
    """What a new comment leaves behind for later ones to meet."""

    text: str
    keys: dict  # key -> "text" or the domain

    @property
    def is_clusterable(self):
        return bool(self.keys)


def fingerprint(body):
    """Return the comment's keys; none for short texts, or when waves are switched off (0)."""
    normalized = normalize(body)
    if len(normalized) < MIN_LENGTH or not settings.NEWSROOM_COMMENTS_CLUSTER_MIN_SENDERS:
        return Fingerprint(normalized, {})  # short, or waves switched off
    keys = dict.fromkeys(text_keys(normalized), "text")
    keys.update({domain_key(d): d for d in clustering_domains(body)})
    return Fingerprint(normalized, keys)


def find_wave(print_, *, email, ip_address, now=None):
    """Return the Wave a new comment belongs to, or None. One query."""
    if not print_.is_clusterable:
        return None
    since = (now or timezone.now()) - timedelta(hours=settings.NEWSROOM_COMMENTS_CLUSTER_HOURS)
    hits = (
        ClusterKey.objects.filter(key__in=list(print_.keys), created_at__gte=since)
        .order_by("-created_at")
        .values_list(
            "key",
            "comment_id",
            "comment__body",
            "comment__email",
            "comment__ip_address",
            "comment__cluster_id",
        )[:MAX_CANDIDATES]
    )
    mine = shingles(print_.text)
    members, domains, similar_text = {}, set(), False
    matched_keys = {}
    for key, *row in hits:  # one comment meets this one in up to BANDS keys: check it once
        matched_keys.setdefault(row[0], (Member(*row), []))[1].append(print_.keys[key])
    for comment, kinds in matched_keys.values():
        linked = {kind for kind in kinds if kind != "text"}
        if len(linked) < len(kinds):  # a shared band: check that the texts really are alike
            theirs = shingles(normalize(comment.body))
            if len(mine & theirs) / len(mine | theirs) >= SIMILARITY:
                similar_text = True
                linked.add("text")
        if linked:
            domains |= linked - {"text"}
            members[comment.pk] = comment
        if len(members) >= MAX_MEMBERS:
            break  # enough to hold this one; older members are in the cluster already
    if not members:
        return None
    emails = {c.email for c in members.values() if c.email} | ({email} if email else set())
    ips = {c.ip_address for c in members.values() if c.ip_address}
    ips |= {ip_address} if ip_address else set()
    senders = max(len(emails), len(ips))
    if senders < settings.NEWSROOM_COMMENTS_CLUSTER_MIN_SENDERS:
        return None
    return Wave(
        members=list(members.values()),
        domains=sorted(domains),
        similar_text=similar_text,
        senders=senders,
    )


def remember(comment, print_, wave):
    """Store the new comment's keys, and gather it and its wave into one cluster."""
    if print_.is_clusterable:
        ClusterKey.objects.bulk_create(
            ClusterKey(comment=comment, key=key, created_at=comment.created_at)
            for key in print_.keys
        )
    if wave is None:
        return None
    existing = [m.cluster_id for m in wave.members if m.cluster_id]
    cluster = (
        CommentCluster.objects.filter(pk=min(existing)).first() if existing else None
    ) or CommentCluster.objects.create()
    pks = [comment.pk, *(m.pk for m in wave.members)]
    Comment.objects.filter(pk__in=pks).update(cluster=cluster)
    if existing:  # two clusters that met through this comment become one
        Comment.objects.filter(cluster_id__in=set(existing) - {cluster.pk}).update(cluster=cluster)
    CommentCluster.objects.filter(pk=cluster.pk).update(last_seen=comment.created_at)
    comment.cluster = cluster
    return cluster


def forget_old_keys(now=None):
    """Delete keys older than the window; return how many."""
    since = (now or timezone.now()) - timedelta(hours=settings.NEWSROOM_COMMENTS_CLUSTER_HOURS)
    deleted, _ = ClusterKey.objects.filter(created_at__lt=since).delete()
    return deleted


# --- Moderators' decisions on a whole cluster ----------------------------------------------


def cluster_link_domains(cluster):
    """Return the domains linked from the cluster's comments."""
    domains = []
    for body in cluster.comments.values_list("body", flat=True):
        domains += [d for d in clustering_domains(body) if d not in domains]
    return domains

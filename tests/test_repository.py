"""What the repository itself must never hold."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


IN_A_CHECKOUT = (ROOT / ".git").exists() and shutil.which("git")


@pytest.mark.skipif(not IN_A_CHECKOUT, reason="not a git checkout")
def test_no_virtualenv_is_tracked():
    # A tracked .venv (even a symlink) replaces the developer's virtualenv on checkout.
    tracked = subprocess.run(
        ["git", "ls-files", "--", ".venv", "*/.venv"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert tracked == []

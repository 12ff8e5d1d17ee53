"""The test run's fixed configuration: the repository, Slack's reference data, tokens and secrets."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]
SLACK_REFERENCE = Path(os.environ.get("SLACK_REFERENCE_DIR", REPO.parent / "shared" / "slack"))
SIGNING_SECRET = "test-signing-secret"
TOKEN = "xoxb-test"
RELAY_POLL = (0.005, 0.02)
STATE_SECRET = "test-state-secret"
TOKEN_KEYS = Fernet.generate_key().decode()


def reference_methods() -> Path | None:
    methods = SLACK_REFERENCE / "methods"
    return methods if methods.is_dir() else None

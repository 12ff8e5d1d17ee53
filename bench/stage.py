"""What every benchmark stands on: the fake Slack Web API and a freshly migrated SQLite file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.migrate import upgrade_to_head
from tests.fakes.server import FakeSlack
from tests.harness.config import REPO, TOKEN, reference_methods


@contextmanager
def fake_slack_and_database(name: str) -> Iterator[tuple[FakeSlack, str]]:
    """Yields the running fake and the URL of a migrated database; both are gone afterwards."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeSlack(REPO / "manifest.yml", reference_methods(), tokens=(TOKEN,)) as fake,
    ):
        url = f"sqlite:///{Path(tmp) / name}"
        upgrade_to_head(url)
        yield fake, url

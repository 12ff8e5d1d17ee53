"""The floor for bench/ack.py: a Bolt app that only acks `/fail` and the record modal, behind the same
threaded gunicorn as `failure-resume serve`. Run with PORT, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and
SLACK_API_URL set: python -m bench.bare_bolt"""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def bare_app(token: str, signing_secret: str, api_url: str) -> App:
    # Bolt checks the token with auth.test on the first request: against the same fake Slack.
    app = App(client=WebClient(token=token, base_url=api_url), signing_secret=signing_secret)
    app.command("/fail")(lambda ack: ack())
    app.view("record_entry_modal")(lambda ack: ack())
    return app


class BareServer(BaseApplication):
    def __init__(self, port: int, app: App):
        self.port, self.handler = port, SlackRequestHandler(app)
        super().__init__()

    def load_config(self) -> None:
        options = {"bind": f"127.0.0.1:{self.port}", "workers": 1, "worker_class": "gthread", "threads": 8}
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.handler


if __name__ == "__main__":
    app = bare_app(os.environ["SLACK_BOT_TOKEN"], os.environ["SLACK_SIGNING_SECRET"], os.environ["SLACK_API_URL"])
    BareServer(int(os.environ["PORT"]), app).run()

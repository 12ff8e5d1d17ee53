"""The fake Slack the tests run against: a real HTTP server (server.py) that answers as Slack does
(answers.py), refuses what Slack refuses (rules.py), fails when a test asks it to (faults.py), keeps
files (files.py) and installs (oauth.py), and records every call it receives (wire.py).

The fake issue trackers share trackers.py (a local HTTP server, the record of calls, fault knobs and
signed webhooks): github.py (REST v3), jira.py (Jira Cloud REST v3) and linear.py (Linear GraphQL)."""

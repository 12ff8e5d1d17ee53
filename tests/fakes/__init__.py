"""The fake Slack the tests run against: a real HTTP server (server.py) that answers as Slack does
(answers.py), refuses what Slack refuses (rules.py), fails when a test asks it to (faults.py), keeps
files (files.py) and installs (oauth.py), and records every call it receives (wire.py)."""

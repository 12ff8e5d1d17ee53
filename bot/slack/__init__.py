"""The Slack plumbing: the WSGI app, ids, the error handler, text, Web API helpers, installations."""

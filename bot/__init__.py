"""Failure Resume: a Slack bot for blameless learning from mistakes."""

"""The `failure-resume` subcommands, one module per kind of process (bot/cli.py parses the command line)."""

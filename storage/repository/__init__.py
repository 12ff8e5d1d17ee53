"""Query and command functions, one module per aggregate. Each takes the caller's session, is scoped by
workspace, and never commits."""

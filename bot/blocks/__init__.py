"""Pure Block Kit builders and submission parsers: plain values in, dicts out, no I/O."""

"""Running the bot as infrastructure: readiness, metrics, logs, error tracking, the doctor."""

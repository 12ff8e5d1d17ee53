# Failure Resume: one image for every process (web, worker, clock, migrate, doctor), chosen by the
# command given to the `failure-resume` entrypoint. This project's CI lints this file (hadolint) and
# runs the entrypoint's commands outside a container; it does not build the image.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A user of its own, and the folders it writes: /data (a SQLite file, when DATABASE_URL is not set) and
# /metrics (PROMETHEUS_MULTIPROC_DIR, shared by the processes of a host).
RUN useradd --create-home --uid 10001 --user-group app \
    && mkdir -p /data /metrics \
    && chown app:app /data /metrics

WORKDIR /app
COPY pyproject.toml README.md manifest.yml ./
COPY bot ./bot
COPY storage ./storage
# The project itself, with the version ranges of pyproject.toml (hadolint's DL3013 asks for pins of
# packages named on this line; there is none).
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[postgres]"

USER 10001:10001
WORKDIR /data
ENV PORT=3000 \
    PROMETHEUS_MULTIPROC_DIR=/metrics
EXPOSE 3000

# Liveness of a web container (/healthz); compose and Kubernetes give the worker and the clock
# `failure-resume ready` instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

# Exec form: `failure-resume` is PID 1 and gets SIGTERM itself (gunicorn answers the requests in
# flight, a worker finishes its tasks within SHUTDOWN_GRACE_SECONDS).
ENTRYPOINT ["failure-resume"]
CMD ["serve"]

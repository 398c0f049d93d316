"""The app as the benchmark serves it: `gunicorn benchmarks.wsgi_app:app`, on BENCH_RUN_URL,
with a hello-world route (the load baseline, in the same workers) at /bench/hello."""

from __future__ import annotations

import os

from config import ProductionConfig
from supervision import create_app


class BenchConfig(ProductionConfig):
    """Production settings over plain HTTP on the loopback, on the benchmark's database."""

    SECRET_KEY = "bench-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ["BENCH_RUN_URL"]
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    RATELIMIT_ENABLED = False
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    SUPERVISION_FAKE_NOW = os.environ.get("BENCH_NOW")


app = create_app(BenchConfig)


@app.get("/bench/hello")
def bench_hello():
    return "hello"

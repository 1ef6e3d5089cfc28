"""Synthetic reading groups and the benchmark that serves them (``manage.py bench``).

- ``shapes``: how big a lab and a department are;
- ``vocabulary`` and ``generate``: deterministic synthetic data (``manage.py generate_group``);
- ``pages``: the pages and htmx fragments the benchmark drives;
- ``measure``: in-process measurements (SQL queries, bytes, import, digest, seeding);
- ``loadgen``: wrk, the load generator; ``servers``: gunicorn, PostgreSQL and Celery;
- ``targets``: the targets the results must meet; ``report``: JSON and Markdown;
- ``run``: one database and size in a child process, and the whole run around it.
"""

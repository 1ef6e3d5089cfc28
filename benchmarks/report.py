"""The benchmark's results as JSON (everything) and Markdown (the tables people read)."""

from __future__ import annotations

import json
from pathlib import Path

from .targets import Check

TIMES, DASH = "\u00d7", "\u2013"  # multiplication sign, en dash

STATUS_MARK = {"pass": "✅ pass", "fail": "❌ fail", "not measured": f"{DASH} not measured"}


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _load_for(page: dict, clients: int) -> dict | None:
    return next((r for r in page.get("load", []) if r["connections"] == clients), None)


def page_table(results: dict) -> list[str]:
    clients = results["options"]["connections"]
    head = ["database", "size", "page", "SQL queries", "bytes", "after a change: ms, queries"]
    for c in clients:
        head += [f"median ms ({c})", f"p95 ms ({c})", f"req/s ({c})", f"{TIMES} floor ({c})"]
    head.append("errors")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in results["runs"]:
        floor = next((p for p in run["pages"] if p["name"] == "floor"), None)
        for page in run["pages"]:
            name = page["name"] + (" (htmx)" if page["htmx"] else "")
            if page.get("missing"):
                row = [run["database"], run["size"], name, "missing: " + page["missing"]]
                lines.append("| " + " | ".join(row + [""] * (len(head) - len(row))) + " |")
                continue
            row = [run["database"], run["size"], name, str(page["queries"]), f"{page['bytes']:,}"]
            cold = page.get("cold_ms")
            row.append(f"{_ms(cold)}, {page['cold_queries']}" if cold is not None else "")
            errors = 0
            for c in clients:
                load = _load_for(page, c)
                base = _load_for(floor, c) if floor and not floor.get("missing") else None
                if load is None:
                    row += ["", "", "", ""]
                    continue
                errors += load["errors"]
                ratio = (
                    f"{load['median_ms'] / base['median_ms']:.1f}"
                    if base and base["median_ms"]
                    else ""
                )
                row += [_ms(load["median_ms"]), _ms(load["p95_ms"]), f"{load['rps']:.0f}", ratio]
            row.append(str(errors))
            lines.append("| " + " | ".join(row) + " |")
    return lines


def other_table(results: dict) -> list[str]:
    head = [
        "database",
        "size",
        "generate (s)",
        "seed 3 documents (s)",
        "BibTeX import / bibtexparser alone (s)",
        "digest: members, s, queries",
        "Celery worker peak (MB)",
        "gunicorn workers after load (MB)",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in results["runs"]:
        gen = run["generation"]
        imp = run.get("bibtex_import") or {}
        digest = run.get("digest") or {}
        worker = run.get("celery_worker") or {}
        lines.append(
            "| "
            + " | ".join(
                [
                    run["database"],
                    run["size"],
                    f"{gen['total_seconds']:.1f}",
                    f"{gen['seconds']['seed']:.2f}" if "seed" in gen["seconds"] else "",
                    _import_cell(imp),
                    (
                        f"{digest['members']:,}, {digest['seconds']:.2f} s, {digest['queries']} q"
                        if "seconds" in digest
                        else digest.get("missing", "")
                    ),
                    (
                        f"{worker['vmhwm_kb'] / 1024:.0f}"
                        if worker.get("vmhwm_kb")
                        else worker.get("missing", "")
                    ),
                    ", ".join(f"{mb:.0f}" for mb in run.get("gunicorn_worker_rss_mb") or []),
                ]
            )
            + " |"
        )
    return lines


def target_table(checks: list[Check]) -> list[str]:
    lines = ["| result | target | where | numbers |", "|---|---|---|---|"]
    order = {"fail": 0, "not measured": 1, "pass": 2}
    for check in sorted(checks, key=lambda c: order[c.status]):
        lines.append(
            f"| {STATUS_MARK[check.status]} | {check.target} | {check.subject} | {check.detail} |"
        )
    return lines


def markdown(results: dict, checks: list[Check]) -> str:
    m = results["machine"]
    opts = results["options"]
    server = opts["server"]
    versions = ", ".join(f"{k} {v}" for k, v in results["versions"].items() if v)
    counts = {
        (run["database"], run["size"]): run["generation"]["counts"] for run in results["runs"]
    }
    passed = sum(c.status == "pass" for c in checks)
    failed = sum(c.status == "fail" for c in checks)
    shapes = "; ".join(
        f"{size}: " + ", ".join(f"{v:,} {k}" for k, v in c.items())
        for (db, size), c in counts.items()
        if db == results["runs"][0]["database"]
    )
    parts = [
        "# Benchmark: latest run",
        "",
        f"Run {results['finished_at']} with `{results['command']}`"
        + (f" at commit {results['git_commit']}." if results.get("git_commit") else "."),
        "",
        *[f"**Note:** {message}" for message in results.get("skipped", [])],
        "",
        f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; "
        f"load average at start {', '.join(str(x) for x in m['load_average_at_start'])}. "
        f"{versions}.",
        "",
        f"**Server:** gunicorn, {server['workers']} {server['worker_class']} workers"
        + (f" {TIMES} {server['threads']} threads" if server["worker_class"] == "gthread" else "")
        + f", on loopback; each page driven by wrk for {opts['duration']} s at "
        + " and ".join(str(c) for c in opts["connections"])
        + " concurrent connections as a logged-in member. Floor: `/healthz` through the same "
        "middleware, server and cookie. SQL queries and bytes: one request in-process "
        "(Django test client) against the same database. Pages keep what they render in "
        "the cache until the data it shows changes; *after a change* is a request made "
        "in-process just after every area of the data changed, so nothing comes from the "
        "cache (the median of five).",
        "",
        f"**Data:** {shapes}.",
        "",
        f"**Targets:** {passed} pass, {failed} fail (latency targets at 1 client).",
        "",
        "## Pages",
        "",
        *page_table(results),
        "",
        "## Data, import, digest, memory",
        "",
        *other_table(results),
        "",
        "## Targets",
        "",
        *target_table(checks),
        "",
    ]
    return "\n".join(parts)


def write(results: dict, checks: list[Check], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    data = {**results, "targets": [c.as_dict() for c in checks]}
    json_path = folder / "latest.json"
    md_path = folder / "latest.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(results, checks))
    return json_path, md_path


def _import_cell(imp: dict) -> str:
    if "ratio" not in imp:
        return imp.get("missing", "")
    cell = (
        f"{imp['entries']:,} entries: {imp['import_seconds']:.2f} / "
        f"{imp['parse_seconds']:.2f} = {imp['ratio']:.2f}{TIMES}"
    )
    if imp.get("repeats", 1) > 1:
        cell += f" (median of {imp['repeats']})"
    if imp.get("duplicate_search") == "background":
        cell += (
            f"; then the duplicate search in the background: {imp['search_seconds']:.2f} s, "
            f"{imp['candidates']:,} candidates"
        )
    return cell

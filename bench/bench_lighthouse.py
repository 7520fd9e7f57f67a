"""Lighthouse on the public pages a visitor meets first: the home page and the demo form.

Starts ``pledge serve`` on a fresh SQLite database with the demo data (as ``make run`` does),
then runs Lighthouse (pinned in bench/lighthouse/package.json, installed there by ``npm ci``
on the first run) with Debian's Chromium on each page in both languages, mobile emulation and
Lighthouse's default simulated throttling. Each page is measured BENCH_LIGHTHOUSE_RUNS times
(3) and each category's median kept, as Lighthouse advises against one run's noise on a busy
machine. Prints the four category scores and exits non-zero, naming every page and category
below the floor, if any median is under 95.

Run it alone with ``.venv/bin/python -m bench.bench_lighthouse``.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import free_port, record, stop, wait_ready

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent / "lighthouse"
LIGHTHOUSE = PACKAGE / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("PLEDGE_CHROMIUM", "/usr/bin/chromium")
PYTHON = sys.executable
FLOOR = 95
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PAGES = ("/", "/en/", "/demo/", "/en/demo/")
RUNS = int(os.environ.get("BENCH_LIGHTHOUSE_RUNS", "3"))


def lighthouse_install() -> str | None:
    """The pinned Lighthouse, installed from the lock file if it is not yet; None and the
    reason printed when it cannot be."""
    if LIGHTHOUSE.exists():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed (apt install npm)"
    print("installing Lighthouse (npm ci in bench/lighthouse) ...", flush=True)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=PACKAGE, capture_output=True, text=True
    )
    if result.returncode != 0 or not LIGHTHOUSE.exists():
        return f"npm ci failed in {PACKAGE}:\n{result.stderr[-2000:]}"
    return None


def server_start(directory: Path):
    """``pledge serve`` on a free port with the demo data; (process, base URL, log)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledge.settings",
        "PLEDGE_VAR": str(directory / "var"),
        "DATABASE_URL": f"sqlite:///{directory / 'lighthouse.sqlite3'}",
        "PLEDGE_SITE_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("REDIS_URL", None)
    for command in (["migrate", "--noinput", "-v0"], ["demo"]):
        subprocess.run(
            [PYTHON, "-m", "pledge", *command],
            env=environment,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    log = open(directory / "server.log", "w")  # noqa: SIM115 (closed by the caller)
    process = subprocess.Popen(
        [PYTHON, "-m", "pledge", "serve", "--no-worker", "--port", str(port)],
        env=environment,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    wait_ready(url + "/healthz", process)
    return process, url, log


def lighthouse_run(url: str, report: Path) -> dict:
    """Each category's score (0-100) and the audits that cost points, for one page."""
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            f"--chrome-path={CHROMIUM}",
            "--chrome-flags=--headless=new --no-sandbox",
            "--only-categories=" + ",".join(CATEGORIES),
            "--output=json",
            f"--output-path={report}",
            "--quiet",
        ],
        check=True,
        timeout=300,
    )
    data = json.loads(report.read_text())
    scores = {key: round(data["categories"][key]["score"] * 100) for key in CATEGORIES}
    losses = [
        f"{category}: {data['audits'][ref['id']]['title']} "
        f"({data['audits'][ref['id']].get('displayValue', '')})"
        for category in CATEGORIES
        for ref in data["categories"][category]["auditRefs"]
        if ref["weight"] > 0
        and data["audits"][ref["id"]]["score"] is not None
        and data["audits"][ref["id"]]["score"] < 1
    ]
    return {"scores": scores, "losses": losses}


def median_of(runs: list[dict]) -> dict:
    """Each category's median score over the runs, and the losses of the run nearest to it."""
    scores = {
        key: round(statistics.median(run["scores"][key] for run in runs)) for key in CATEGORIES
    }
    nearest = min(
        runs, key=lambda run: sum(abs(run["scores"][key] - scores[key]) for key in CATEGORIES)
    )
    return {"scores": scores, "losses": nearest["losses"], "all": [run["scores"] for run in runs]}


def main() -> None:
    if not Path(CHROMIUM).exists():
        print(f"bench_lighthouse needs Chromium at {CHROMIUM} (apt install chromium): skipped")
        return
    problem = lighthouse_install()
    if problem:
        print(f"bench_lighthouse cannot run: {problem}")
        return
    directory = Path(tempfile.mkdtemp(prefix="pledge-lighthouse-"))
    process, base, log = server_start(directory)
    results = {}
    try:
        for page in PAGES:
            runs = [lighthouse_run(base + page, directory / "report.json") for _ in range(RUNS)]
            results[page] = median_of(runs)
    finally:
        stop(process)
        log.close()
    header = ("page", *CATEGORIES)
    print(f"median of {RUNS} runs per page, mobile, simulated throttling")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for page, result in results.items():
        print(" | ".join([page, *(str(result["scores"][key]) for key in CATEGORIES)]))
        for category, score in result["scores"].items():
            record("lighthouse", f"{page} {category}", score, "", aim=FLOOR)
    for page, result in results.items():
        print(f"  {page} runs: " + ", ".join("/".join(map(str, r.values())) for r in result["all"]))
    below = [
        f"{page} {category} {score} < {FLOOR}"
        for page, result in results.items()
        for category, score in result["scores"].items()
        if score < FLOOR
    ]
    for page, result in results.items():
        for loss in result["losses"]:
            print(f"  {page} {loss}")
    if below:
        raise SystemExit("bench_lighthouse FAILED: " + "; ".join(below))
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()

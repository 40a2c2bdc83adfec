"""Profile the benchmark's pages (each role's menu pages and the pages reached from them,
as `make bench` finds them) in-process against the province data set (`make bench`
builds it): per page, the median time of a request, the time in SQL, the queries and the
Python function calls, and with `--cprofile` the functions that cost most.

    .venv/bin/python bench/profile_pages.py [substring of 'role: label path' ...] [--n 20] [--cprofile]

It needs the data set of `make bench` (BENCH_DATABASE_URL, default ipcop_bench) and runs
the requests through Django's test client with the benchmark's settings (DEBUG off)."""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.test import Client

from bench import run


def profile_page(page: run.Page, user, n: int, with_cprofile: bool) -> None:
    run.measure_inprocess(page, user, n)
    if not page.python_calls:
        print(f"{page.key}: not HTTP 200")
        return
    print(
        f"{page.key:56s} "
        f"median {page.inprocess_ms:6.1f} ms  SQL {page.sql_ms:5.1f} ms  "
        f"{page.inprocess_queries:2d} queries  {page.python_calls:6d} Python calls"
    )
    if with_cprofile:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        client.get(page.path)  # a new client loads the middleware on its first request
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            client.get(page.path)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(50)
        stats.sort_stats("tottime").print_stats(30)
        print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="substrings of page labels (default: all)")
    parser.add_argument("--n", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--cprofile", action="store_true", help="print a profile per page")
    args = parser.parse_args()
    run.call_command("collectstatic", verbosity=0, interactive=False)
    people = run.personas()
    for page in run.pages(people):
        label = f"{page.key} {page.path}"
        if args.pages and not any(wanted in label for wanted in args.pages):
            continue
        profile_page(page, people[page.persona], args.n, args.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())

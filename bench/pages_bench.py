"""Server time of the public pages, in-process (Flask test client: no network, no browser).

Run by hand against an instance that already holds cases, e.g. the 10k benchmark instance:
    INSTANCE_PATH=bench/results/instance-10000 .venv/bin/python bench/pages_bench.py [--repeat 20]
Prints median and p95 milliseconds per page kind.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app


def page_urls(client) -> dict[str, list[str]]:
    """Representative URLs of every page kind, found through the API."""
    hits = client.get("/api/v1/search?q=" + quote("合同") + "&per_page=20").get_json()["hits"]
    return {
        "home": ["/"],
        "search": ["/search?q=" + quote(q) for q in ("高空抛物", "劳动合同 解除", "公司拖欠工资怎么办", "正当防卫")],
        "search+facets": ["/search?q=" + quote("合同") + "&case_type=" + quote("民事") + "&sort=date&page=2"],
        "browse hot issue": ["/topics/labor-dispute", "/topics/food-safety"],
        "browse law": ["/laws/" + quote("民法典"), "/law-topics/criminal"],
        "case": [f"/cases/{h['id']}" for h in hits[:10]],
    }


def measure(client, urls: list[str], repeat: int) -> list[float]:
    """Milliseconds per request, every URL `repeat` times (after one warm-up each)."""
    times = []
    for url in urls:
        assert client.get(url).status_code == 200, url
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    """Measure and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    client = create_app().test_client()
    cases = client.get("/healthz").get_json().get("cases")
    print(f"cases: {cases}")
    print(f"{'page':18s} {'n':>4s} {'median ms':>10s} {'p95 ms':>8s} {'max ms':>8s}")
    for kind, urls in page_urls(client).items():
        times = sorted(measure(client, urls, args.repeat))
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"{kind:18s} {len(times):4d} {statistics.median(times):10.1f} {p95:8.1f} {times[-1]:8.1f}")


if __name__ == "__main__":
    main()

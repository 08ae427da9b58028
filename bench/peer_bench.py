"""Side-by-side throughput against the Django Open311 peer 6aika/issue-reporting (issue 23).

Both servers run at once on this machine (gunicorn, 2 sync workers each, SQLite unless DATABASE_URL names
PostgreSQL for minqing); wrk (2 threads, 16 connections) loads one of them at a time, alternating
server by server and endpoint by endpoint for ROUNDS rounds, so a slow minute of the shared machine
hits both. Prints every round and the medians with the ratios. Started by bench/peer_bench.sh, which
prepares both databases; see bench/README.md for how the peer was built and seeded (outside this repository).

Servers are given as name=url pairs; every other argument is a JSON file of the endpoints per server.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def wrk(url: str, duration: str, lua: str | None) -> tuple[float, str, int]:
    cmd = ["wrk", "-t2", "-c16", f"-d{duration}", "--latency", url]
    if lua:
        cmd[1:1] = ["-s", lua]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p50.group(1) if p50 else "?", int(errors.group(1)) if errors else 0


def post_script(directory: Path, name: str, body: str, content_type: str, headers: dict[str, str]) -> str:
    path = directory / f"{name}.lua"
    lines = ['wrk.method = "POST"', f'wrk.headers["Content-Type"] = "{content_type}"']
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    lines.append(f"wrk.body = {json.dumps(body, ensure_ascii=False)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", required=True, help="JSON: {server: {endpoint: {url, post?, type?, headers?}}}")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--reference", default="peer", help="the server the others are divided by")
    args = parser.parse_args()
    plan: dict[str, dict[str, dict]] = json.loads(Path(args.plan).read_text(encoding="utf-8"))
    endpoints = list(next(iter(plan.values())))
    results: dict[tuple[str, str], list[float]] = {}
    p50s: dict[tuple[str, str], list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {}
        for server, eps in plan.items():
            for i, (name, ep) in enumerate(eps.items()):
                if ep.get("post") is not None:
                    scripts[(server, name)] = post_script(Path(tmp), f"{server}-{i}", ep["post"],
                                                          ep.get("type", "application/x-www-form-urlencoded"),
                                                          ep.get("headers", {}))
        for server, eps in plan.items():  # warm up: each worker's first requests build its caches
            for name, ep in eps.items():
                wrk(ep["url"], "2s", scripts.get((server, name)))
        for r in range(1, args.rounds + 1):
            for name in endpoints:
                for server, eps in plan.items():
                    if name not in eps:
                        continue
                    rate, p50, bad = wrk(eps[name]["url"], args.duration, scripts.get((server, name)))
                    results.setdefault((server, name), []).append(rate)
                    p50s.setdefault((server, name), []).append(p50)
                    flag = f"  ({bad} non-2xx!)" if bad else ""
                    print(f"round {r}  {name:<34} {server:<10} {rate:9.1f} req/s  p50 {p50}{flag}", flush=True)
    print()
    others = [s for s in plan if s != args.reference]
    head = f"{'endpoint':<34}" + "".join(f"{s:>14}" for s in plan) + "".join(f"{s + '/' + args.reference:>16}" for s in others)
    print(head)
    for name in endpoints:
        med = {s: statistics.median(results[(s, name)]) for s in plan if (s, name) in results}
        row = f"{name:<34}" + "".join(f"{med.get(s, float('nan')):>14.1f}" for s in plan)
        ref = med.get(args.reference)
        for s in others:
            row += f"{(med[s] / ref if ref and s in med else float('nan')):>15.2f}x"
        print(row)
    sys.stdout.flush()


if __name__ == "__main__":
    main()

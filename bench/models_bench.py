#!/usr/bin/python3
"""Named models under load (SPEC-MODELS): what hedging does to the tail, and what grants, quotas
and accounting cost on the fast path. Run by bench/models.bench.sh.

  hedging   A model with two endpoints of equal priority (tests/support/fake_llama.py), one of
            which answers every tenth request after 2 s. CLIENTS clients send STATEMENTS
            single-document GENAI_EMBED statements with hedge_after_ms = 0 (off), then 100.
            Prints p50 / p99 of each; the baseline is the run without hedging.
  access    bench/genai_load against bench/model_service with no delay (a near-zero-cost
            service), through a named default model: with no genai_model_grants row, then with
            a grant row for the client user and quotas it never reaches. Rounds alternate the two
            (ABBA) and the median of each is printed with the ratio (target: within noise).
"""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests/integration"))
import harness  # noqa: E402
from service import FakeService, fake_model, parse_vector  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def hedging(args):
    fast, sometimes_slow = FakeService().start(), FakeService().start()
    try:
        sometimes_slow.control(slow_every=10, slow_ms=2000)
        with harness.Proxy(genai={"embedding_uri": "lexical:", "rerank_uri": "lexical:",
                                  "threads": 2}) as proxy:
            with proxy.admin() as admin:
                for sql in ("INSERT INTO genai_models (name, kind, timeout_ms) "
                            "VALUES ('two', 'embed', 10000)",
                            f"INSERT INTO genai_endpoints (model_name, uri) VALUES "
                            f"('two', '{fast.url('/embedding')}'), "
                            f"('two', '{sometimes_slow.url('/embedding')}')",
                            "LOAD GENAI MODELS TO RUNTIME"):
                    harness.query(admin, sql)
            results = []
            for hedge_ms in (0, args.hedge_after_ms):
                with proxy.admin() as admin:
                    harness.query(admin, f"UPDATE genai_models SET hedge_after_ms = {hedge_ms} "
                                         "WHERE name = 'two'")
                    harness.query(admin, "LOAD GENAI MODELS TO RUNTIME")
                latencies, failures = load(proxy, args.clients, args.statements, hedge_ms)
                if failures:
                    print(f"{len(failures)} failures, first: {failures[0]}", file=sys.stderr)
                    return 1
                results.append((hedge_ms, percentile(latencies, 0.5), percentile(latencies, 0.99),
                                max(latencies)))
    finally:
        fast.stop()
        sometimes_slow.stop()
    print(f"hedging: 2 endpoints of equal priority, one answering every 10th request after 2 s; "
          f"{args.clients} clients x {args.statements // args.clients} single-document "
          f"statements; {os.cpu_count()} cores, load average {load_average()}")
    print("| hedge_after_ms | p50 ms | p99 ms | max ms | p99 / p50 |")
    print("|---:|---:|---:|---:|---:|")
    for hedge_ms, p50, p99, worst in results:
        print(f"| {hedge_ms or 'off'} | {p50 * 1000:.1f} | {p99 * 1000:.1f} | {worst * 1000:.0f} "
              f"| {p99 / p50:.1f} |")
    return 0


def load(proxy, clients, statements, tag):
    latencies, failures = [], []
    lock = threading.Lock()

    def client(worker):
        try:
            conn = proxy.client()
        except Exception as e:  # noqa: BLE001 (reported)
            failures.append(repr(e))
            return
        with conn:
            for i in range(worker, statements, clients):
                text = f"document {tag} {i}"
                started = time.monotonic()
                try:
                    rows = harness.query(conn, "SELECT GENAI_EMBED(%s, 'two')", (text,))
                    if parse_vector(rows[0][0], "json") != fake_model.embedding(
                            text, fake_model.DEFAULT_DIMENSION):
                        failures.append(f"{text}: wrong vector")
                except Exception as e:  # noqa: BLE001 (reported)
                    failures.append(f"{text}: {e!r}")
                with lock:
                    latencies.append(time.monotonic() - started)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return latencies, failures


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def access(args):
    build = os.environ.get("BUILD_DIR", "build")
    port = harness.free_port()
    service = subprocess.Popen([os.path.join(build, "bench", "model_service"), "--port", str(port),
                                "--fixed-ms", "0", "--per-doc-ms", "0", "--dim", "16"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        harness.wait_port(port)
        url = f"http://127.0.0.1:{port}/embedding"
        with harness.Proxy(genai={"embedding_uri": "lexical:", "rerank_uri": "lexical:",
                                  "threads": 2, "endpoint_concurrency": 1024},
                           mysql={"threads": 2, "max_connections": 4096}) as proxy:
            with proxy.admin() as admin:
                for sql in ("INSERT INTO genai_models (name, kind, is_default) "
                            "VALUES ('fast', 'embed', 1)",
                            f"INSERT INTO genai_endpoints (model_name, uri) VALUES ('fast', '{url}')",
                            "LOAD GENAI MODELS TO RUNTIME"):
                    harness.query(admin, sql)
            rates = {"no grant rows": [], "grant + quota": []}
            for round_number in range(args.rounds):
                # ABBA order: a drift of the machine's load favours neither cell.
                order = list(rates) if round_number % 2 == 0 else list(rates)[::-1]
                for cell in order:
                    with proxy.admin() as admin:
                        harness.query(admin, "DELETE FROM genai_model_grants")
                        if cell == "grant + quota":
                            harness.query(admin, "INSERT INTO genai_model_grants VALUES "
                                                 "('app', 'fast', 2000000000, 2000000000)")
                        harness.query(admin, "LOAD GENAI MODELS TO RUNTIME")
                    rates[cell].append(genai_load(build, url, proxy.client_port, args))
    finally:
        service.terminate()
        service.wait()
    print(f"access: genai_load --mode embed, 1 document, {args.clients} clients, "
          f"{args.duration}s per cell, {args.rounds} rounds (ABBA); model_service with no "
          f"delay; proxy 2 mysql + 2 genai threads; {os.cpu_count()} cores, load average "
          f"{load_average()}")
    print("| cell | statements/s (median) | rounds | ratio to no grant rows |")
    print("|---|---:|---|---:|")
    base = statistics.median(rates["no grant rows"])
    for cell, values in rates.items():
        median = statistics.median(values)
        print(f"| {cell} | {median:.0f} | {', '.join(f'{v:.0f}' for v in values)} "
              f"| {median / base:.3f} |")
    return 0


def genai_load(build, url, client_port, args):
    out = subprocess.run([os.path.join(build, "bench", "genai_load"), "--url", url,
                          "--proxy-port", str(client_port), "--clients", str(args.clients),
                          "--duration", str(args.duration), "--only", "proxy", "--tsv"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    header, row = out[0].split("\t"), out[1].split("\t")
    cells = dict(zip(header, row))
    if int(cells["errors"]):
        raise RuntimeError(f"genai_load: {cells['errors']} errors")
    return float(cells["proxy_rps"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("part", choices=["hedging", "access"])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--statements", type=int, default=400)
    parser.add_argument("--hedge-after-ms", type=int, default=100)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    return hedging(args) if args.part == "hedging" else access(args)


if __name__ == "__main__":
    sys.exit(main())

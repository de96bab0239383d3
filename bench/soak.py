#!/usr/bin/python3
"""Long robustness runs against the real binary: the heavy variants of test_robust_*.

  soak.py connections [--sessions 10000] [--cycles 5] [--hold 5]
      Holds N idle logged-in sessions, pings a sample, closes them; repeats.
      Prints RSS per idle session and the descriptors/RSS after each cycle.
  soak.py faults [--duration 300] [--clients 256] [--outages 4]
      The fault-injection load of test_robust_faults.py for longer, with several
      service outages, then reconciles the counters.

Exit status 0 only if every check passed. GP_BINARY selects the binary.
"""
import argparse
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests/integration"))
import harness  # noqa: E402
import rawmysql  # noqa: E402
from robust_support import (FaultLoad, check_clean_failures, check_counters,  # noqa: E402
                            connected_clients, fd_count,
                            global_stats, open_idle_sessions, proxy_for, raise_fd_limit, rss_kib,
                            wait_until)
from service import FakeService, fake_model, genai  # noqa: E402


class Checks(unittest.TestCase):
    """unittest's assertions, used outside a test runner."""

    def runTest(self):
        pass


check = Checks()


def connections(args):
    # Each session costs one descriptor here and one in the proxy, which
    # inherits this limit.
    limit = raise_fd_limit(args.sessions + 1024)
    sessions = min(args.sessions, limit - 512)
    if sessions < args.sessions:
        print(f"RLIMIT_NOFILE allows {limit} descriptors: holding {sessions} sessions")
    with harness.Proxy(mysql={"max_connections": max(10000, sessions + 100)}) as proxy:
        pid = proxy.proc.pid
        time.sleep(0.3)
        cold_fds, cold_rss = fd_count(pid), rss_kib(pid)
        print(f"cold: {cold_fds} fds, {cold_rss} KiB")
        rows = []
        for cycle in range(args.cycles):
            t0 = time.monotonic()
            raws = open_idle_sessions(proxy.client_port, sessions)
            opened = time.monotonic() - t0
            check.assertTrue(wait_until(lambda: connected_clients(proxy) == sessions, 60))
            for raw in raws[:: max(1, sessions // 50)]:
                raw.command(rawmysql.COM_PING)
                check.assertTrue(rawmysql.is_ok(raw.read_packet()))
            time.sleep(args.hold)
            held_fds, held_rss = fd_count(pid), rss_kib(pid)
            for raw in raws:
                raw.close()
            check.assertTrue(wait_until(lambda: connected_clients(proxy) == 0, 60))
            check.assertTrue(wait_until(lambda: fd_count(pid) <= cold_fds + 2, 30))
            time.sleep(0.5)
            rest_rss = rss_kib(pid)
            rows.append((cycle, opened, held_fds, held_rss, fd_count(pid), rest_rss))
            print(f"cycle {cycle}: opened {sessions} in {opened:.1f}s; held {held_fds} fds, "
                  f"{held_rss} KiB; after close {fd_count(pid)} fds, {rest_rss} KiB")
        per_session = (rows[0][3] - cold_rss) * 1024 / sessions
        print(f"RSS per idle session: {per_session / 1024:.1f} KiB (first cycle, from cold)")
        check.assertLessEqual(per_session, 32 * 1024)
        if len(rows) >= 3:
            check.assertLessEqual(rows[-1][5], rows[1][5] * 1.10, "RSS grows from cycle to cycle")
        check.assertIsNone(proxy.proc.poll())


def faults(args):
    raise_fd_limit(4 * args.clients + 1024)
    timeout_ms = 3000
    service = FakeService().start()
    proxy = proxy_for(service, timeout_ms)
    load = None
    try:
        proxy.start()
        pid = proxy.proc.pid
        with proxy.admin() as admin:
            before = global_stats(admin, "stats_genai_global")
        load = FaultLoad(proxy, args.clients, service.dimension, deadline_s=timeout_ms / 1000 + 4,
                         timeout_s=timeout_ms / 1000)
        load.start()
        started = time.monotonic()
        outages = []
        period = args.duration / (args.outages + 1)
        samples = []
        for k in range(args.outages):
            while time.monotonic() - started < period * (k + 1):
                time.sleep(1)
                samples.append((time.monotonic() - started, rss_kib(pid), fd_count(pid)))
            begin = time.monotonic()
            service.kill()
            time.sleep(2 + k % 3)
            service.start()
            outages.append((begin, time.monotonic()))
            print(f"outage {k + 1}: {outages[-1][1] - begin:.1f}s at {begin - started:.0f}s; "
                  f"so far {load.outcome.summary()}", flush=True)
        while time.monotonic() - started < args.duration:
            time.sleep(1)
            samples.append((time.monotonic() - started, rss_kib(pid), fd_count(pid)))
        hung = load.finish(timeout=timeout_ms / 1000 + 40)
        outcome = load.outcome
        print(f"{args.clients} clients, {args.duration:.0f}s, {len(outages)} outages: "
              f"{outcome.summary()}")
        check.assertEqual(hung, [])
        check.assertIsNone(proxy.proc.poll())
        check.assertEqual(outcome.problems, [])
        timeouts = check_clean_failures(check, outcome, outages)
        print(f"fault-free requests that timed out outside an outage: {timeouts}")
        with proxy.admin() as admin:
            after = wait_until(lambda: (lambda s: s if s["requests_in_flight"] == 0 else None)(
                global_stats(admin, "stats_genai_global")), 10)
            check.assertTrue(after)
            deltas = check_counters(check, before, after, outcome)
        print(f"counters: {deltas}")
        with proxy.client() as conn:
            _, rows = genai(conn, {"type": "embed", "documents": ["after the soak"]})
            check.assertEqual([float(x) for x in rows[0][0].split(",")],
                              fake_model.embedding("after the soak", service.dimension))
        rss = [s[1] for s in samples]
        if rss:
            third = max(1, len(rss) // 3)
            print(f"proxy RSS KiB: min {min(rss)}, max {max(rss)}, mean of first third "
                  f"{sum(rss[:third]) // third}, of last third {sum(rss[-third:]) // third}; "
                  f"fds max {max(s[2] for s in samples)}")
    finally:
        if load is not None:
            load.finish(timeout=5)
        proxy.cleanup()
        service.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("connections")
    c.add_argument("--sessions", type=int, default=10000)
    c.add_argument("--cycles", type=int, default=5)
    c.add_argument("--hold", type=float, default=5.0)
    f = sub.add_parser("faults")
    f.add_argument("--duration", type=float, default=300.0)
    f.add_argument("--clients", type=int, default=256)
    f.add_argument("--outages", type=int, default=4)
    args = parser.parse_args()
    try:
        {"connections": connections, "faults": faults}[args.mode](args)
    except AssertionError as e:
        print(f"SOAK FAILED: {e}", file=sys.stderr)
        return 1
    print("soak passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""The jobs benchmark (bench/jobs.bench.sh).

Environment: JOBS_BENCH_ROWS (100000), JOBS_BENCH_BATCH (64), JOBS_BENCH_CONCURRENCY (4),
JOBS_BENCH_FIXED_MS / JOBS_BENCH_PER_DOC_MS (the model service's cost per request and per
document: 20 and 0.2, a small GPU embedding server), JOBS_BENCH_DIM (384),
JOBS_BENCH_FORMAT (json), JOBS_BENCH_OUT (BUILD_DIR/bench/jobs.md).
"""
import http.client
import json
import os
import subprocess
import sys
import threading
import time

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests/integration"))
BUILD_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
os.environ.setdefault("GP_BINARY", os.path.join(BUILD_DIR, "genaiproxy"))

import harness  # noqa: E402
from mariadb import MariaDB  # noqa: E402

ROWS = int(os.environ.get("JOBS_BENCH_ROWS", 100000))
BATCH = int(os.environ.get("JOBS_BENCH_BATCH", 64))
CONCURRENCY = int(os.environ.get("JOBS_BENCH_CONCURRENCY", 4))
FIXED_MS = float(os.environ.get("JOBS_BENCH_FIXED_MS", 20))
PER_DOC_MS = float(os.environ.get("JOBS_BENCH_PER_DOC_MS", 0.2))
DIM = int(os.environ.get("JOBS_BENCH_DIM", 384))
FORMAT = os.environ.get("JOBS_BENCH_FORMAT", "json")
OUT = os.environ.get("JOBS_BENCH_OUT", os.path.join(BUILD_DIR, "bench/jobs.md"))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def texts(start, count):
    return [f"title {i} body of row {i} about {i % 97}" for i in range(start, start + count)]


def direct(port):
    """`CONCURRENCY` workers, each POSTing batches of `BATCH` documents until ROWS are done."""
    next_row = [1]
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                start = next_row[0]
                if start > ROWS:
                    break
                count = min(BATCH, ROWS - start + 1)
                next_row[0] += count
            body = json.dumps({"content": texts(start, count)})
            conn.request("POST", "/embedding", body, {"Content-Type": "application/json"})
            answer = conn.getresponse().read()
            if len(json.loads(answer)) != count:
                raise RuntimeError("short answer")
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ROWS / (time.monotonic() - started)


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    port = harness.free_port()
    service = subprocess.Popen([os.path.join(BUILD_DIR, "bench/model_service"), "--port",
                                str(port), "--fixed-ms", str(FIXED_MS), "--per-doc-ms",
                                str(PER_DOC_MS), "--dim", str(DIM)])
    db = MariaDB()
    proxy = None
    try:
        harness.wait_port(port)
        db.start()
        db.execute("CREATE TABLE gp_test.bench (id INT PRIMARY KEY, title VARCHAR(200), body TEXT, "
                   "embedding MEDIUMTEXT NULL) ENGINE=InnoDB")
        db.execute(f"INSERT INTO gp_test.bench (id, title, body) SELECT seq, CONCAT('title ', seq), "
                   f"CONCAT('body of row ', seq, ' about ', seq % 97) FROM gp_test.seq_1_to_{ROWS}")
        direct_rate = direct(port)

        proxy = harness.Proxy(genai={"embedding_uri": f"http://127.0.0.1:{port}/embedding",
                                     "threads": 2},
                              users=[{"username": "app", "password": "secret",
                                      "default_hostgroup": 0}],
                              servers=[db.server()]).start()
        admin = proxy.admin()
        db_pid = int(open(db.pid_file).read().strip())
        proxy_cpu, db_cpu = cpu_seconds(proxy.proc.pid), cpu_seconds(db_pid)
        started = time.monotonic()
        harness.query(admin, "INSERT INTO genai_jobs (job_id, username, table_name, key_column, "
                             "text_expression, target_column, target_format, batch_size, "
                             f"concurrency) VALUES (1, 'app', 'gp_test.bench', 'id', "
                             f"'CONCAT(title, '' '', body)', 'embedding', '{FORMAT}', {BATCH}, "
                             f"{CONCURRENCY})")
        harness.query(admin, "LOAD GENAI JOBS TO RUNTIME")
        while True:
            found = harness.query(admin, "SELECT state, rows_done FROM stats_genai_jobs "
                                         "WHERE job_id = 1")
            state, done = found[0] if found else ("starting", 0)
            if state in ("done", "failed"):
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        proxy_cpu = cpu_seconds(proxy.proc.pid) - proxy_cpu
        db_cpu = cpu_seconds(db_pid) - db_cpu
        if state != "done" or int(done) != ROWS:
            error = harness.query(admin, "SELECT last_error FROM stats_genai_jobs")[0][0]
            raise RuntimeError(f"the job ended {state} with {done} rows: {error}")
        left = db.execute("SELECT COUNT(*) FROM gp_test.bench WHERE embedding IS NULL")[0][0]
        if left:
            raise RuntimeError(f"{left} rows left NULL")
        job_rate = ROWS / elapsed
        ratio = job_rate / direct_rate
        lines = [
            f"Jobs: {ROWS} rows, batch {BATCH}, concurrency {CONCURRENCY}, {FORMAT}, model service "
            f"{FIXED_MS:g} ms + {PER_DOC_MS:g} ms/document, {DIM} dimensions",
            "",
            "| | rows/s | proxy CPU µs/row | MariaDB CPU µs/row |",
            "|---|---:|---:|---:|",
            f"| the service driven directly | {direct_rate:.0f} | | |",
            f"| backfill job through the proxy | {job_rate:.0f} | {proxy_cpu / ROWS * 1e6:.0f} | "
            f"{db_cpu / ROWS * 1e6:.0f} |",
            "",
            f"job / direct: {ratio:.2f} (target >= 0.90)",
        ]
        report = "\n".join(lines)
        print(report)
        with open(OUT, "w") as f:
            f.write(report + "\n")
    finally:
        if proxy:
            proxy.cleanup()
        db.cleanup()
        service.terminate()
        service.wait()


if __name__ == "__main__":
    main()

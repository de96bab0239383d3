"""Embedding jobs (SPEC-JOBS, docs/JOBS.md) against a real MariaDB and the test service:
a 20,000-row backfill equal to what GENAI: returns, a kill -9 in the middle of a job,
a service outage, rows the service refuses, sync mode following an application's inserts
and updates (and never overwriting a newer text with the vector of an older one), and a
user without the privileges the job needs."""
import json
import signal
import time
import unittest

from harness import Proxy, query
from mariadb import MariaDB
from service import FakeService, statement

USERS = [
    {"username": "app", "password": "secret", "default_hostgroup": 0},
    {"username": "reader", "password": "reader-pw", "default_hostgroup": 0},
]
JOB_COLUMNS = ("job_id, username, table_name, key_column, text_expression, target_column, "
               "target_format, mode, change_column, interval_s, batch_size, concurrency")


def sqlite_literal(value):
    """A value for the admin interface's SQLite: '' doubles a quote, a backslash is plain."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


class JobsTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.db.execute("CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY 'reader-pw'")
        cls.db.execute("GRANT SELECT ON gp_test.* TO 'reader'@'%'")
        cls.service = FakeService(workers=1).start()
        cls.proxy = Proxy(genai={"embedding_uri": cls.service.url("/embedding"),
                                 "max_retries": 0},
                          users=USERS, servers=[cls.db.server()]).start()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()
        cls.service.stop()
        cls.db.cleanup()

    def setUp(self):
        self.service.control()
        self.service.reset_stats()
        self.admin = self.proxy.admin()
        query(self.admin, "DELETE FROM genai_jobs")
        query(self.admin, "LOAD GENAI JOBS TO RUNTIME")
        query(self.admin, "SAVE GENAI JOBS TO DISK")

    def tearDown(self):
        try:
            query(self.admin, "DELETE FROM genai_jobs")
            query(self.admin, "LOAD GENAI JOBS TO RUNTIME")
            query(self.admin, "SAVE GENAI JOBS TO DISK")
            self.admin.close()
        except Exception:
            pass

    # Helpers ----------------------------------------------------------------
    def make_table(self, name, rows, sync=False):
        self.db.execute(f"DROP TABLE IF EXISTS gp_test.{name}")
        changed = (", updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) "
                   "ON UPDATE CURRENT_TIMESTAMP(6)") if sync else ""
        self.db.execute(f"CREATE TABLE gp_test.{name} (id INT PRIMARY KEY, title VARCHAR(200), "
                        f"body TEXT, embedding MEDIUMTEXT NULL{changed}) ENGINE=InnoDB")
        if rows:
            self.db.execute(f"INSERT INTO gp_test.{name} (id, title, body) SELECT seq, "
                            f"CONCAT('title ', seq), CONCAT('body of row ', seq, ' about ', "
                            f"seq % 97) FROM gp_test.seq_1_to_{rows}")

    def add_job(self, job_id, table, user="app", mode="backfill", batch_size=64, concurrency=4,
                interval_s=10, text="CONCAT(title, ' ', body)", save=True):
        change = "updated_at" if mode == "sync" else ""
        values = [job_id, user, f"gp_test.{table}", "id", text, "embedding", "json", mode,
                  change, interval_s, batch_size, concurrency]
        query(self.admin, f"INSERT INTO genai_jobs ({JOB_COLUMNS}) VALUES ("
                          + ", ".join(sqlite_literal(v) for v in values) + ")")
        query(self.admin, "LOAD GENAI JOBS TO RUNTIME")
        if save:
            query(self.admin, "SAVE GENAI JOBS TO DISK")

    def job(self, job_id, admin=None):
        conn = admin or self.admin
        with conn.cursor() as cur:
            cur.execute("SELECT * FROM stats_genai_jobs WHERE job_id = %s", (job_id,))
            names = [d[0] for d in cur.description]
            row = cur.fetchone()
        return dict(zip(names, row)) if row else None

    def wait_job(self, job_id, states, timeout=180, admin=None, rows_done=None):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.job(job_id, admin)
            if last and last["state"] in states and (
                    rows_done is None or int(last["rows_done"]) >= rows_done):
                return last
            time.sleep(0.1)
        self.fail(f"job {job_id} did not reach {states} within {timeout}s: {last}")

    def genai_json(self, texts):
        """What GENAI: returns for `texts`, as the JSON text a job writes."""
        conn = self.proxy.client()
        try:
            out = []
            for at in range(0, len(texts), 1000):
                request = {"type": "embed", "documents": texts[at:at + 1000], "format": "json"}
                rows = query(conn, statement(request))
                out += [r[-1] for r in rows]
            return out
        finally:
            conn.close()

    def assert_vectors_match_text(self, table):
        rows = self.db.execute(f"SELECT id, CONCAT(title, ' ', body), embedding FROM "
                               f"gp_test.{table} ORDER BY id")
        self.assertTrue(rows)
        missing = [r[0] for r in rows if r[2] is None]
        self.assertEqual(missing, [], "rows left NULL")
        expected = self.genai_json([r[1] for r in rows])
        wrong = [r[0] for r, e in zip(rows, expected) if r[2] != e]
        self.assertEqual(wrong[:10], [], f"{len(wrong)} rows differ from GENAI:")
        return rows


class BackfillTest(JobsTestCase):
    def test_20000_rows_are_filled_with_what_genai_returns(self):
        self.make_table("docs", 20000)
        self.add_job(1, "docs", batch_size=64, concurrency=4)
        final = self.wait_job(1, ("done",))
        self.assertEqual(int(final["rows_done"]), 20000)
        self.assertEqual(int(final["rows_failed"]), 0)
        self.assertEqual(int(final["rows_total"]), 20000)
        self.assertEqual(str(final["last_key"]), "20000")
        # Each row went upstream once: nothing was embedded twice.
        self.assertEqual(self.service.stats()["documents"], 20000)
        self.assert_vectors_match_text("docs")
        usage = query(self.admin, "SELECT username, SUM(documents) FROM stats_genai_usage "
                                  "WHERE digest_text LIKE 'GENAI JOB 1%' GROUP BY username")
        self.assertEqual([(u, int(n)) for u, n in usage], [("app", 20000)])
        self.assertIn("genai job 1: backfill done: 20000 rows embedded, 0 failed",
                      self.proxy.logs())
        # The checkpoint is in the admin database on disk.
        cp = query(self.admin, "SELECT rows_done, position FROM disk.genai_job_checkpoints "
                               "WHERE job_id = 1")
        self.assertEqual(int(cp[0][0]), 20000)
        self.assertTrue(json.loads(cp[0][1])["done"])

    def test_null_and_blank_documents_stay_null_and_count_as_done(self):
        self.make_table("blanks", 10)
        self.db.execute("UPDATE gp_test.blanks SET title = NULL WHERE id IN (2, 3)")
        self.db.execute("UPDATE gp_test.blanks SET title = '   ' WHERE id = 4")
        self.add_job(2, "blanks", text="title", batch_size=4, concurrency=1)
        final = self.wait_job(2, ("done",))
        self.assertEqual(int(final["rows_done"]), 10)
        nulls = self.db.execute("SELECT id FROM gp_test.blanks WHERE embedding IS NULL ORDER BY id")
        self.assertEqual([r[0] for r in nulls], [2, 3, 4])
        self.assertEqual(self.service.stats()["documents"], 7)

    def test_rows_the_service_refuses_are_recorded_and_the_rest_filled(self):
        self.make_table("refused", 500)
        self.db.execute("UPDATE gp_test.refused SET body = CONCAT(body, ' __http_400__') "
                        "WHERE id IN (7, 130, 131, 499)")
        self.add_job(3, "refused", batch_size=32, concurrency=2)
        final = self.wait_job(3, ("done",))
        self.assertEqual(int(final["rows_failed"]), 4)
        self.assertEqual(int(final["rows_done"]), 496)
        nulls = self.db.execute("SELECT id FROM gp_test.refused WHERE embedding IS NULL "
                                "ORDER BY id")
        self.assertEqual([r[0] for r in nulls], [7, 130, 131, 499])
        errors = query(self.admin, "SELECT row_key, error_code, error_message FROM "
                                   "stats_genai_job_errors WHERE job_id = 3 ORDER BY row_key")
        self.assertEqual([str(e[0]) for e in errors], ["7", "130", "131", "499"])
        for _, code, message in errors:
            self.assertEqual(int(code), 9104)
            self.assertIn("HTTP 400", message)

    def test_a_user_without_privileges_gets_a_clear_job_error(self):
        self.make_table("locked", 20)
        self.add_job(4, "locked", user="reader")
        final = self.wait_job(4, ("failed",), timeout=30)
        self.assertIn("genai job 4", final["last_error"])
        self.assertIn("UPDATE command denied", final["last_error"])
        self.assertIn("reader", final["last_error"])
        self.assertIn("(1142)", final["last_error"])
        self.assertIn("UPDATE command denied", self.proxy.logs())
        self.assertEqual(self.db.execute("SELECT COUNT(*) FROM gp_test.locked WHERE embedding "
                                         "IS NOT NULL")[0][0], 0)

    def test_a_job_for_a_missing_user_or_table_says_so(self):
        self.add_job(5, "no_such_table")
        final = self.wait_job(5, ("failed",), timeout=30)
        self.assertIn("doesn't exist", final["last_error"])
        self.assertIn("(1146)", final["last_error"])


class OutageTest(JobsTestCase):
    def test_the_service_down_for_10_s_pauses_the_job_which_then_finishes(self):
        self.make_table("outage", 4000)
        self.service.control(delay_ms=20)
        self.add_job(6, "outage", batch_size=32, concurrency=2)
        self.wait_job(6, ("running",), rows_done=500, timeout=60)
        self.service.kill()
        down = time.monotonic()
        paused = self.wait_job(6, ("paused",), timeout=10)
        self.assertTrue(paused["last_error"])
        time.sleep(max(0.0, 10 - (time.monotonic() - down)))
        self.service.start()
        final = self.wait_job(6, ("done",), timeout=120)
        self.assertEqual(int(final["rows_done"]), 4000)
        self.assertEqual(int(final["rows_failed"]), 0)
        self.assertEqual(int(query(self.admin, "SELECT COUNT(*) FROM stats_genai_job_errors "
                                               "WHERE job_id = 6")[0][0]), 0)
        self.assert_vectors_match_text("outage")
        self.assertIn("genai job 6: paused", self.proxy.logs())


class RestartTest(JobsTestCase):
    def test_kill_9_mid_job_resumes_with_no_row_left_or_written_twice(self):
        rows = 20000
        self.make_table("resume", rows)
        self.db.execute("DROP TABLE IF EXISTS gp_test.resume_writes")
        self.db.execute("CREATE TABLE gp_test.resume_writes (id INT) ENGINE=InnoDB")
        self.db.execute("CREATE TRIGGER gp_test.resume_written AFTER UPDATE ON gp_test.resume "
                        "FOR EACH ROW INSERT INTO gp_test.resume_writes VALUES (NEW.id)")
        batch, concurrency = 64, 4
        self.service.control(delay_ms=20)
        self.add_job(7, "resume", batch_size=batch, concurrency=concurrency)
        deadline = time.monotonic() + 120
        while not query(self.admin, "SELECT 1 FROM disk.genai_job_checkpoints WHERE job_id = 7 "
                                    "AND rows_done >= 4000"):
            self.assertLess(time.monotonic(), deadline, self.job(7))
            time.sleep(0.05)
        self.proxy.stop(sig=signal.SIGKILL)
        before = self.db.execute("SELECT COUNT(*) FROM gp_test.resume WHERE embedding IS NOT "
                                 "NULL")[0][0]
        self.assertGreater(before, 0)
        self.assertLess(before, rows)
        self.proxy.start()
        self.admin = self.proxy.admin()
        final = self.wait_job(7, ("done",), timeout=180)
        self.assertIn("genai job 7: resuming", self.proxy.logs())
        self.assertEqual(self.db.execute("SELECT COUNT(*) FROM gp_test.resume WHERE embedding "
                                         "IS NULL")[0][0], 0)
        written = self.db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM "
                                  "gp_test.resume_writes")[0]
        self.assertEqual(written, (rows, rows), "a row was written twice")
        # At most the batches in flight at the kill went upstream twice.
        documents = self.service.stats()["documents"]
        self.assertGreaterEqual(documents, rows)
        self.assertLessEqual(documents, rows + batch * concurrency)
        self.assertGreaterEqual(int(final["rows_done"]), 4000)
        self.assert_vectors_match_text("resume")


class SyncTest(JobsTestCase):
    def test_inserts_and_updates_are_embedded_within_two_intervals(self):
        self.make_table("live", 1000, sync=True)
        self.add_job(8, "live", mode="sync", interval_s=1, batch_size=32, concurrency=2)
        self.wait_job(8, ("waiting",), rows_done=1000, timeout=60)
        self.db.execute("INSERT INTO gp_test.live (id, title, body) SELECT seq, "
                        "CONCAT('new ', seq), 'inserted later' FROM gp_test.seq_1001_to_1050")
        self.db.execute("UPDATE gp_test.live SET body = CONCAT('changed text ', id) "
                        "WHERE id BETWEEN 10 AND 59")
        changed_at = time.monotonic()
        deadline = changed_at + 2 * 1 + 1.5
        while time.monotonic() < deadline:
            stale = self.db.execute("SELECT COUNT(*) FROM gp_test.live WHERE embedding IS NULL")
            if stale[0][0] == 0 and int(self.job(8)["rows_done"]) >= 1100:
                break
            time.sleep(0.1)
        self.assertLess(time.monotonic() - changed_at, 2 * 1 + 1.5)
        self.assert_vectors_match_text("live")
        self.assertEqual(self.job(8)["state"], "waiting")

    def test_an_update_racing_a_write_is_never_overwritten_with_the_old_text(self):
        self.make_table("race", 64, sync=True)
        self.db.execute("DROP TABLE IF EXISTS gp_test.race_writes")
        self.db.execute("CREATE TABLE gp_test.race_writes (id INT, body TEXT, embedding "
                        "MEDIUMTEXT) ENGINE=InnoDB")
        self.db.execute("CREATE TRIGGER gp_test.race_written AFTER UPDATE ON gp_test.race "
                        "FOR EACH ROW INSERT INTO gp_test.race_writes VALUES "
                        "(NEW.id, NEW.body, NEW.embedding)")
        # Each upstream request takes a second: the application changes every row while
        # the job's first batch (its old text) is being embedded.
        self.service.control(delay_ms=1000)
        self.add_job(9, "race", mode="sync", interval_s=1, batch_size=64, concurrency=1)
        deadline = time.monotonic() + 20
        while self.service.stats()["in_flight"] == 0:
            self.assertLess(time.monotonic(), deadline, "the job sent nothing")
            time.sleep(0.02)
        self.db.execute("UPDATE gp_test.race SET body = CONCAT('newer text ', id)")
        self.service.control()
        deadline = time.monotonic() + 30
        while self.db.execute("SELECT COUNT(*) FROM gp_test.race WHERE embedding IS NULL")[0][0]:
            self.assertLess(time.monotonic(), deadline, "the rows were not embedded again")
            time.sleep(0.1)
        self.assert_vectors_match_text("race")
        old = self.genai_json([f"title {i} body of row {i} about {i % 97}" for i in range(1, 65)])
        stored = self.db.execute("SELECT embedding FROM gp_test.race_writes WHERE embedding IS "
                                 "NOT NULL")
        self.assertTrue(stored)
        self.assertFalse(set(r[0] for r in stored) & set(old),
                         "a vector of the old text was written over the newer one")


if __name__ == "__main__":
    unittest.main()

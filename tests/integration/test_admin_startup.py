"""Startup with an invalid disk database: what ProxySQL's tools leave on disk (they SAVE TO DISK
before they LOAD TO RUNTIME) never keeps the proxy from starting. Each invalid value takes its
default, each invalid row is left out of the runtime, and the log names both; LOAD ... TO RUNTIME
itself stays all-or-nothing."""
import unittest

import pymysql

import harness


class StartupFromABadDiskTest(unittest.TestCase):
    def test_bad_value_and_bad_row_on_disk_start_and_are_logged(self):
        with harness.Proxy(users=[{"username": "good", "password": "pw"}]) as proxy:
            conn = proxy.admin()
            # Plain SQL, as the Ansible modules write: nothing checks the values until LOAD.
            harness.query(conn, "UPDATE global_variables SET variable_value = '0' "
                                "WHERE variable_name = 'genai-threads'")
            harness.query(conn, "UPDATE global_variables SET variable_value = '77' "
                                "WHERE variable_name = 'genai-max_documents'")
            harness.query(conn, "INSERT INTO mysql_users (username, password, default_hostgroup) "
                                "VALUES ('broken', 'pw', -1)")
            # LOAD refuses the whole module and publishes nothing of it.
            with self.assertRaises(pymysql.err.MySQLError) as ctx:
                harness.query(conn, "LOAD GENAI VARIABLES TO RUNTIME")
            self.assertEqual(ctx.exception.args[0], 1231)
            self.assertEqual(harness.query(conn, "SELECT variable_value FROM runtime_global_variables "
                                                 "WHERE variable_name = 'genai-max_documents'"),
                             (("10000",),))
            with self.assertRaises(pymysql.err.MySQLError):
                harness.query(conn, "LOAD MYSQL USERS TO RUNTIME")
            harness.query(conn, "SAVE GENAI VARIABLES TO DISK")
            harness.query(conn, "SAVE MYSQL USERS TO DISK")
            conn.close()

            proxy.restart()
            logs = proxy.logs()
            self.assertIn("genai-threads", logs)
            self.assertRegex(logs, r"startup: genai-threads: .*'0'.*using the default '4'")
            self.assertRegex(logs, r"startup: mysql_users row 'broken': default_hostgroup .*left out")

            conn = proxy.admin()
            runtime = dict(harness.query(conn, "SELECT variable_name, variable_value FROM "
                                               "runtime_global_variables WHERE variable_name IN "
                                               "('genai-threads', 'genai-max_documents')"))
            # The invalid value took its default; the valid one next to it was loaded.
            self.assertEqual(runtime, {"genai-threads": "4", "genai-max_documents": "77"})
            users = [r[0] for r in harness.query(conn, "SELECT DISTINCT username FROM runtime_mysql_users "
                                                       "ORDER BY username")]
            self.assertEqual(users, ["good"])
            # Memory keeps what the disk holds, so that the administrator can see and fix it.
            self.assertEqual([str(r[0]) for r in harness.query(
                conn, "SELECT default_hostgroup FROM mysql_users WHERE username = 'broken'")], ["-1"])
            conn.close()
            proxy.client(user="good", password="pw").close()
            with self.assertRaises(pymysql.err.OperationalError):
                proxy.client(user="broken", password="pw")


if __name__ == "__main__":
    unittest.main()

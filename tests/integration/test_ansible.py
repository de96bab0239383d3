"""The Ansible collection community.proxysql (Debian's `ansible` package) manages genaiproxy's
admin interface: backend servers, users, mysql- and genai- variables, manage_config and info.
A second run of the same playbook changes nothing."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ansible", "playbook.yml")


def run_playbook(admin_port, backend_port, home):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_HOME": home,
        "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    })
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", PLAYBOOK,
                           "-e", "admin_port=%d" % admin_port, "-e", "backend_port=%d" % backend_port],
                          capture_output=True, text=True, env=env, timeout=300)
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                      proc.stdout)
    return proc, recap


@unittest.skipUnless(shutil.which("ansible-playbook"), "ansible is not installed (scripts/install-deps.sh)")
class AnsibleTest(unittest.TestCase):
    def test_playbook_applies_then_changes_nothing(self):
        backend_port = harness.free_port()  # no server needed: the rows are what is managed
        home = tempfile.mkdtemp(prefix="gp-ansible-")
        try:
            with harness.Proxy() as proxy:
                first, recap = run_playbook(proxy.admin_port, backend_port, home)
                self.assertIsNotNone(recap, first.stdout + first.stderr)
                self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
                self.assertEqual(recap.group(4), "0", first.stdout)
                # servers, users (+ its handler), two variables (+ the genai handler)
                self.assertEqual(recap.group(2), "6", first.stdout)

                conn = proxy.admin()
                servers = harness.query(conn, "SELECT hostname, port, max_connections, comment "
                                              "FROM runtime_mysql_servers WHERE hostgroup_id = 0")
                self.assertEqual([tuple(str(v) for v in row) for row in servers],
                                 [("127.0.0.1", str(backend_port), "200", "managed by ansible")])
                self.assertEqual(len(harness.query(conn, "SELECT 1 FROM disk.mysql_users "
                                                         "WHERE username = 'ansible_app'")), 1)
                for name, value in (("mysql-max_connections", "2048"),
                                    ("genai-batch_max_documents", "32")):
                    self.assertEqual(harness.query(conn, "SELECT variable_value FROM runtime_global_variables "
                                                         "WHERE variable_name = '%s'" % name), ((value,),))
                    self.assertEqual(harness.query(conn, "SELECT variable_value FROM disk.global_variables "
                                                         "WHERE variable_name = '%s'" % name), ((value,),))
                conn.close()
                # The user reaches the client interface.
                proxy.client(user="ansible_app", password="ansible-pw").close()

                second, recap = run_playbook(proxy.admin_port, backend_port, home)
                self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
                self.assertIsNotNone(recap, second.stdout)
                self.assertEqual(recap.group(2), "0", second.stdout)
        finally:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()

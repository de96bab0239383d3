"""Driver suite: PyMySQL (client-side interpolation, autocommit off by default)."""
import sys

import pymysql

from cases import HOST, TLS_CA, Suite, wants_tls


def connect(port, user, password, database=None, client_flag=0):
    tls = {"ssl_ca": TLS_CA, "ssl_verify_cert": True} if wants_tls(port) else {}
    return pymysql.connect(host=HOST, port=port, user=user, password=password, database=database,
                           charset="utf8mb4", connect_timeout=10, read_timeout=60,
                           client_flag=client_flag, **tls)


def error_code(e):
    return e.args[0] if isinstance(e, pymysql.MySQLError) and e.args else None


if __name__ == "__main__":
    print(f"# PyMySQL {pymysql.__version__}", file=sys.stderr)
    sys.exit(Suite("pymysql", connect, error_code).run())

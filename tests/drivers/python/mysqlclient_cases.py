"""Driver suite: mysqlclient (MySQLdb over libmariadb; client-side interpolation, autocommit off)."""
import sys

import MySQLdb

from cases import HOST, TLS_CA, Suite, wants_tls


def connect(port, user, password, database=None, client_flag=0):
    kw = {"host": HOST, "port": port, "user": user, "password": password, "charset": "utf8mb4",
          "connect_timeout": 10, "read_timeout": 60, "client_flag": client_flag}
    if database:
        kw["database"] = database
    if wants_tls(port):
        kw["ssl"] = {"ca": TLS_CA}
    return MySQLdb.connect(**kw)


def error_code(e):
    return e.args[0] if isinstance(e, MySQLdb.MySQLError) and e.args else None


if __name__ == "__main__":
    print(f"# mysqlclient {'.'.join(map(str, MySQLdb.version_info[:3]))}", file=sys.stderr)
    sys.exit(Suite("mysqlclient", connect, error_code).run())

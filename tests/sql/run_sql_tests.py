"""Runs the data-driven specification files (tests/sql/*.test) against the real binary.

    run_sql_tests.py [FILE.test ...]     (default: every tests/sql/*.test)

Starts one private MariaDB and one genaiproxy (lexical: provider) for the whole run; the
format of the files is described in tests/sql/README.md. Exits 1 if any record fails.
"""
import json
import math
import os
import re
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import pymysql  # noqa: E402
from pymysql.constants import CLIENT, FIELD_TYPE, FLAG  # noqa: E402
from pymysql.protocol import FieldDescriptorPacket  # noqa: E402

import harness  # noqa: E402
from mariadb import MariaDB  # noqa: E402

# Who each connection name logs in as (the proxy's users are configured in main()), and whether
# it announces CLIENT_MULTI_STATEMENTS.
CONNECTIONS = {
    "client": ("client_port", "app", "secret", False),
    "genai": ("client_port", "genai", "genai-pw", False),
    "admin": ("admin_port", "admin", "admin", False),
    "client-multi": ("client_port", "app", "secret", True),
    "genai-multi": ("client_port", "genai", "genai-pw", True),
}
COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_CLOSE = 0x16, 0x17, 0x19
INTEGER_TYPES = {FIELD_TYPE.TINY, FIELD_TYPE.SHORT, FIELD_TYPE.LONG, FIELD_TYPE.LONGLONG,
                 FIELD_TYPE.INT24, FIELD_TYPE.YEAR}
REAL_TYPES = {FIELD_TYPE.FLOAT, FIELD_TYPE.DOUBLE, FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL}


class Record:
    def __init__(self, line, kind, args):
        self.line, self.kind, self.args = line, kind, args
        self.sql, self.columns, self.expected, self.options = "", None, None, []
        self.params = None  # a list (maybe empty): run with COM_STMT_PREPARE / COM_STMT_EXECUTE


def parse(path):
    """The file as a list of Records, one per blank-line-separated block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    records, i = [], 0
    while i < len(lines):
        if not lines[i].strip() or lines[i].startswith("#"):
            i += 1
            continue
        start, block = i + 1, []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        words = block[0].split()
        rec = Record(start, words[0], words[1:])
        body = [b for b in block[1:] if not b.startswith("#")]
        if rec.kind == "query":
            rec.options = words[2:]
        if rec.kind in ("query", "statement"):
            while body and body[0].startswith(("columns:", "params:")):
                head = body.pop(0)
                if head.startswith("columns:") and rec.kind == "query":
                    rec.columns = split_columns(head[len("columns:"):])
                elif head.startswith("params:"):
                    text = head[len("params:"):].lstrip(" ")
                    rec.params = [unescape(v) for v in text.split("\t")] if text else []
                else:
                    raise SyntaxError(f"{path}:{start}: columns: is for query records")
        elif rec.kind not in ("statement", "connection", "reconnect", "require"):
            raise SyntaxError(f"{path}:{start}: unknown directive {rec.kind!r}")
        if rec.kind in ("query", "statement") and "----" in body:
            cut = body.index("----")
            body, rec.expected = body[:cut], body[cut + 1:]
        rec.sql = "\n".join(body)
        records.append(rec)
    return records


def split_columns(text):
    """The names of a columns: line: split at commas outside parentheses and quotes, so that a
    name such as GENAI_RERANK('q', body) stays whole."""
    names, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "," and depth == 0:
            names.append(current.strip())
            current = ""
            continue
        current += ch
    return names + [current.strip()]


def unescape(cell):
    """A parameter as written in a .test file: NULL, (empty), or text with \\t \\n \\r \\\\."""
    if cell == "NULL":
        return None
    if cell == "(empty)":
        return ""
    return re.sub(r"\\([tnr\\])", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), "\\"),
                  cell)


def escape(text):
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def shown(value):
    """A cell as written in a .test file."""
    if value is None:
        return "NULL"
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + bytes(value).hex().upper()
    return "(empty)" if value == "" else escape(str(value))


def is_number(text):
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return False


def cell_matches(expected, value):
    """One expected cell (text or <pattern>) against one returned value."""
    if expected == "<any>":
        return True
    if value is None or expected == "NULL":
        return expected == "NULL" and value is None
    raw = bytes(value) if isinstance(value, (bytes, bytearray)) else str(value).encode()
    m = re.fullmatch(r"<(vector|json-vector|blob|number|regex)(?::(.*))?>", expected, re.S)
    if not m:
        return expected == shown(value)
    kind, arg = m.groups()
    if kind == "blob":
        return len(raw) == int(arg)
    text = raw.decode("utf-8", "replace")
    if kind == "number":
        return is_number(text)
    if kind == "regex":
        return re.fullmatch(arg, text, re.S) is not None
    if kind == "json-vector":
        try:
            items = json.loads(text)
        except ValueError:
            return False
        return (text.startswith("[") and isinstance(items, list) and len(items) == int(arg)
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items))
    items = text.split(",")
    return len(items) == int(arg) and all(is_number(x) for x in items)


def type_letter(type_code):
    return "I" if type_code in INTEGER_TYPES else "R" if type_code in REAL_TYPES else "T"


class FileRun:
    def __init__(self, path, proxy):
        self.path, self.proxy = path, proxy
        self.conns, self.current, self.failures, self.saved = {}, None, [], {}

    def fail(self, rec, message):
        self.failures.append(f"{os.path.basename(self.path)}:{rec.line}: {message}\n"
                             + "".join(f"    | {line}\n" for line in rec.sql.split("\n")))

    def connection(self, name, fresh=False):
        if name not in CONNECTIONS:
            raise SyntaxError(f"{self.path}: unknown connection {name!r}")
        if fresh and name in self.conns:
            self.conns.pop(name).close()
        if name not in self.conns:
            port, user, password, multi = CONNECTIONS[name]
            # conv={}: every value as the server sent it (text, or bytes for binary columns).
            self.conns[name] = pymysql.connect(host="127.0.0.1", port=getattr(self.proxy, port),
                                               user=user, password=password, autocommit=True,
                                               conv={}, charset="utf8mb4",
                                               client_flag=CLIENT.MULTI_STATEMENTS if multi else 0)
        return self.conns[name]

    def execute(self, rec):
        """[(description, rows)]: one entry per result (several for a multi-statement query)."""
        conn = self.connection(self.current or "client")
        if rec.params is not None:
            return [prepared(conn, rec.sql, rec.params)]
        results = []
        with conn.cursor() as cur:
            cur.execute(rec.sql)
            while True:
                results.append((cur.description or (), [list(r) for r in cur.fetchall()]))
                if not cur.nextset():
                    return results

    def run(self):
        for rec in parse(self.path):
            if rec.kind in ("connection", "reconnect"):
                self.current = rec.args[0]
                self.connection(rec.args[0], fresh=rec.kind == "reconnect")
            elif rec.kind == "require":
                pass  # every run has a backend (the only requirement so far)
            elif rec.kind == "statement":
                self.statement(rec)
            else:
                self.query(rec)
        for conn in self.conns.values():
            conn.close()
        return self.failures

    def statement(self, rec):
        try:
            results = self.execute(rec)
        except pymysql.err.MySQLError as e:
            code, message = (e.args + ("",))[:2]
            if rec.args[0] != "error":
                self.fail(rec, f"expected success, got error {code}: {message}")
            elif str(code) != rec.args[1] or not all(
                    f in str(message) for f in [" ".join(rec.args[2:])] + (rec.expected or [])):
                wanted = " ".join(rec.args[1:] + (rec.expected or []))
                self.fail(rec, f"expected error {wanted}, got {code}: {message}")
            return
        if rec.args[0] == "error":
            self.fail(rec, f"expected error {' '.join(rec.args[1:])}, but it succeeded")
        elif any(description for description, _ in results):
            self.fail(rec, "expected an OK answer, got a result set (use query)")

    def query(self, rec):
        try:
            results = self.execute(rec)
        except pymysql.err.MySQLError as e:
            self.fail(rec, f"query failed: {e.args[0]}: {e.args[1] if len(e.args) > 1 else ''}")
            return
        spec = rec.args[0] if rec.args else ""
        # Several results (multi-statements): their types joined by ",", "-" for an OK answer;
        # their rows one after the other.
        types = ",".join("".join(type_letter(d[1]) for d in description) or "-"
                         for description, _ in results) if len(results) > 1 else \
            "".join(type_letter(d[1]) for d in results[0][0])
        names = [d[0] for description, _ in results for d in description]
        rows = [row for _, result_rows in results for row in result_rows]
        actual = ["\t".join(shown(v) for v in row) for row in rows]
        if "rowsort" in rec.options:
            order = sorted(range(len(rows)), key=lambda k: actual[k])
            rows, actual = [rows[k] for k in order], [actual[k] for k in order]
        problems = []
        if types != spec:
            problems.append(f"column types {types}, expected {spec}")
        if rec.columns is not None and names != rec.columns:
            problems.append(f"columns {','.join(names)}, expected {','.join(rec.columns)}")
        if rec.expected is not None:
            expected = sorted(rec.expected) if "rowsort" in rec.options else rec.expected
            if len(expected) != len(rows) or not all(
                    self.row_matches(e, r) for e, r in zip(expected, rows)):
                problems.append("rows differ")
        for option in rec.options:
            verb, _, label = option.partition(":")
            if verb == "save":
                self.saved[label] = actual
            elif verb in ("same", "differs") and (self.saved.get(label) == actual) != (verb == "same"):
                problems.append(f"result {'differs from' if verb == 'same' else 'equals'} {label!r}"
                                f" {self.saved.get(label)}")
        if problems:
            text = "; ".join(problems)
            if rec.expected is not None and "rows differ" in problems:
                text += "\n  expected:\n" + "".join(f"    {e}\n" for e in rec.expected)
                text += "  actual:\n" + "".join(f"    {a}\n" for a in actual)
            self.fail(rec, text)

    @staticmethod
    def row_matches(expected_line, row):
        cells = expected_line.split("\t")
        return len(cells) == len(row) and all(cell_matches(c, v) for c, v in zip(cells, row))


def read_columns(conn, count):
    columns = [conn._read_packet(FieldDescriptorPacket) for _ in range(count)]
    if count:
        conn._read_packet()  # EOF: PyMySQL does not announce CLIENT_DEPRECATE_EOF
    return columns


def binary_value(packet, column):
    """One value of a binary-protocol row, as the text protocol would show it (bytes for strings)."""
    unsigned = column.flags & FLAG.UNSIGNED
    sizes = {FIELD_TYPE.TINY: "b", FIELD_TYPE.SHORT: "h", FIELD_TYPE.YEAR: "h",
             FIELD_TYPE.INT24: "i", FIELD_TYPE.LONG: "i", FIELD_TYPE.LONGLONG: "q"}
    if column.type_code in sizes:
        fmt = sizes[column.type_code]
        return str(packet.read_struct("<" + (fmt.upper() if unsigned else fmt))[0])
    if column.type_code in (FIELD_TYPE.FLOAT, FIELD_TYPE.DOUBLE):
        value = packet.read_struct("<f" if column.type_code == FIELD_TYPE.FLOAT else "<d")[0]
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if column.type_code in (FIELD_TYPE.DATE, FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP,
                            FIELD_TYPE.TIME):
        return packet.read(packet.read_uint8()).hex()  # not needed by any file so far
    return packet.read_length_coded_string()


def prepared(conn, sql, params):
    """COM_STMT_PREPARE, COM_STMT_EXECUTE with params as strings (NULL for None), COM_STMT_CLOSE.

    A parameter count other than len(params) is reported as an error of the record."""
    conn._execute_command(COM_STMT_PREPARE, sql)
    ok = conn._read_packet()
    ok.advance(1)
    stmt_id, column_count, param_count = ok.read_struct("<IHH")
    read_columns(conn, param_count)
    read_columns(conn, column_count)
    try:
        if param_count != len(params):
            raise pymysql.err.ProgrammingError(
                0, f"the statement has {param_count} parameters, the record gives {len(params)}")
        body = struct.pack("<IBI", stmt_id, 0, 1)
        if params:
            nulls = bytearray((len(params) + 7) // 8)
            for i, value in enumerate(params):
                if value is None:
                    nulls[i // 8] |= 1 << (i % 8)
            body += bytes(nulls) + b"\x01"
            body += b"".join(bytes([FIELD_TYPE.NULL if v is None else FIELD_TYPE.VAR_STRING, 0])
                             for v in params)
            for value in params:
                if value is not None:
                    data = value.encode("utf-8")
                    assert len(data) < 1 << 24
                    body += (bytes([len(data)]) if len(data) < 251
                             else b"\xfc" + struct.pack("<H", len(data)) if len(data) < 1 << 16
                             else b"\xfd" + struct.pack("<I", len(data))[:3]) + data
        conn._execute_command(COM_STMT_EXECUTE, body)
        first = conn._read_packet()
        if first.is_ok_packet():
            return (), []
        columns = read_columns(conn, first.read_length_encoded_integer())
        rows = []
        while True:
            packet = conn._read_packet()
            if packet.is_eof_packet():
                break
            packet.advance(1)
            nulls = packet.read((len(columns) + 9) // 8)
            rows.append([None if nulls[(i + 2) // 8] & (1 << ((i + 2) % 8))
                         else binary_value(packet, c) for i, c in enumerate(columns)])
        return [(c.name, c.type_code) for c in columns], rows
    finally:
        conn._execute_command(COM_STMT_CLOSE, struct.pack("<I", stmt_id))


def start_stack():
    db = MariaDB().start()
    users = [{"username": "app", "password": "secret", "default_hostgroup": 0},
             {"username": "genai", "password": "genai-pw", "default_hostgroup": 99}]
    proxy = harness.Proxy(genai={"embedding_uri": "lexical:", "rerank_uri": "lexical:"},
                          users=users, servers=[db.server()],
                          env={"GP_SQL_TEST_KEY": "key-from-env"})
    try:
        proxy.start()
    except Exception:
        db.cleanup()
        raise
    return db, proxy


def main(argv):
    files = argv[1:] or sorted(os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".test"))
    started = time.monotonic()
    db, proxy = start_stack()
    failed = 0
    try:
        for path in files:
            t0 = time.monotonic()
            try:
                failures = FileRun(path, proxy).run()
            except (SyntaxError, pymysql.err.MySQLError, OSError) as e:
                failures = [f"{os.path.basename(path)}: aborted: {e}"]
            status = "ok" if not failures else f"FAILED ({len(failures)})"
            print(f"{os.path.basename(path)}: {status} [{time.monotonic() - t0:.2f}s]")
            for failure in failures:
                print("  " + failure.replace("\n", "\n  ").rstrip())
            failed += bool(failures)
    finally:
        proxy.cleanup()
        db.cleanup()
    print(f"{len(files) - failed}/{len(files)} files passed in {time.monotonic() - started:.1f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The driver-suite cases for a Python DB-API driver (PyMySQL, mysqlclient).

Both drivers interpolate parameters on the client side (`%s` becomes a quoted
SQL string literal) and default to autocommit off. The entry programs
(pymysql_cases.py, mysqlclient_cases.py) give `connect` and `error_code`.
"""
import json
import math
import os
import struct
import sys
import traceback

HOST = os.environ.get("GP_HOST", "127.0.0.1")
PORT = int(os.environ.get("GP_PORT", "6033"))
ADMIN_PORT = int(os.environ.get("GP_ADMIN_PORT", "6032"))
DB_PORT = int(os.environ.get("GP_DB_PORT", "3306"))
# Set: connections to the proxy (not to MariaDB directly) use TLS, verified against this CA.
TLS_CA = os.environ.get("GP_TLS_CA")


def wants_tls(port):
    return bool(TLS_CA) and port != DB_PORT

EMBED = {"type": "embed", "documents": ["hello world", "second doc"]}
EMBED_SQL = "GENAI: " + json.dumps(EMBED)
RERANK = {"type": "rerank", "query": "red fruit", "documents": ["the sky is blue", "an apple is red"]}
RERANK_SQL = "GENAI: " + json.dumps(RERANK)
RERANK_PARAMS_SQL = 'GENAI: {"type":"rerank","query":%s,"documents":[%s,%s]}'
RERANK_PARAMS = (RERANK["query"],) + tuple(RERANK["documents"])
DIMENSIONS = 384

# The SQL-function cases (docs/SQL.md): a table of these documents, filled with
# INSERT ... GENAI_EMBED(%s), then a hybrid search over the ones LIKE '%fruit%'. The lexical
# provider's BM25 ranks the top three in this order whether the four candidates are scored in
# one upstream request or one at a time (batching must not change the answer).
DOCS = ["an apple is a red fruit", "the sky is blue", "red fruit salad with red cherries",
        "a banana is a yellow fruit", "hello world", "fruit flies love fruit", "red cars go fast"]
RERANK_QUERY = "red fruit"
RERANK_LIKE = "%fruit%"
RERANK_TOP = ["red fruit salad with red cherries", "an apple is a red fruit", "fruit flies love fruit"]
MYSQL_TYPE_DOUBLE = 5
MYSQL_TYPE_BLOB = 252
CLIENT_MULTI_STATEMENTS = 1 << 16


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def text(v):
    return v.decode("utf-8") if isinstance(v, (bytes, bytearray)) else str(v)


class Suite:
    def __init__(self, stack, connect, error_code):
        self.stack = stack
        self.connect = connect          # connect(port, user, password, database=None, client_flag=0) -> DB-API connection
        self.error_code = error_code    # error_code(exception) -> int or None
        self.failed = 0
        self.table = f"drv_{stack}"

    def case(self, name, fn):
        try:
            fn()
            print(f"ok {name}", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, the suite goes on
            self.failed += 1
            reason = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
            print(f"FAIL {name}: {reason}".replace("\n", " | "), flush=True)
            if not isinstance(e, Failure) and self.error_code(e) is None:
                traceback.print_exc(file=sys.stderr)  # not a server error: show where

    # Helpers --------------------------------------------------------------------------------
    def query(self, conn, sql, args=None):
        cur = conn.cursor()
        try:
            cur.execute(sql, args)
            columns = [d[0] for d in cur.description] if cur.description else []
            return columns, list(cur.fetchall())
        finally:
            cur.close()

    def described(self, conn, sql, args=None):
        """Like query, with the column type codes of the result as a third element."""
        cur = conn.cursor()
        try:
            cur.execute(sql, args)
            columns = [d[0] for d in cur.description] if cur.description else []
            types = [d[1] for d in cur.description] if cur.description else []
            return columns, list(cur.fetchall()), types
        finally:
            cur.close()

    def embedding(self, value, what):
        """A GENAI_EMBED value: a JSON array of DIMENSIONS numbers of norm 1."""
        try:
            v = json.loads(text(value))
        except ValueError:
            raise Failure(f"{what}: not JSON: {text(value)[:80]}") from None
        check(isinstance(v, list) and len(v) == DIMENSIONS,
              f"{what}: {len(v) if isinstance(v, list) else type(v).__name__}, expected {DIMENSIONS} numbers")
        check(all(isinstance(x, (int, float)) and math.isfinite(x) for x in v), f"{what}: not all numbers")
        norm = math.sqrt(sum(x * x for x in v))
        check(abs(norm - 1.0) < 1e-3, f"{what}: L2 norm {norm}, expected 1")
        return v

    def direct(self):
        """A connection straight to MariaDB (not through the proxy), autocommit on."""
        conn = self.connect(DB_PORT, "app", "secret", "gp_test")
        self.query(conn, "SET autocommit=1")
        return conn

    def count_rows(self, conn, row_id):
        _, rows = self.query(conn, f"SELECT COUNT(*) FROM {self.table} WHERE id = {row_id}")
        return int(rows[0][0])

    def vectors(self, columns, rows):
        check(columns == ["embedding"], f"columns {columns}, expected ['embedding']")
        check(len(rows) == 2, f"{len(rows)} rows, expected 2")
        out = []
        for i, row in enumerate(rows):
            parts = text(row[0]).split(",")
            check(len(parts) == DIMENSIONS, f"row {i}: {len(parts)} numbers, expected {DIMENSIONS}")
            v = [float(p) for p in parts]
            norm = math.sqrt(sum(x * x for x in v))
            check(abs(norm - 1.0) < 1e-3, f"row {i}: L2 norm {norm}, expected 1")
            out.append(v)
        check(out[0] != out[1], "the two documents have the same vector")
        return out

    def reranked(self, columns, rows):
        check(columns == ["index", "score", "document"], f"columns {columns}")
        check(len(rows) == 2, f"{len(rows)} rows, expected 2")
        out = [(int(r[0]), float(r[1]), text(r[2])) for r in rows]
        check(out[0][0] == 1 and out[0][2] == "an apple is red", f"first row {out[0]}, expected index 1")
        check(out[0][1] > out[1][1], f"scores not in descending order: {out}")
        return out

    def expect_error(self, conn, sql, code, args=None):
        try:
            self.query(conn, sql, args)
        except Exception as e:  # noqa: BLE001
            got = self.error_code(e)
            check(got == code, f"error code {got} ({e}), expected {code}")
            return
        raise Failure(f"no error, expected {code}")

    # Cases ----------------------------------------------------------------------------------
    def run(self):
        self.case("select1", self.select1)
        self.case("embed_text", self.embed_text)
        self.case("rerank_text", self.rerank_text)
        self.case("embed_interpolated", self.embed_interpolated)
        self.case("rerank_interpolated", self.rerank_interpolated)
        self.setup_table()
        self.case("tx_rollback", self.tx_rollback)
        self.case("tx_commit", self.tx_commit)
        self.case("genai_user_embed_text", self.genai_user_text)
        self.case("genai_user_embed_interpolated", self.genai_user_interpolated)
        self.case("admin_show_variables", self.admin_show_variables)
        self.case("admin_set_load_runtime", self.admin_set_load_runtime)
        self.case("bad_statement", self.bad_statement)
        self.drop_table()
        self.case("sql_embed_insert_interpolated", self.sql_embed_insert)
        self.case("sql_rerank_hybrid_interpolated", self.sql_rerank_hybrid)
        self.drop_table(self.table + "_docs")
        self.case("sql_embed_binary_null_interpolated", self.sql_embed_binary_null)
        self.setup_table()
        self.case("sql_error_keeps_transaction_interpolated", self.sql_error_keeps_transaction)
        self.drop_table()
        self.case("sql_embed_no_backend", self.sql_embed_no_backend)
        self.case("sql_multi_statement", self.sql_multi_statement)
        return 1 if self.failed else 0

    def app(self):
        return self.connect(PORT, "app", "secret", "gp_test")

    def select1(self):
        conn = self.app()
        try:
            _, rows = self.query(conn, "SELECT 1")
            check(rows == [(1,)], f"rows {rows}")
        finally:
            conn.close()

    def embed_text(self):
        conn = self.app()
        try:
            first = self.vectors(*self.query(conn, EMBED_SQL))
            second = self.vectors(*self.query(conn, EMBED_SQL))
            check(first == second, "the same text gave different vectors on two calls")
            self.reference_vectors = first
        finally:
            conn.close()

    def rerank_text(self):
        conn = self.app()
        try:
            self.reference_rerank = self.reranked(*self.query(conn, RERANK_SQL))
        finally:
            conn.close()

    def embed_interpolated(self):
        conn = self.app()
        try:
            got = self.vectors(*self.query(conn, "GENAI: %s", (json.dumps(EMBED),)))
            check(got == getattr(self, "reference_vectors", None), "vectors differ from the text query's")
        finally:
            conn.close()

    def rerank_interpolated(self):
        conn = self.app()
        try:
            whole = self.reranked(*self.query(conn, "GENAI: %s", (json.dumps(RERANK),)))
            check(whole == getattr(self, "reference_rerank", None), f"GENAI: %s gave {whole}")
            values = self.reranked(*self.query(conn, RERANK_PARAMS_SQL, RERANK_PARAMS))
            check(values == self.reference_rerank, f"%s in JSON values gave {values}")
        finally:
            conn.close()

    def setup_table(self):
        try:
            conn = self.direct()
            self.query(conn, f"DROP TABLE IF EXISTS {self.table}")
            self.query(conn, f"CREATE TABLE {self.table} (id INT PRIMARY KEY, body TEXT)")
            conn.close()
        except Exception as e:  # noqa: BLE001 - the transaction cases then fail on their own
            print(f"# could not create {self.table}: {e}", file=sys.stderr)

    def drop_table(self, table=None):
        try:
            conn = self.direct()
            self.query(conn, f"DROP TABLE IF EXISTS {table or self.table}")
            conn.close()
        except Exception:  # noqa: BLE001
            pass

    def transaction(self, row_id, finish):
        conn = self.app()  # autocommit off: the drivers' default
        try:
            conn.begin()
            self.query(conn, f"INSERT INTO {self.table} VALUES ({row_id}, 'in a transaction')")
            self.vectors(*self.query(conn, EMBED_SQL))
            finish(conn)
            return self.count_rows(conn, row_id)
        finally:
            conn.close()

    def tx_rollback(self):
        same = self.transaction(1, lambda c: c.rollback())
        check(same == 0, "after rollback() the row is still there on the same connection "
                         "(the driver sent no ROLLBACK?)")
        other = self.direct()
        try:
            check(self.count_rows(other, 1) == 0, "rolled-back row visible from another connection")
        finally:
            other.close()

    def tx_commit(self):
        self.transaction(2, lambda c: c.commit())
        other = self.direct()
        try:
            check(self.count_rows(other, 2) == 1, "committed row not visible from another connection")
        finally:
            other.close()

    def genai_user_text(self):
        conn = self.connect(PORT, "genai", "genai-pw")
        try:
            check(self.vectors(*self.query(conn, EMBED_SQL)) == getattr(self, "reference_vectors", None),
                  "vectors differ from user app's")
        finally:
            conn.close()

    def genai_user_interpolated(self):
        conn = self.connect(PORT, "genai", "genai-pw")
        try:
            got = self.vectors(*self.query(conn, "GENAI: %s", (json.dumps(EMBED),)))
            check(got == getattr(self, "reference_vectors", None), "vectors differ from the text query's")
        finally:
            conn.close()

    def admin(self):
        conn = self.connect(ADMIN_PORT, "admin", "admin")
        return conn

    def admin_show_variables(self):
        conn = self.admin()
        try:
            columns, rows = self.query(conn, "SHOW VARIABLES LIKE 'genai-%'")
            check(len(columns) == 2, f"{len(columns)} columns, expected 2 (name, value)")
            names = {text(r[0]): text(r[1]) for r in rows}
            check(all(n.startswith("genai-") for n in names), f"names {sorted(names)}")
            check(names.get("genai-max_documents") == "10000",
                  f"genai-max_documents = {names.get('genai-max_documents')}")
        finally:
            conn.close()

    def admin_set_load_runtime(self):
        conn = self.admin()
        sql = "SELECT variable_value FROM runtime_global_variables WHERE variable_name='genai-max_documents'"
        try:
            self.query(conn, "SET genai-max_documents = 5000")
            self.query(conn, "LOAD GENAI VARIABLES TO RUNTIME")
            _, rows = self.query(conn, sql)
            check([text(r[0]) for r in rows] == ["5000"], f"runtime value {rows}, expected 5000")
        finally:
            self.query(conn, "SET genai-max_documents = 10000")
            self.query(conn, "LOAD GENAI VARIABLES TO RUNTIME")
            _, rows = self.query(conn, sql)
            conn.close()
        check([text(r[0]) for r in rows] == ["10000"], f"runtime value {rows} after setting it back")

    def bad_statement(self):
        conn = self.app()
        try:
            self.expect_error(conn, 'GENAI: {"type":"embed","documents":[]}', 9101)
            _, rows = self.query(conn, "SELECT 1")
            check(rows == [(1,)], f"SELECT 1 after the error gave {rows}")
        finally:
            conn.close()

    # SQL functions ----------------------------------------------------------------------------
    # The driver interpolates %s, so the proxy sees GENAI_EMBED('...') with a string constant.
    def sql_embed_insert(self):
        docs = self.table + "_docs"
        conn = self.direct()
        try:
            self.query(conn, f"DROP TABLE IF EXISTS {docs}")
            self.query(conn, f"CREATE TABLE {docs} (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT, emb TEXT)")
        finally:
            conn.close()
        self.doc_ids = {}
        conn = self.app()
        try:
            for body in DOCS:
                self.query(conn, f"INSERT INTO {docs} (body, emb) VALUES (%s, GENAI_EMBED(%s))", (body, body))
            conn.commit()
            _, rows = self.query(conn, f"SELECT id, body, emb FROM {docs} ORDER BY id")
            check([text(r[1]) for r in rows] == DOCS, f"bodies {[text(r[1]) for r in rows]}")
            for row_id, body, emb in rows:
                body, emb = text(body), text(emb)
                self.doc_ids[body] = int(row_id)
                stored = self.embedding(emb, f"emb of '{body}'")
                call = f"GENAI_EMBED('{body}')"
                columns, ref = self.query(conn, f"SELECT {call}")
                check(columns == [call], f"an unaliased item is named by its call text; columns were {columns}")
                check(text(ref[0][0]) == emb,
                      f"'{body}': stored {emb[:60]}..., SELECT {call} gave {text(ref[0][0])[:60]}...")
                if body == EMBED["documents"][0] and getattr(self, "reference_vectors", None):
                    far = [i for i, x in enumerate(stored) if abs(x - self.reference_vectors[0][i]) > 1e-6]
                    check(not far, f"GENAI_EMBED('hello world') differs from GENAI: embed at {far[:5]}")
        finally:
            conn.close()

    def sql_rerank_hybrid(self):
        docs = self.table + "_docs"
        conn = self.app()
        try:
            columns, rows, types = self.described(
                conn, f"SELECT id, body, GENAI_RERANK(%s, body) AS score FROM (SELECT id, body FROM {docs} "
                      f"WHERE body LIKE %s LIMIT 100) AS c ORDER BY score DESC LIMIT 3", (RERANK_QUERY, RERANK_LIKE))
            check(columns == ["id", "body", "score"], f"columns {columns}")
            check(types[2] == MYSQL_TYPE_DOUBLE, f"score column type {types[2]}, expected DOUBLE ({MYSQL_TYPE_DOUBLE})")
            check([text(r[1]) for r in rows] == RERANK_TOP, f"top three {[text(r[1]) for r in rows]}")
            ids = getattr(self, "doc_ids", {})
            check([int(r[0]) for r in rows] == [ids.get(b) for b in RERANK_TOP], f"ids of the top three {rows}")
            scores = [r[2] for r in rows]
            check(all(isinstance(x, float) for x in scores), f"scores {scores} are not floats")
            check(scores[0] > scores[1] > scores[2], f"scores not in descending order: {scores}")
        finally:
            conn.close()

    def sql_embed_no_backend(self):
        """SELECT of GENAI functions of constants as the user whose hostgroup has no server: the
        proxy answers it, with the app user's value."""
        sql = "SELECT GENAI_EMBED('hello world') AS v"
        conn = self.app()
        try:
            _, app = self.query(conn, sql)
        finally:
            conn.close()
        conn = self.connect(PORT, "genai", "genai-pw")
        try:
            columns, rows = self.query(conn, sql)
        finally:
            conn.close()
        check(columns == ["v"], f"columns {columns}")
        check(len(rows) == 1, f"{len(rows)} rows")
        self.embedding(rows[0][0], "v")
        check(text(rows[0][0]) == text(app[0][0]), "the genai user got another value than app")

    def sql_embed_binary_null(self):
        """GENAI_EMBED_BINARY, and the NULL rules: NULL, a blank text and a blank document give NULL."""
        conn = self.app()
        try:
            columns, rows, types = self.described(
                conn, "SELECT GENAI_EMBED_BINARY(%s) AS b, GENAI_EMBED(%s) AS t, GENAI_EMBED(%s) AS n, "
                      "GENAI_EMBED(%s) AS w, GENAI_RERANK(%s, %s) AS r",
                ("hello world", "hello world", None, "   ", "red fruit", " "))
        finally:
            conn.close()
        check(columns == ["b", "t", "n", "w", "r"], f"columns {columns}")
        check(types[0] == MYSQL_TYPE_BLOB, f"GENAI_EMBED_BINARY column type {types[0]}, expected BLOB ({MYSQL_TYPE_BLOB})")
        b = rows[0][0]
        check(isinstance(b, (bytes, bytearray)), f"GENAI_EMBED_BINARY gave a {type(b).__name__}, expected bytes")
        numbers = self.embedding(rows[0][1], "t")
        check(len(b) == 4 * DIMENSIONS, f"{len(b)} bytes, expected {4 * DIMENSIONS}")
        floats = struct.unpack(f"<{DIMENSIONS}f", b)
        far = [i for i, (x, y) in enumerate(zip(floats, numbers)) if abs(x - y) > 1e-7]
        check(not far, f"float32 values differ from GENAI_EMBED's numbers at {far[:5]}")
        check(list(rows[0][2:]) == [None, None, None], f"NULL, blank text and blank document gave {rows[0][2:]}")

    def sql_error_keeps_transaction(self):
        """A failing call forwards nothing: the open transaction keeps its row, rollback() ends it."""
        conn = self.app()
        try:
            conn.begin()
            self.query(conn, f"INSERT INTO {self.table} VALUES (3, 'before the failing call')")
            self.expect_error(conn, "SELECT GENAI_EMBED(%s, 'no-such-model') AS v", 9101, ("x",))
            check(self.count_rows(conn, 3) == 1, "the row inserted before the failing statement is gone")
            conn.rollback()
            check(self.count_rows(conn, 3) == 0, "after rollback() the row is still there")
        finally:
            conn.close()

    def sql_multi_statement(self):
        """Statements of one multi-statement text, with and without calls, answer in order."""
        conn = self.connect(PORT, "app", "secret", "gp_test", client_flag=CLIENT_MULTI_STATEMENTS)
        try:
            cur = conn.cursor()
            cur.execute("SELECT GENAI_EMBED('hello world') AS a; SELECT 2 AS b; SELECT LENGTH(GENAI_EMBED('x')) > 2 AS c")
            results = []
            while True:
                results.append(([d[0] for d in cur.description], list(cur.fetchall())))
                if not cur.nextset():
                    break
            cur.close()
            check([r[0] for r in results] == [["a"], ["b"], ["c"]], f"result sets {[r[0] for r in results]}, expected a, b, c")
            self.embedding(results[0][1][0][0], "a")
            check(int(results[1][1][0][0]) == 2 and int(results[2][1][0][0]) == 1, f"rows {[r[1] for r in results[1:]]}")
            _, rows = self.query(conn, "SELECT 'after'")
            check([tuple(text(v) for v in r) for r in rows] == [("after",)], f"the next statement got {rows}")
        finally:
            conn.close()

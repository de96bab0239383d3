// Driver suite: MariaDB Connector/J (JDBC).
//  - text queries: a plain Statement with escape processing off (Connector/J reads {...}
//    in SQL text as a JDBC escape, so raw JSON needs setEscapeProcessing(false));
//  - prepared statements: a connection with useServerPrepStmts=true. Connector/J 2.7
//    prepares on the server only statements that start with SELECT, UPDATE, INSERT,
//    DELETE, REPLACE, DO or CALL: `GENAI: ?` is interpolated on the client even then
//    (the program prints which statement class the driver chose);
//  - client-side interpolation: a PreparedStatement on a default connection;
//  - `?` inside JSON (`GENAI: {"query":?,...}`) cannot be written at all: the driver
//    rejects the braces as an unknown JDBC escape when preparing, and a
//    PreparedStatement has no way to turn escape processing off before that. So the
//    whole JSON is the one parameter (`GENAI: ?`);
//  - transactions: setAutoCommit(false) + rollback()/commit(); Connector/J decides from the
//    server's status flags whether rollback()/commit() send anything.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class Drivers {
    static final String HOST = env("GP_HOST", "127.0.0.1");
    static final String PORT = env("GP_PORT", "6033");
    static final String ADMIN_PORT = env("GP_ADMIN_PORT", "6032");
    static final String DB_PORT = env("GP_DB_PORT", "3306");
    static final int DIMENSIONS = 384;
    static final String EMBED_JSON = "{\"type\":\"embed\",\"documents\":[\"hello world\",\"second doc\"]}";
    static final String RERANK_JSON =
        "{\"type\":\"rerank\",\"query\":\"red fruit\",\"documents\":[\"the sky is blue\",\"an apple is red\"]}";
    static final String RUNTIME_SQL =
        "SELECT variable_value FROM runtime_global_variables WHERE variable_name='genai-max_documents'";
    static final String TABLE = "drv_connectorj";
    // The SQL-function cases (docs/SQL.md): a table of these documents, filled with a prepared
    // INSERT ... GENAI_EMBED(?), then a hybrid search over the ones LIKE '%fruit%'. The lexical
    // provider's BM25 ranks the top three in this order whether the four candidates are scored
    // in one upstream request or one at a time (batching must not change the answer).
    static final List<String> DOCS = List.of("an apple is a red fruit", "the sky is blue",
        "red fruit salad with red cherries", "a banana is a yellow fruit", "hello world",
        "fruit flies love fruit", "red cars go fast");
    static final List<String> RERANK_TOP =
        List.of("red fruit salad with red cherries", "an apple is a red fruit", "fruit flies love fruit");

    static int failed = 0;
    static final java.util.Set<String> PREPARE_CLASSES = new java.util.HashSet<>();
    static List<List<Double>> refVectors;
    static List<List<Object>> refRerank;

    static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    static class Failure extends Exception {
        Failure(String m) { super(m); }
    }

    interface Body { void run() throws Exception; }

    static void check(boolean cond, String message) throws Failure {
        if (!cond) throw new Failure(message);
    }

    static void runCase(String name, Body body) {
        try {
            body.run();
            System.out.println("ok " + name);
        } catch (Throwable e) {
            failed++;
            String reason = e instanceof Failure ? e.getMessage()
                : e instanceof SQLException ? "SQLException " + ((SQLException) e).getErrorCode() + ": " + e.getMessage()
                : e.toString();
            System.out.println("FAIL " + name + ": " + String.valueOf(reason).replace("\n", " | "));
            if (!(e instanceof Failure) && !(e instanceof SQLException)) e.printStackTrace();
        }
        System.out.flush();
    }

    static Connection connect(String port, String user, String password, String db, String options)
            throws SQLException {
        String tlsCa = env("GP_TLS_CA", "");
        // GP_TLS_CA: connections to the proxy (not to MariaDB directly) use verified TLS.
        String tls = tlsCa.isEmpty() || port.equals(DB_PORT) ? "" : "&useSsl=true&serverSslCert=" + tlsCa;
        String url = "jdbc:mariadb://" + HOST + ":" + port + "/" + (db == null ? "" : db)
            + "?connectTimeout=10000&socketTimeout=60000" + tls + (options.isEmpty() ? "" : "&" + options);
        return DriverManager.getConnection(url, user, password);
    }

    static Connection app(String options) throws SQLException { return connect(PORT, "app", "secret", "gp_test", options); }
    static Connection direct() throws SQLException { return connect(DB_PORT, "app", "secret", "gp_test", ""); }
    static Connection admin() throws SQLException { return connect(ADMIN_PORT, "admin", "admin", null, ""); }
    static final String SERVER_PREPARES = "useServerPrepStmts=true";

    // Result: column names, then rows of strings (null for NULL).
    static class Rows {
        List<String> columns = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
    }

    static Rows read(ResultSet rs) throws SQLException {
        Rows out = new Rows();
        ResultSetMetaData md = rs.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) out.columns.add(md.getColumnLabel(i));
        while (rs.next()) {
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) row.add(rs.getString(i));
            out.rows.add(row);
        }
        rs.close();
        return out;
    }

    static Rows text(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.setEscapeProcessing(false);
            return read(st.executeQuery(sql));
        }
    }

    static Rows prepared(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            String how = ps.getClass().getSimpleName()
                + (c.getMetaData().getURL().contains(SERVER_PREPARES) ? " with " + SERVER_PREPARES : "");
            if (PREPARE_CLASSES.add(sql + how)) System.err.println("# " + sql + ": " + how);
            for (int i = 0; i < params.length; i++) ps.setString(i + 1, params[i]);
            return read(ps.executeQuery());
        }
    }

    static List<List<Double>> vectors(Rows r) throws Failure {
        check(r.columns.equals(List.of("embedding")), "columns " + r.columns + ", expected [embedding]");
        check(r.rows.size() == 2, r.rows.size() + " rows, expected 2");
        List<List<Double>> out = new ArrayList<>();
        for (int i = 0; i < r.rows.size(); i++) {
            String[] parts = String.valueOf(r.rows.get(i).get(0)).split(",", -1);
            check(parts.length == DIMENSIONS, "row " + i + ": " + parts.length + " numbers, expected " + DIMENSIONS);
            List<Double> v = new ArrayList<>();
            double norm = 0;
            for (String p : parts) {
                double x;
                try {
                    x = Double.parseDouble(p);
                } catch (NumberFormatException e) {
                    throw new Failure("row " + i + ": '" + p + "' is not a number");
                }
                v.add(x);
                norm += x * x;
            }
            check(Math.abs(Math.sqrt(norm) - 1) < 1e-3, "row " + i + ": L2 norm " + Math.sqrt(norm) + ", expected 1");
            out.add(v);
        }
        check(!out.get(0).equals(out.get(1)), "the two documents have the same vector");
        return out;
    }

    static List<List<Object>> reranked(Rows r) throws Failure {
        check(r.columns.equals(List.of("index", "score", "document")), "columns " + r.columns);
        check(r.rows.size() == 2, r.rows.size() + " rows, expected 2");
        List<List<Object>> out = new ArrayList<>();
        for (List<String> row : r.rows) {
            out.add(Arrays.asList(Long.parseLong(row.get(0)), Double.parseDouble(row.get(1)), row.get(2)));
        }
        check((Long) out.get(0).get(0) == 1L && "an apple is red".equals(out.get(0).get(2)),
              "first row " + out.get(0) + ", expected index 1");
        check((Double) out.get(0).get(1) > (Double) out.get(1).get(1), "scores not in descending order: " + out);
        return out;
    }

    static void same(Object expected, Object got, String what) throws Failure {
        String shown = String.valueOf(got);
        check(expected != null && expected.equals(got), what + ": " + shown.substring(0, Math.min(200, shown.length())));
    }

    // A GENAI_EMBED value: a JSON array of DIMENSIONS numbers of norm 1 (no JSON library in
    // the JDK: the array's shape is simple enough to split).
    static List<Double> embedding(String value, String what) throws Failure {
        check(value != null && value.startsWith("[") && value.endsWith("]"),
              what + ": not a JSON array: " + String.valueOf(value).substring(0, Math.min(80, String.valueOf(value).length())));
        String[] parts = value.substring(1, value.length() - 1).split(",", -1);
        check(parts.length == DIMENSIONS, what + ": " + parts.length + " numbers, expected " + DIMENSIONS);
        List<Double> v = new ArrayList<>();
        double norm = 0;
        for (String p : parts) {
            try {
                v.add(Double.parseDouble(p.trim()));
            } catch (NumberFormatException e) {
                throw new Failure(what + ": '" + p + "' is not a number");
            }
            norm += v.get(v.size() - 1) * v.get(v.size() - 1);
        }
        check(Math.abs(Math.sqrt(norm) - 1) < 1e-3, what + ": L2 norm " + Math.sqrt(norm) + ", expected 1");
        return v;
    }

    // The statements of docs/SQL.md through PreparedStatement: server-side with
    // useServerPrepStmts=true, else interpolated by the driver (string literals for the proxy).
    static void sqlFunctionCases(String options, String mode) {
        String docs = TABLE + "_docs_" + mode;
        Map<String, Integer> ids = new HashMap<>();
        runCase("sql_embed_insert_" + mode, () -> {
            try (Connection c = direct(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + docs);
                st.execute("CREATE TABLE " + docs + " (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT, emb TEXT)");
            }
            try (Connection c = app(options)) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + docs + " (body, emb) VALUES (?, GENAI_EMBED(?))")) {
                    String kind = ps.getClass().getSimpleName();
                    // Connector/J falls back to a client-side statement when the server refuses to prepare.
                    check(kind.startsWith(options.isEmpty() ? "Client" : "ServerSide"), "INSERT prepared by a " + kind);
                    if (!options.isEmpty()) {
                        int n = ps.getParameterMetaData().getParameterCount();
                        check(n == 2, "the server-side statement has " + n + " parameters, the client wrote 2");
                    }
                    for (String body : DOCS) {
                        ps.setString(1, body);
                        ps.setString(2, body);
                        check(ps.executeUpdate() == 1, "INSERT of '" + body + "' changed no row");
                    }
                }
                Rows r = text(c, "SELECT id, body, emb FROM " + docs + " ORDER BY id");
                List<String> bodies = new ArrayList<>();
                for (List<String> row : r.rows) bodies.add(row.get(1));
                check(bodies.equals(DOCS), "bodies " + bodies);
                for (List<String> row : r.rows) {
                    String body = row.get(1), emb = row.get(2);
                    ids.put(body, Integer.parseInt(row.get(0)));
                    List<Double> stored = embedding(emb, "emb of '" + body + "'");
                    String call = "GENAI_EMBED('" + body + "')";
                    Rows ref = text(c, "SELECT " + call);
                    check(ref.columns.equals(List.of(call)), "an unaliased item is named by its call text; columns were " + ref.columns);
                    check(emb.equals(ref.rows.get(0).get(0)), "'" + body + "': stored " + emb.substring(0, 60)
                          + "..., SELECT " + call + " gave " + String.valueOf(ref.rows.get(0).get(0)));
                    if (body.equals("hello world") && refVectors != null) {
                        for (int i = 0; i < DIMENSIONS; i++) {
                            check(Math.abs(stored.get(i) - refVectors.get(0).get(i)) <= 1e-6,
                                  "GENAI_EMBED('hello world') differs from GENAI: embed at " + i);
                        }
                    }
                }
            }
        });
        runCase("sql_rerank_hybrid_" + mode, () -> {
            try (Connection c = app(options);
                 PreparedStatement ps = c.prepareStatement("SELECT id, body, GENAI_RERANK(?, body) AS score FROM (SELECT id, body FROM "
                     + docs + " WHERE body LIKE ? LIMIT 100) AS c ORDER BY score DESC LIMIT 3")) {
                ps.setString(1, "red fruit");
                ps.setString(2, "%fruit%");
                try (ResultSet rs = ps.executeQuery()) {
                    ResultSetMetaData md = rs.getMetaData();
                    List<String> columns = new ArrayList<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) columns.add(md.getColumnLabel(i));
                    check(columns.equals(List.of("id", "body", "score")), "columns " + columns);
                    check(md.getColumnType(3) == java.sql.Types.DOUBLE,
                          "score column type " + md.getColumnTypeName(3) + ", expected DOUBLE");
                    List<String> bodies = new ArrayList<>();
                    List<Integer> got = new ArrayList<>(), want = new ArrayList<>();
                    List<Object> scores = new ArrayList<>();
                    while (rs.next()) {
                        got.add(rs.getInt(1));
                        bodies.add(rs.getString(2));
                        scores.add(rs.getObject(3));
                    }
                    check(bodies.equals(RERANK_TOP), "top three " + bodies);
                    for (String b : RERANK_TOP) want.add(ids.get(b));
                    check(got.equals(want), "ids of the top three " + got + ", expected " + want);
                    check(scores.stream().allMatch(x -> x instanceof Double), "scores " + scores + " are not doubles");
                    check((Double) scores.get(0) > (Double) scores.get(1) && (Double) scores.get(1) > (Double) scores.get(2),
                          "scores not in descending order: " + scores);
                }
            }
        });
        try (Connection c = direct(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + docs);
        } catch (SQLException e) {
            // nothing to clean
        }

        // GENAI_EMBED_BINARY, and the NULL rules: NULL, a blank text and a blank document give NULL.
        runCase("sql_embed_binary_null_" + mode, () -> {
            try (Connection c = app(options);
                 PreparedStatement ps = c.prepareStatement("SELECT GENAI_EMBED_BINARY(?) AS b, GENAI_EMBED(?) AS t, "
                     + "GENAI_EMBED(?) AS n, GENAI_EMBED(?) AS w, GENAI_RERANK(?, ?) AS r")) {
                ps.setString(1, "hello world");
                ps.setString(2, "hello world");
                ps.setNull(3, java.sql.Types.VARCHAR);
                ps.setString(4, "   ");
                ps.setString(5, "red fruit");
                ps.setString(6, " ");
                try (ResultSet rs = ps.executeQuery()) {
                    ResultSetMetaData md = rs.getMetaData();
                    check(md.getColumnCount() == 5, md.getColumnCount() + " columns");
                    int type = md.getColumnType(1);
                    check(type == java.sql.Types.BLOB || type == java.sql.Types.LONGVARBINARY || type == java.sql.Types.VARBINARY,
                          "GENAI_EMBED_BINARY column type " + md.getColumnTypeName(1) + ", expected binary");
                    check(rs.next(), "no row");
                    byte[] b = rs.getBytes(1);
                    List<Double> numbers = embedding(rs.getString(2), "t");
                    check(b != null && b.length == 4 * DIMENSIONS, (b == null ? "NULL" : b.length + " bytes") + ", expected " + 4 * DIMENSIONS);
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < DIMENSIONS; i++) {
                        float x = buf.getFloat(4 * i);
                        check(Math.abs(x - numbers.get(i)) <= 1e-7, "float " + i + " is " + x + ", GENAI_EMBED gave " + numbers.get(i));
                    }
                    List<Object> nulls = Arrays.asList(rs.getObject(3), rs.getObject(4), rs.getObject(5));
                    check(nulls.equals(Arrays.asList(null, null, null)), "NULL, blank text and blank document gave " + nulls);
                }
            }
        });

        // A failing call forwards nothing: the open transaction keeps its row, and rollback()
        // still ends it (Connector/J sends ROLLBACK only if the status flags say a transaction is open).
        runCase("sql_error_keeps_transaction_" + mode, () -> {
            try (Connection c = app(options)) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO " + TABLE + " VALUES (3, 'before the failing call')");
                }
                Integer code = null;
                try (PreparedStatement ps = c.prepareStatement("SELECT GENAI_EMBED(?, 'no-such-model') AS v")) {
                    ps.setString(1, "x");
                    ps.executeQuery().close();
                } catch (SQLException e) {
                    code = e.getErrorCode();
                }
                check(code != null && code == 9101, "error code " + code + ", expected 9101");
                check(countRows(c, 3) == 1, "the row inserted before the failing statement is gone");
                c.rollback();
                int after = countRows(c, 3);
                c.setAutoCommit(true);
                check(after == 0, "after rollback() the row is still there");
            }
        });
    }

    static int countRows(Connection c, int id) throws SQLException {
        return Integer.parseInt(text(c, "SELECT COUNT(*) FROM " + TABLE + " WHERE id = " + id).rows.get(0).get(0));
    }

    static String single(Rows r) {
        return r.rows.size() == 1 ? r.rows.get(0).get(0) : String.valueOf(r.rows);
    }

    public static void main(String[] args) throws Exception {
        System.err.println("# Java " + System.getProperty("java.version") + ", Connector/J "
            + new org.mariadb.jdbc.Driver().getMajorVersion() + "." + new org.mariadb.jdbc.Driver().getMinorVersion());

        runCase("select1", () -> {
            try (Connection c = app("")) {
                check(text(c, "SELECT 1").rows.equals(List.of(List.of("1"))), "SELECT 1 gave other rows");
            }
        });
        runCase("embed_text", () -> {
            try (Connection c = app("")) {
                List<List<Double>> a = vectors(text(c, "GENAI: " + EMBED_JSON));
                same(a, vectors(text(c, "GENAI: " + EMBED_JSON)), "the same text gave different vectors on two calls");
                refVectors = a;
            }
        });
        runCase("rerank_text", () -> {
            try (Connection c = app("")) {
                refRerank = reranked(text(c, "GENAI: " + RERANK_JSON));
            }
        });
        runCase("embed_prepared", () -> {
            try (Connection c = app(SERVER_PREPARES)) {
                same(refVectors, vectors(prepared(c, "GENAI: ?", EMBED_JSON)), "server-prepared vectors differ");
            }
        });
        runCase("rerank_prepared", () -> {
            try (Connection c = app(SERVER_PREPARES)) {
                same(refRerank, reranked(prepared(c, "GENAI: ?", RERANK_JSON)), "GENAI: ? gave");
            }
        });
        runCase("embed_interpolated", () -> {
            try (Connection c = app("")) {
                same(refVectors, vectors(prepared(c, "GENAI: ?", EMBED_JSON)), "client-side prepared vectors differ");
            }
        });
        runCase("rerank_interpolated", () -> {
            try (Connection c = app("")) {
                same(refRerank, reranked(prepared(c, "GENAI: ?", RERANK_JSON)), "GENAI: ? gave");
            }
        });

        runCase("sql_prepared_mixed", () -> {
            // A forwarded (backend) server-side prepared statement, then a GENAI statement,
            // then the first again, on one connection.
            try (Connection c = app(SERVER_PREPARES);
                 PreparedStatement ps = c.prepareStatement("SELECT CONCAT(?, '-x')")) {
                check(ps.getClass().getSimpleName().startsWith("ServerSide"),
                      "SELECT was not prepared on the server: " + ps.getClass().getSimpleName());
                ps.setString(1, "a");
                check(read(ps.executeQuery()).rows.equals(List.of(List.of("a-x"))), "SELECT CONCAT(?) gave other rows");
                same(refVectors, vectors(prepared(c, "GENAI: ?", EMBED_JSON)), "GENAI vectors differ");
                ps.setString(1, "b");
                check(read(ps.executeQuery()).rows.equals(List.of(List.of("b-x"))),
                      "SELECT CONCAT(?) after the GENAI statement gave other rows");
            }
        });

        try (Connection c = direct(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + TABLE);
            st.execute("CREATE TABLE " + TABLE + " (id INT PRIMARY KEY, body TEXT)");
        } catch (SQLException e) {
            System.err.println("# could not create " + TABLE + ": " + e.getMessage());
        }
        runCase("tx_rollback", () -> {
            try (Connection c = app("")) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO " + TABLE + " VALUES (1, 'in a transaction')");
                }
                vectors(text(c, "GENAI: " + EMBED_JSON));
                boolean autoCommitInside = c.getAutoCommit();
                c.rollback();
                int sameConnection = countRows(c, 1);
                c.setAutoCommit(true);
                int otherConnection;
                try (Connection other = direct()) {
                    otherConnection = countRows(other, 1);
                }
                check(sameConnection == 0, "after rollback() the row is still there on the same connection");
                check(otherConnection == 0,
                      "the rolled-back row is visible from another connection after setAutoCommit(true)");
                check(!autoCommitInside, "getAutoCommit() was true inside the transaction");
            }
        });
        runCase("tx_commit", () -> {
            try (Connection c = app("")) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO " + TABLE + " VALUES (2, 'in a transaction')");
                }
                vectors(text(c, "GENAI: " + EMBED_JSON));
                c.commit();
                try (Connection other = direct()) {
                    check(countRows(other, 2) == 1, "committed row not visible from another connection");
                }
            }
        });

        runCase("genai_user_embed_text", () -> {
            try (Connection c = connect(PORT, "genai", "genai-pw", null, "")) {
                same(refVectors, vectors(text(c, "GENAI: " + EMBED_JSON)), "vectors differ from user app's");
            }
        });
        runCase("genai_user_embed_prepared", () -> {
            try (Connection c = connect(PORT, "genai", "genai-pw", null, SERVER_PREPARES)) {
                same(refVectors, vectors(prepared(c, "GENAI: ?", EMBED_JSON)), "server-prepared vectors differ");
            }
        });

        runCase("admin_show_variables", () -> {
            try (Connection c = admin()) {
                Rows r = text(c, "SHOW VARIABLES LIKE 'genai-%'");
                check(r.columns.size() == 2, r.columns.size() + " columns, expected 2 (name, value)");
                Map<String, String> vars = new HashMap<>();
                for (List<String> row : r.rows) {
                    check(row.get(0).startsWith("genai-"), "name " + row.get(0));
                    vars.put(row.get(0), row.get(1));
                }
                check("10000".equals(vars.get("genai-max_documents")), "genai-max_documents = " + vars.get("genai-max_documents"));
            }
        });
        runCase("admin_set_load_runtime", () -> {
            try (Connection c = admin(); Statement st = c.createStatement()) {
                try {
                    st.execute("SET genai-max_documents = 5000");
                    st.execute("LOAD GENAI VARIABLES TO RUNTIME");
                    String v = single(text(c, RUNTIME_SQL));
                    check("5000".equals(v), "runtime value " + v + ", expected 5000");
                } finally {
                    st.execute("SET genai-max_documents = 10000");
                    st.execute("LOAD GENAI VARIABLES TO RUNTIME");
                }
                String v = single(text(c, RUNTIME_SQL));
                check("10000".equals(v), "runtime value " + v + " after setting it back");
            }
        });

        runCase("bad_statement", () -> {
            try (Connection c = app("")) {
                Integer code = null;
                try {
                    text(c, "GENAI: {\"type\":\"embed\",\"documents\":[]}");
                } catch (SQLException e) {
                    code = e.getErrorCode();
                }
                check(code != null && code == 9101, "error code " + code + ", expected 9101");
                check(text(c, "SELECT 1").rows.equals(List.of(List.of("1"))), "SELECT 1 after the error failed");
            }
        });

        sqlFunctionCases(SERVER_PREPARES, "prepared");
        runCase("sql_embed_long_data_prepared", () -> {
            // A server-side statement sends a Reader's text with COM_STMT_SEND_LONG_DATA.
            try (Connection c = app(SERVER_PREPARES);
                 PreparedStatement ps = c.prepareStatement("SELECT GENAI_EMBED(?) AS v")) {
                check(ps.getClass().getSimpleName().startsWith("ServerSide"), "prepared by a " + ps.getClass().getSimpleName());
                ps.setCharacterStream(1, new java.io.StringReader("hello world"));
                String got;
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "no row");
                    got = rs.getString(1);
                }
                embedding(got, "v");
                check(got.equals(single(text(c, "SELECT GENAI_EMBED('hello world') AS v"))),
                      "the text sent as long data gave another vector than the same text as a constant");
            }
        });
        sqlFunctionCases("", "interpolated");
        runCase("sql_embed_no_backend", () -> {
            // Constants only, as the user whose hostgroup has no server: the proxy answers.
            String sql = "SELECT GENAI_EMBED('hello world') AS v";
            String appValue;
            try (Connection c = app("")) {
                appValue = single(text(c, sql));
            }
            try (Connection c = connect(PORT, "genai", "genai-pw", null, "")) {
                Rows r = text(c, sql);
                check(r.columns.equals(List.of("v")), "columns " + r.columns);
                check(r.rows.size() == 1, r.rows.size() + " rows");
                embedding(r.rows.get(0).get(0), "v");
                check(appValue.equals(r.rows.get(0).get(0)), "the genai user got another value than app");
            }
        });

        try (Connection c = direct(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + TABLE);
        } catch (SQLException e) {
            // nothing to clean
        }
        System.exit(failed > 0 ? 1 : 0);
    }
}

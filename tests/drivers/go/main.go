// Driver suite: go-sql-driver/mysql through database/sql. A query without arguments is
// the text protocol; with arguments it is a server-side prepared statement (the driver's
// default: interpolateParams is off).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

const dimensions = 384

var (
	host      = getenv("GP_HOST", "127.0.0.1")
	port      = getenv("GP_PORT", "6033")
	adminPort = getenv("GP_ADMIN_PORT", "6032")
	dbPort    = getenv("GP_DB_PORT", "3306")

	embedJSON  = `{"type":"embed","documents":["hello world","second doc"]}`
	rerankJSON = `{"type":"rerank","query":"red fruit","documents":["the sky is blue","an apple is red"]}`
	rerankSQL  = `GENAI: {"type":"rerank","query":?,"documents":[?,?]}`
	rerankArgs = []interface{}{"red fruit", "the sky is blue", "an apple is red"}
	table      = "drv_go"
	failed     = 0

	refVectors [][]float64
	refRerank  []rerankRow

	// The SQL-function cases (docs/SQL.md): a table of these documents, filled with a prepared
	// INSERT ... GENAI_EMBED(?), then a hybrid search over the ones LIKE '%fruit%'. The lexical
	// provider's BM25 ranks the top three in this order whether the four candidates are scored
	// in one upstream request or one at a time (batching must not change the answer).
	docs = []string{"an apple is a red fruit", "the sky is blue", "red fruit salad with red cherries",
		"a banana is a yellow fruit", "hello world", "fruit flies love fruit", "red cars go fast"}
	rerankTop = []string{"red fruit salad with red cherries", "an apple is a red fruit", "fruit flies love fruit"}
)

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

type failure struct{ msg string }

func (f failure) Error() string { return f.msg }

func check(cond bool, format string, args ...interface{}) {
	if !cond {
		panic(failure{fmt.Sprintf(format, args...)})
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func runCase(name string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			failed++
			fmt.Printf("FAIL %s: %s\n", name, strings.ReplaceAll(fmt.Sprint(r), "\n", " | "))
		}
	}()
	fn()
	fmt.Printf("ok %s\n", name)
}

// GP_TLS_CA: connections to the proxy (not to MariaDB directly) use TLS verified against it.
func tlsParam(portStr string) string {
	ca := os.Getenv("GP_TLS_CA")
	if ca == "" || portStr == dbPort {
		return ""
	}
	pem, err := os.ReadFile(ca)
	must(err)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		panic("GP_TLS_CA holds no certificate")
	}
	must(mysql.RegisterTLSConfig("proxy", &tls.Config{RootCAs: pool, ServerName: host}))
	return "&tls=proxy"
}

func open(portStr, user, password, database string) *sql.DB {
	dsn := fmt.Sprintf("%s:%s@tcp(%s:%s)/%s?timeout=10s&readTimeout=60s%s", user, password, host, portStr, database, tlsParam(portStr))
	db, err := sql.Open("mysql", dsn)
	must(err)
	return db
}

type querier interface {
	Query(query string, args ...interface{}) (*sql.Rows, error)
}

// query returns column names and rows as strings (nil for NULL); text and binary
// protocol values (bytes, int64, float64) are all written the same way.
func query(q querier, sqlText string, args ...interface{}) ([]string, [][]*string) {
	rows, err := q.Query(sqlText, args...)
	must(err)
	return readRows(rows)
}

func readRows(rows *sql.Rows) ([]string, [][]*string) {
	defer rows.Close()
	columns, err := rows.Columns()
	must(err)
	var out [][]*string
	for rows.Next() {
		values := make([]interface{}, len(columns))
		ptrs := make([]interface{}, len(columns))
		for i := range values {
			ptrs[i] = &values[i]
		}
		must(rows.Scan(ptrs...))
		row := make([]*string, len(columns))
		for i, v := range values {
			var s string
			switch x := v.(type) {
			case nil:
				continue
			case []byte:
				s = string(x)
			case int64:
				s = strconv.FormatInt(x, 10)
			case float64:
				s = strconv.FormatFloat(x, 'g', -1, 64)
			default:
				s = fmt.Sprint(x)
			}
			row[i] = &s
		}
		out = append(out, row)
	}
	must(rows.Err())
	return columns, out
}

// queryTyped is query with the database type names of the columns.
func queryTyped(q querier, sqlText string, args ...interface{}) ([]string, [][]*string, []string) {
	rows, err := q.Query(sqlText, args...)
	must(err)
	types, err := rows.ColumnTypes()
	must(err)
	var names []string
	for _, t := range types {
		names = append(names, t.DatabaseTypeName())
	}
	columns, out := readRows(rows)
	return columns, out, names
}

// embedding checks a GENAI_EMBED value: a JSON array of dimensions numbers of norm 1.
func embedding(value *string, what string) []float64 {
	var v []float64
	check(json.Unmarshal([]byte(str(value)), &v) == nil, "%s: not a JSON array of numbers: %.80s", what, str(value))
	check(len(v) == dimensions, "%s: %d numbers, expected %d", what, len(v), dimensions)
	norm := 0.0
	for _, x := range v {
		norm += x * x
	}
	check(math.Abs(math.Sqrt(norm)-1) < 1e-3, "%s: L2 norm %v, expected 1", what, math.Sqrt(norm))
	return v
}

func str(p *string) string {
	if p == nil {
		return "<NULL>"
	}
	return *p
}

func vectors(columns []string, rows [][]*string) [][]float64 {
	check(reflect.DeepEqual(columns, []string{"embedding"}), "columns %v, expected [embedding]", columns)
	check(len(rows) == 2, "%d rows, expected 2", len(rows))
	var out [][]float64
	for i, row := range rows {
		parts := strings.Split(str(row[0]), ",")
		check(len(parts) == dimensions, "row %d: %d numbers, expected %d", i, len(parts), dimensions)
		v := make([]float64, len(parts))
		norm := 0.0
		for j, p := range parts {
			x, err := strconv.ParseFloat(p, 64)
			check(err == nil, "row %d: %q is not a number", i, p)
			v[j] = x
			norm += x * x
		}
		check(math.Abs(math.Sqrt(norm)-1) < 1e-3, "row %d: L2 norm %v, expected 1", i, math.Sqrt(norm))
		out = append(out, v)
	}
	check(!reflect.DeepEqual(out[0], out[1]), "the two documents have the same vector")
	return out
}

type rerankRow struct {
	index    int64
	score    float64
	document string
}

func reranked(columns []string, rows [][]*string) []rerankRow {
	check(reflect.DeepEqual(columns, []string{"index", "score", "document"}), "columns %v", columns)
	check(len(rows) == 2, "%d rows, expected 2", len(rows))
	var out []rerankRow
	for _, r := range rows {
		index, err1 := strconv.ParseInt(str(r[0]), 10, 64)
		score, err2 := strconv.ParseFloat(str(r[1]), 64)
		check(err1 == nil && err2 == nil, "row %q %q does not parse", str(r[0]), str(r[1]))
		out = append(out, rerankRow{index, score, str(r[2])})
	}
	check(out[0].index == 1 && out[0].document == "an apple is red", "first row %+v, expected index 1", out[0])
	check(out[0].score > out[1].score, "scores not in descending order: %+v", out)
	return out
}

func countRows(q querier, id int) int {
	_, rows := query(q, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE id = %d", table, id))
	n, _ := strconv.Atoi(str(rows[0][0]))
	return n
}

func errorNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func main() {
	fmt.Fprintf(os.Stderr, "# %s, go-sql-driver/mysql (Debian golang-github-go-sql-driver-mysql-dev)\n", runtime.Version())
	app := open(port, "app", "secret", "gp_test")
	defer app.Close()
	direct := open(dbPort, "app", "secret", "gp_test")
	defer direct.Close()

	runCase("select1", func() {
		_, rows := query(app, "SELECT 1")
		check(len(rows) == 1 && str(rows[0][0]) == "1", "rows %v", rows)
	})
	runCase("embed_text", func() {
		a := vectors(query(app, "GENAI: "+embedJSON))
		b := vectors(query(app, "GENAI: "+embedJSON))
		check(reflect.DeepEqual(a, b), "the same text gave different vectors on two calls")
		refVectors = a
	})
	runCase("rerank_text", func() {
		refRerank = reranked(query(app, "GENAI: "+rerankJSON))
	})
	runCase("embed_prepared", func() {
		got := vectors(query(app, "GENAI: ?", embedJSON))
		check(refVectors != nil && reflect.DeepEqual(got, refVectors), "prepared vectors differ from the text query's")
	})
	runCase("rerank_prepared", func() {
		whole := reranked(query(app, "GENAI: ?", rerankJSON))
		check(reflect.DeepEqual(whole, refRerank), "GENAI: ? gave %+v, text query %+v", whole, refRerank)
		values := reranked(query(app, rerankSQL, rerankArgs...))
		check(reflect.DeepEqual(values, refRerank), "? in JSON values gave %+v", values)
	})

	runCase("sql_prepared_mixed", func() {
		// A forwarded (backend) prepared statement, then a GENAI one, then the first again,
		// on one connection.
		conn := open(port, "app", "secret", "gp_test")
		conn.SetMaxOpenConns(1)
		defer conn.Close()
		stmt, err := conn.Prepare("SELECT CONCAT(?, '-x')")
		must(err)
		defer stmt.Close()
		var got string
		must(stmt.QueryRow("a").Scan(&got))
		check(got == "a-x", "SELECT CONCAT(?) gave %q", got)
		check(reflect.DeepEqual(vectors(query(conn, "GENAI: ?", embedJSON)), refVectors), "GENAI vectors differ")
		must(stmt.QueryRow("b").Scan(&got))
		check(got == "b-x", "SELECT CONCAT(?) after the GENAI statement gave %q", got)
	})

	_, err := direct.Exec("DROP TABLE IF EXISTS " + table)
	if err == nil {
		_, err = direct.Exec("CREATE TABLE " + table + " (id INT PRIMARY KEY, body TEXT)")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "# could not create %s: %v\n", table, err)
	}
	// One connection, so that the check after the transaction runs where the transaction ran.
	single := open(port, "app", "secret", "gp_test")
	single.SetMaxOpenConns(1)
	defer single.Close()
	transaction := func(id int, commit bool) int {
		tx, err := single.Begin()
		must(err)
		_, err = tx.Exec(fmt.Sprintf("INSERT INTO %s VALUES (%d, 'in a transaction')", table, id))
		must(err)
		vectors(query(tx, "GENAI: "+embedJSON))
		if commit {
			must(tx.Commit())
		} else {
			must(tx.Rollback())
		}
		return countRows(single, id)
	}
	runCase("tx_rollback", func() {
		check(transaction(1, false) == 0, "after Rollback() the row is still there on the same connection")
		check(countRows(direct, 1) == 0, "rolled-back row visible from another connection")
	})
	runCase("tx_commit", func() {
		transaction(2, true)
		check(countRows(direct, 2) == 1, "committed row not visible from another connection")
	})

	genai := open(port, "genai", "genai-pw", "")
	defer genai.Close()
	runCase("genai_user_embed_text", func() {
		must(genai.Ping())
		got := vectors(query(genai, "GENAI: "+embedJSON))
		check(reflect.DeepEqual(got, refVectors), "vectors differ from user app's")
	})
	runCase("genai_user_embed_prepared", func() {
		got := vectors(query(genai, "GENAI: ?", embedJSON))
		check(reflect.DeepEqual(got, refVectors), "prepared vectors differ")
	})

	admin := open(adminPort, "admin", "admin", "")
	admin.SetMaxOpenConns(1)
	defer admin.Close()
	runtimeSQL := "SELECT variable_value FROM runtime_global_variables WHERE variable_name='genai-max_documents'"
	runCase("admin_show_variables", func() {
		columns, rows := query(admin, "SHOW VARIABLES LIKE 'genai-%'")
		check(len(columns) == 2, "%d columns, expected 2 (name, value)", len(columns))
		vars := map[string]string{}
		for _, r := range rows {
			check(strings.HasPrefix(str(r[0]), "genai-"), "name %s", str(r[0]))
			vars[str(r[0])] = str(r[1])
		}
		check(vars["genai-max_documents"] == "10000", "genai-max_documents = %q", vars["genai-max_documents"])
	})
	runCase("admin_set_load_runtime", func() {
		func() {
			defer func() {
				_, err1 := admin.Exec("SET genai-max_documents = 10000")
				_, err2 := admin.Exec("LOAD GENAI VARIABLES TO RUNTIME")
				must(err1)
				must(err2)
			}()
			_, err := admin.Exec("SET genai-max_documents = 5000")
			must(err)
			_, err = admin.Exec("LOAD GENAI VARIABLES TO RUNTIME")
			must(err)
			_, rows := query(admin, runtimeSQL)
			check(len(rows) == 1 && str(rows[0][0]) == "5000", "runtime value %v, expected 5000", rows)
		}()
		_, rows := query(admin, runtimeSQL)
		check(len(rows) == 1 && str(rows[0][0]) == "10000", "runtime value %v after setting it back", rows)
	})
	runCase("admin_prepared", func() {
		_, rows := query(admin, "SELECT variable_value FROM runtime_global_variables WHERE variable_name = ?",
			"genai-max_documents")
		check(len(rows) == 1 && str(rows[0][0]) == "10000", "rows %v", rows)
	})

	runCase("bad_statement", func() {
		rows, err := single.Query(`GENAI: {"type":"embed","documents":[]}`)
		if err == nil {
			rows.Close()
		}
		check(err != nil, "no error, expected 9101")
		check(errorNumber(err) == 9101, "error %v, expected 9101", err)
		_, after := query(single, "SELECT 1")
		check(len(after) == 1 && str(after[0][0]) == "1", "SELECT 1 after the error gave %v", after)
	})

	// Exec and Query with arguments are server-side prepared statements (COM_STMT_PREPARE,
	// COM_STMT_EXECUTE, COM_STMT_CLOSE per call).
	docsTable := table + "_docs"
	ids := map[string]int{}
	runCase("sql_embed_insert_prepared", func() {
		_, err := direct.Exec("DROP TABLE IF EXISTS " + docsTable)
		must(err)
		_, err = direct.Exec("CREATE TABLE " + docsTable + " (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT, emb TEXT)")
		must(err)
		for _, body := range docs {
			_, err := app.Exec("INSERT INTO "+docsTable+" (body, emb) VALUES (?, GENAI_EMBED(?))", body, body)
			must(err)
		}
		_, rows := query(app, "SELECT id, body, emb FROM "+docsTable+" ORDER BY id")
		var bodies []string
		for _, r := range rows {
			bodies = append(bodies, str(r[1]))
		}
		check(reflect.DeepEqual(bodies, docs), "bodies %q", bodies)
		for _, r := range rows {
			body := str(r[1])
			ids[body], _ = strconv.Atoi(str(r[0]))
			stored := embedding(r[2], "emb of '"+body+"'")
			call := "GENAI_EMBED('" + body + "')"
			columns, ref := query(app, "SELECT "+call)
			check(reflect.DeepEqual(columns, []string{call}), "an unaliased item is named by its call text; columns were %q", columns)
			check(str(ref[0][0]) == str(r[2]), "'%s': stored %.60s..., SELECT %s gave %.60s...", body, str(r[2]), call, str(ref[0][0]))
			if body == "hello world" && refVectors != nil {
				for i, x := range stored {
					check(math.Abs(x-refVectors[0][i]) <= 1e-6, "GENAI_EMBED('hello world') differs from GENAI: embed at %d", i)
				}
			}
		}
	})
	runCase("sql_rerank_hybrid_prepared", func() {
		columns, rows, types := queryTyped(app, "SELECT id, body, GENAI_RERANK(?, body) AS score FROM (SELECT id, body FROM "+
			docsTable+" WHERE body LIKE ? LIMIT 100) AS c ORDER BY score DESC LIMIT 3", "red fruit", "%fruit%")
		check(reflect.DeepEqual(columns, []string{"id", "body", "score"}), "columns %q", columns)
		check(types[2] == "DOUBLE", "score column type %s, expected DOUBLE", types[2])
		var bodies []string
		var gotIDs, wantIDs []int
		var scores []float64
		for _, r := range rows {
			bodies = append(bodies, str(r[1]))
			id, _ := strconv.Atoi(str(r[0]))
			gotIDs = append(gotIDs, id)
			score, err := strconv.ParseFloat(str(r[2]), 64)
			check(err == nil, "score %q is not a number", str(r[2]))
			scores = append(scores, score)
		}
		check(reflect.DeepEqual(bodies, rerankTop), "top three %q", bodies)
		for _, b := range rerankTop {
			wantIDs = append(wantIDs, ids[b])
		}
		check(reflect.DeepEqual(gotIDs, wantIDs), "ids of the top three %v, expected %v", gotIDs, wantIDs)
		check(scores[0] > scores[1] && scores[1] > scores[2], "scores not in descending order: %v", scores)
	})
	direct.Exec("DROP TABLE IF EXISTS " + docsTable)
	runCase("sql_embed_binary_null_prepared", func() {
		// GENAI_EMBED_BINARY, and the NULL rules: NULL, a blank text and a blank document give NULL.
		columns, rows, types := queryTyped(app, "SELECT GENAI_EMBED_BINARY(?) AS b, GENAI_EMBED(?) AS t, GENAI_EMBED(?) AS n, "+
			"GENAI_EMBED(?) AS w, GENAI_RERANK(?, ?) AS r", "hello world", "hello world", nil, "   ", "red fruit", " ")
		check(reflect.DeepEqual(columns, []string{"b", "t", "n", "w", "r"}), "columns %q", columns)
		check(types[0] == "BLOB", "GENAI_EMBED_BINARY column type %s, expected BLOB", types[0])
		numbers := embedding(rows[0][1], "t")
		b := []byte(str(rows[0][0]))
		check(len(b) == 4*dimensions, "%d bytes, expected %d", len(b), 4*dimensions)
		for i, y := range numbers {
			x := math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
			check(math.Abs(float64(x)-y) <= 1e-7, "float %d is %v, GENAI_EMBED gave %v", i, x, y)
		}
		check(rows[0][2] == nil && rows[0][3] == nil && rows[0][4] == nil, "NULL, blank text and blank document gave %q %q %q",
			str(rows[0][2]), str(rows[0][3]), str(rows[0][4]))
	})
	runCase("sql_error_keeps_transaction_prepared", func() {
		// A failing call forwards nothing: the open transaction keeps its row, Rollback() ends it.
		tx, err := single.Begin()
		must(err)
		defer tx.Rollback()
		_, err = tx.Exec(fmt.Sprintf("INSERT INTO %s VALUES (3, 'before the failing call')", table))
		must(err)
		rows, err := tx.Query("SELECT GENAI_EMBED(?, 'no-such-model') AS v", "x")
		if err == nil {
			rows.Close()
		}
		check(errorNumber(err) == 9101, "error %v, expected 9101", err)
		check(countRows(tx, 3) == 1, "the row inserted before the failing statement is gone")
		must(tx.Rollback())
		check(countRows(single, 3) == 0, "after Rollback() the row is still there")
	})
	runCase("sql_embed_no_backend", func() {
		// Constants only, as the user whose hostgroup has no server: the proxy answers.
		sqlText := "SELECT GENAI_EMBED('hello world') AS v"
		_, appRows := query(app, sqlText)
		columns, rows := query(genai, sqlText)
		check(reflect.DeepEqual(columns, []string{"v"}), "columns %q", columns)
		check(len(rows) == 1, "%d rows", len(rows))
		embedding(rows[0][0], "v")
		check(str(rows[0][0]) == str(appRows[0][0]), "the genai user got another value than app")
	})

	direct.Exec("DROP TABLE IF EXISTS " + table)
	if failed > 0 {
		os.Exit(1)
	}
}

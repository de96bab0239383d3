// Driver suite: go-sql-driver/mysql through database/sql. A query without arguments is
// the text protocol; with arguments it is a server-side prepared statement (the driver's
// default: interpolateParams is off).
package main

import (
	"database/sql"
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

func open(portStr, user, password, database string) *sql.DB {
	dsn := fmt.Sprintf("%s:%s@tcp(%s:%s)/%s?timeout=10s&readTimeout=60s", user, password, host, portStr, database)
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

	direct.Exec("DROP TABLE IF EXISTS " + table)
	if failed > 0 {
		os.Exit(1)
	}
}

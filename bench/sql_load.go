// Load generator for the AI functions in SQL (docs/SQL.md), driven by bench/sql_functions.bench.sh.
//
// Written in Go with go-sql-driver/mysql because the cells need real server-side prepared
// statements (COM_STMT_PREPARE once per connection, COM_STMT_EXECUTE per statement) from many
// concurrent clients at a low client-side cost; PyMySQL only interpolates, and genai_load speaks
// the text protocol. Built offline in GOPATH mode against Debian's
// golang-github-go-sql-driver-mysql-dev, as the driver suite's Go program is.
//
// One goroutine and one connection per client; connections and prepared statements are made
// before the clock starts. Modes (the statement one operation sends):
//
//	insert-fn     prepared INSERT INTO t (body, emb) VALUES (?, GENAI_EMBED(?))
//	insert-2rt    GENAI: {"type":"embed","documents":[body]} (text), then the prepared
//	              INSERT INTO t (body, emb) VALUES (?, ?) with the vector's JSON text: one
//	              operation is both round trips
//	insert-plain  the prepared INSERT with a fixed vector of the same size: the INSERT's own cost
//	rerank        prepared SELECT id, body, GENAI_RERANK(?, body) AS score FROM (SELECT id, body
//	              FROM c WHERE body LIKE ? LIMIT N) AS c ORDER BY score DESC LIMIT 10
//	select-plain  the statement the proxy forwards for rerank: SELECT id, body, body AS score FROM
//	              (... LIMIT N) AS c, every candidate row to the client
//
// Prints one TSV row: mode, clients, operations, operations/s, p50 ms, p99 ms, errors, CPU µs
// per operation of --proxy-pids, of --service-pids and of this process, first error.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

var (
	host       = flag.String("host", "127.0.0.1", "proxy host")
	port       = flag.Int("port", 6033, "proxy port")
	user       = flag.String("user", "app", "user")
	password   = flag.String("password", "secret", "password")
	database   = flag.String("db", "gp_test", "schema")
	mode       = flag.String("mode", "insert-fn", "insert-fn, insert-2rt, insert-plain, rerank or select-plain")
	clients    = flag.Int("clients", 1, "concurrent clients")
	duration   = flag.Duration("duration", 5*time.Second, "length of the measurement")
	table      = flag.String("table", "sql_bench_docs", "table the inserts write")
	candidates = flag.String("candidates", "sql_bench_candidates", "table the rerank reads")
	limit      = flag.Int("candidates-limit", 100, "candidates per rerank statement")
	dims       = flag.Int("dim", 384, "dimensions of insert-plain's fixed vector")
	proxyPids  = flag.String("proxy-pids", "", "comma-separated pids charged to the proxy")
	svcPids    = flag.String("service-pids", "", "comma-separated pids charged to the service")
	clkTck     = flag.Float64("clk-tck", 100, "clock ticks per second of /proc/PID/stat (getconf CLK_TCK)")
)

// cpuSeconds sums utime+stime of the given processes, children's threads included.
func cpuSeconds(pids string) float64 {
	total := 0.0
	for _, p := range strings.Split(pids, ",") {
		if p == "" {
			continue
		}
		data, err := os.ReadFile("/proc/" + p + "/stat")
		if err != nil {
			continue
		}
		// The command name may hold spaces: fields count from after its closing parenthesis.
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		ut, _ := strconv.ParseFloat(fields[11], 64)
		st, _ := strconv.ParseFloat(fields[12], 64)
		total += (ut + st) / *clkTck
	}
	return total
}

func selfCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// A client's operation: one call per measured operation.
type op func(ctx context.Context, i int) error

func body(client, i int) string {
	return fmt.Sprintf("document %d of client %d about topic %d and its neighbours", i, client, i%97)
}

func fixedVector(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strconv.FormatFloat(0.051031036307982884*float64(1+i%3), 'g', -1, 64)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func prepare(ctx context.Context, conn *sql.Conn, client int) (op, error) {
	insert := "INSERT INTO " + *table + " (body, emb) VALUES (?, ?)"
	switch *mode {
	case "insert-fn":
		stmt, err := conn.PrepareContext(ctx, "INSERT INTO "+*table+" (body, emb) VALUES (?, GENAI_EMBED(?))")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, i int) error {
			b := body(client, i)
			_, err := stmt.ExecContext(ctx, b, b)
			return err
		}, nil
	case "insert-2rt":
		stmt, err := conn.PrepareContext(ctx, insert)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, i int) error {
			b := body(client, i)
			request, _ := json.Marshal(map[string]interface{}{"type": "embed", "documents": []string{b}})
			var vector string
			if err := conn.QueryRowContext(ctx, "GENAI: "+string(request)).Scan(&vector); err != nil {
				return err
			}
			_, err := stmt.ExecContext(ctx, b, "["+vector+"]")
			return err
		}, nil
	case "insert-plain":
		stmt, err := conn.PrepareContext(ctx, insert)
		if err != nil {
			return nil, err
		}
		vector := fixedVector(*dims)
		return func(ctx context.Context, i int) error {
			_, err := stmt.ExecContext(ctx, body(client, i), vector)
			return err
		}, nil
	case "rerank", "select-plain":
		inner := fmt.Sprintf("(SELECT id, body FROM %s WHERE body LIKE ? LIMIT %d) AS c", *candidates, *limit)
		text := "SELECT id, body, GENAI_RERANK(?, body) AS score FROM " + inner + " ORDER BY score DESC LIMIT 10"
		if *mode == "select-plain" {
			text = "SELECT id, body, body AS score FROM " + inner
		}
		stmt, err := conn.PrepareContext(ctx, text)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, i int) error {
			args := []interface{}{"%document%"}
			if *mode == "rerank" {
				args = append([]interface{}{fmt.Sprintf("topic %d neighbours", i%97)}, args...)
			}
			rows, err := stmt.QueryContext(ctx, args...)
			if err != nil {
				return err
			}
			var id int64
			var b, score sql.RawBytes
			for rows.Next() {
				if err := rows.Scan(&id, &b, &score); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			return rows.Err()
		}, nil
	}
	return nil, fmt.Errorf("unknown mode %q", *mode)
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func main() {
	flag.Parse()
	dsn := fmt.Sprintf("%s:%s@tcp(%s:%d)/%s?timeout=10s&readTimeout=60s", *user, *password, *host, *port, *database)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	db.SetMaxOpenConns(*clients)
	db.SetMaxIdleConns(*clients)
	ctx := context.Background()
	ops := make([]op, *clients)
	for c := range ops {
		conn, err := db.Conn(ctx)
		if err == nil {
			ops[c], err = prepare(ctx, conn, c)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "client %d: %v\n", c, err)
			os.Exit(1)
		}
	}

	type result struct {
		latencies []float64
		errors    int
		first     string
	}
	results := make([]result, *clients)
	var wg sync.WaitGroup
	start := make(chan struct{})
	proxy0, svc0, self0 := cpuSeconds(*proxyPids), cpuSeconds(*svcPids), selfCPU()
	began := time.Now()
	deadline := began.Add(*duration)
	for c := range ops {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			r := &results[c]
			<-start
			for i := 0; ; i++ {
				t := time.Now()
				if !t.Before(deadline) {
					return
				}
				if err := ops[c](ctx, i); err != nil {
					r.errors++
					if r.first == "" {
						r.first = err.Error()
					}
					continue
				}
				r.latencies = append(r.latencies, float64(time.Since(t).Microseconds())/1000)
			}
		}(c)
	}
	close(start)
	wg.Wait()
	elapsed := time.Since(began).Seconds()
	proxyCPU, svcCPU, self := cpuSeconds(*proxyPids)-proxy0, cpuSeconds(*svcPids)-svc0, selfCPU()-self0

	var all []float64
	errors, first := 0, ""
	for _, r := range results {
		all = append(all, r.latencies...)
		errors += r.errors
		if first == "" {
			first = r.first
		}
	}
	sort.Float64s(all)
	n := float64(len(all))
	perOp := func(cpu float64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatFloat(cpu*1e6/n, 'f', 0, 64)
	}
	fmt.Printf("mode\tclients\toperations\tops_per_s\tp50_ms\tp99_ms\terrors\tproxy_cpu_us\tservice_cpu_us\tload_cpu_us\tfirst_error\n")
	fmt.Printf("%s\t%d\t%d\t%.0f\t%.3f\t%.3f\t%d\t%s\t%s\t%s\t%s\n", *mode, *clients, len(all), n/elapsed,
		percentile(all, 0.5), percentile(all, 0.99), errors, perOp(proxyCPU), perOp(svcCPU), perOp(self),
		strings.ReplaceAll(first, "\t", " "))
}

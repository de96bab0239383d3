<?php
// Shared checks for the PHP driver programs (mysqli.php, pdo.php).

final class Failure extends Exception {}

// (string) of a float uses `precision` (14 digits by default): make it the shortest
// round-trip form, so that binary-protocol doubles compare equal to the text protocol's.
ini_set('precision', '-1');

const DIMENSIONS = 384;
const EMBED_JSON = '{"type":"embed","documents":["hello world","second doc"]}';
const RERANK_JSON = '{"type":"rerank","query":"red fruit","documents":["the sky is blue","an apple is red"]}';
const RERANK_PARAMS_SQL = 'GENAI: {"type":"rerank","query":?,"documents":[?,?]}';
const RERANK_PARAMS = ['red fruit', 'the sky is blue', 'an apple is red'];
const RUNTIME_SQL = "SELECT variable_value FROM runtime_global_variables WHERE variable_name='genai-max_documents'";

// The SQL-function cases (docs/SQL.md): a table of these documents, filled with a prepared
// INSERT ... GENAI_EMBED(?), then a hybrid search over the ones LIKE '%fruit%'. The lexical
// provider's BM25 ranks the top three in this order whether the four candidates are scored in
// one upstream request or one at a time (batching must not change the answer).
const DOCS = [
    'an apple is a red fruit', 'the sky is blue', 'red fruit salad with red cherries',
    'a banana is a yellow fruit', 'hello world', 'fruit flies love fruit', 'red cars go fast',
];
const RERANK_QUERY = 'red fruit';
const RERANK_LIKE = '%fruit%';
const RERANK_TOP = ['red fruit salad with red cherries', 'an apple is a red fruit', 'fruit flies love fruit'];

$GP_HOST = getenv('GP_HOST') ?: '127.0.0.1';
$GP_PORT = (int)(getenv('GP_PORT') ?: 6033);
$GP_ADMIN_PORT = (int)(getenv('GP_ADMIN_PORT') ?: 6032);
$GP_DB_PORT = (int)(getenv('GP_DB_PORT') ?: 3306);
// Set: connections to the proxy (not to MariaDB directly) use TLS verified against this CA.
$GP_TLS_CA = getenv('GP_TLS_CA') ?: null;

$failed = 0;
$ref = [];

function check(bool $cond, string $message): void {
    if (!$cond) throw new Failure($message);
}

function run_case(string $name, callable $fn): void {
    global $failed;
    try {
        $fn();
        echo "ok $name\n";
    } catch (Throwable $e) {
        $failed++;
        $reason = $e instanceof Failure ? $e->getMessage() : get_class($e) . ' ' . $e->getCode() . ': ' . $e->getMessage();
        echo "FAIL $name: " . str_replace("\n", ' | ', $reason) . "\n";
    }
}

// $result: [column names, rows as arrays of strings or null].
function vectors(array $result): array {
    [$columns, $rows] = $result;
    check($columns === ['embedding'], 'columns ' . json_encode($columns) . ', expected ["embedding"]');
    check(count($rows) === 2, count($rows) . ' rows, expected 2');
    $out = [];
    foreach ($rows as $i => $row) {
        $parts = explode(',', (string)$row[0]);
        check(count($parts) === DIMENSIONS, "row $i: " . count($parts) . ' numbers, expected ' . DIMENSIONS);
        $v = [];
        foreach ($parts as $p) {
            check(is_numeric($p), "row $i: '$p' is not a number");
            $v[] = (float)$p;
        }
        $norm = sqrt(array_sum(array_map(fn($x) => $x * $x, $v)));
        check(abs($norm - 1) < 1e-3, "row $i: L2 norm $norm, expected 1");
        $out[] = $v;
    }
    check($out[0] !== $out[1], 'the two documents have the same vector');
    return $out;
}

function reranked(array $result): array {
    [$columns, $rows] = $result;
    check($columns === ['index', 'score', 'document'], 'columns ' . json_encode($columns));
    check(count($rows) === 2, count($rows) . ' rows, expected 2');
    $out = array_map(fn($r) => [(int)$r[0], (float)$r[1], (string)$r[2]], $rows);
    check($out[0][0] === 1 && $out[0][2] === 'an apple is red', 'first row ' . json_encode($out[0]) . ', expected index 1');
    check($out[0][1] > $out[1][1], 'scores not in descending order: ' . json_encode($out));
    return $out;
}

function same($expected, $got, string $what): void {
    check($expected !== null && $expected === $got, "$what: " . substr(json_encode($got), 0, 200));
}

function admin_variables_check(array $result): void {
    [$columns, $rows] = $result;
    check(count($columns) === 2, count($columns) . ' columns, expected 2 (name, value)');
    $vars = [];
    foreach ($rows as $r) {
        check(str_starts_with((string)$r[0], 'genai-'), "name {$r[0]}");
        $vars[(string)$r[0]] = (string)$r[1];
    }
    check(($vars['genai-max_documents'] ?? null) === '10000',
          'genai-max_documents = ' . json_encode($vars['genai-max_documents'] ?? null));
}

function runtime_value(array $result): ?string {
    [, $rows] = $result;
    return count($rows) === 1 ? (string)$rows[0][0] : json_encode($rows);
}

// The cases from tx_rollback to admin_set_load_runtime, the same for mysqli.php and pdo.php,
// with the table they use made first. They call the program's app(), direct(), admin(),
// connect(), q() and count_rows(); $d holds what differs:
//   'table'       the table's name,
//   'exec'        fn($conn, string $sql): sends a statement that gives no rows,
//   'begin'       fn($conn): starts a transaction,
//   'with_params' fn($conn, string $sql, array $params): array, a statement with bound parameters,
//   'params'      what the genai user's case with parameters is called after (prepared, ...),
//   'rollback'    the name of the driver's rollback method, and
//   'params_what' what that case's failure message says.
function shared_cases(array $d): void {
    $table = $d['table'];
    try {
        $c = direct();
        $d['exec']($c, "DROP TABLE IF EXISTS $table");
        $d['exec']($c, "CREATE TABLE $table (id INT PRIMARY KEY, body TEXT)");
    } catch (Throwable $e) {
        fwrite(STDERR, "# could not create $table: " . $e->getMessage() . "\n");
    }
    $transaction = function (int $id, bool $commit) use ($d, $table): int {
        $m = app();
        $d['begin']($m);
        $d['exec']($m, "INSERT INTO $table VALUES ($id, 'in a transaction')");
        vectors(q($m, 'GENAI: ' . EMBED_JSON));
        $commit ? $m->commit() : $m->rollback();
        return count_rows($m, $id);
    };
    run_case('tx_rollback', function () use ($d, $transaction) {
        check($transaction(1, false) === 0, "after {$d['rollback']}() the row is still there on the same connection");
        check(count_rows(direct(), 1) === 0, 'rolled-back row visible from another connection');
    });
    run_case('tx_commit', function () use ($transaction) {
        $transaction(2, true);
        check(count_rows(direct(), 2) === 1, 'committed row not visible from another connection');
    });

    run_case('genai_user_embed_text', function () {
        global $ref, $GP_PORT;
        same($ref['vectors'] ?? null, vectors(q(connect($GP_PORT, 'genai', 'genai-pw', null), 'GENAI: ' . EMBED_JSON)),
             "vectors differ from user app's");
    });
    run_case("genai_user_embed_{$d['params']}", function () use ($d) {
        global $ref, $GP_PORT;
        same($ref['vectors'] ?? null,
             vectors($d['with_params'](connect($GP_PORT, 'genai', 'genai-pw', null), 'GENAI: ?', [EMBED_JSON])),
             $d['params_what']);
    });

    run_case('admin_show_variables', function () {
        admin_variables_check(q(admin(), "SHOW VARIABLES LIKE 'genai-%'"));
    });
    run_case('admin_set_load_runtime', function () use ($d) {
        $a = admin();
        try {
            $d['exec']($a, 'SET genai-max_documents = 5000');
            $d['exec']($a, 'LOAD GENAI VARIABLES TO RUNTIME');
            $v = runtime_value(q($a, RUNTIME_SQL));
            check($v === '5000', "runtime value $v, expected 5000");
        } finally {
            $d['exec']($a, 'SET genai-max_documents = 10000');
            $d['exec']($a, 'LOAD GENAI VARIABLES TO RUNTIME');
        }
        $v = runtime_value(q($a, RUNTIME_SQL));
        check($v === '10000', "runtime value $v after setting it back");
    });
}

// A GENAI_EMBED value: a JSON array of DIMENSIONS numbers of norm 1.
function embedding(?string $value, string $what): array {
    $v = json_decode((string)$value, true);
    check(is_array($v) && array_is_list($v), "$what: not a JSON array: " . substr((string)$value, 0, 80));
    check(count($v) === DIMENSIONS, "$what: " . count($v) . ' numbers, expected ' . DIMENSIONS);
    check(count(array_filter($v, fn($x) => is_int($x) || is_float($x))) === DIMENSIONS, "$what: not all numbers");
    $norm = sqrt(array_sum(array_map(fn($x) => $x * $x, $v)));
    check(abs($norm - 1) < 1e-3, "$what: L2 norm $norm, expected 1");
    return $v;
}

// The statements of docs/SQL.md through the driver's API with bound parameters. Calls the
// program's app(), direct(), connect() and q(); $d holds
//   'table'       the table's name,
//   'exec'        fn($conn, string $sql): sends a statement that gives no rows,
//   'exec_params' fn($conn, string $sql, array $params): the same with bound parameters,
//   'with_params' fn($conn, string $sql, array $params): array, a query with bound parameters
//                 ([columns, rows, column type names]),
//   'params'      what a bound parameter becomes (prepared or interpolated),
//   'begin'       fn($conn): starts a transaction.
function sql_function_cases(array $d): void {
    $docs = $d['table'] . '_docs';
    $ids = [];
    run_case("sql_embed_insert_{$d['params']}", function () use ($d, $docs, &$ids) {
        global $ref;
        $c = direct();
        $d['exec']($c, "DROP TABLE IF EXISTS $docs");
        $d['exec']($c, "CREATE TABLE $docs (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT, emb TEXT)");
        $m = app();
        foreach (DOCS as $body) {
            $d['exec_params']($m, "INSERT INTO $docs (body, emb) VALUES (?, GENAI_EMBED(?))", [$body, $body]);
        }
        [, $rows] = q($m, "SELECT id, body, emb FROM $docs ORDER BY id");
        check(array_column($rows, 1) === DOCS, 'bodies ' . json_encode(array_column($rows, 1)));
        foreach ($rows as [$id, $body, $emb]) {
            $ids[$body] = (int)$id;
            $stored = embedding($emb, "emb of '$body'");
            $call = "GENAI_EMBED('$body')";
            [$columns, $r] = q($m, "SELECT $call");
            check($columns === [$call], 'an unaliased item is named by its call text; columns were ' . json_encode($columns));
            check($r[0][0] === $emb, "'$body': stored " . substr($emb, 0, 60) . "..., SELECT $call gave " . substr((string)$r[0][0], 0, 60) . '...');
            if ($body === 'hello world' && isset($ref['vectors'])) {
                foreach ($stored as $i => $x) {
                    check(abs($x - $ref['vectors'][0][$i]) <= 1e-6, "GENAI_EMBED('hello world') differs from GENAI: embed at $i");
                }
            }
        }
    });
    run_case("sql_rerank_hybrid_{$d['params']}", function () use ($d, $docs, &$ids) {
        [$columns, $rows, $types] = $d['with_params'](app(),
            "SELECT id, body, GENAI_RERANK(?, body) AS score FROM (SELECT id, body FROM $docs WHERE body LIKE ? LIMIT 100) AS c ORDER BY score DESC LIMIT 3",
            [RERANK_QUERY, RERANK_LIKE]);
        check($columns === ['id', 'body', 'score'], 'columns ' . json_encode($columns));
        check(($types[2] ?? null) === 'DOUBLE', 'score column type ' . json_encode($types[2] ?? null) . ', expected DOUBLE');
        check(array_column($rows, 1) === RERANK_TOP, 'top three ' . json_encode(array_column($rows, 1)));
        check(array_map('intval', array_column($rows, 0)) === array_map(fn($b) => $ids[$b] ?? null, RERANK_TOP),
              'ids of the top three ' . json_encode(array_column($rows, 0)));
        $scores = array_column($rows, 2);
        check(count(array_filter($scores, 'is_numeric')) === 3, 'scores ' . json_encode($scores) . ' are not numbers');
        $scores = array_map('floatval', $scores);
        check($scores[0] > $scores[1] && $scores[1] > $scores[2], 'scores not in descending order: ' . json_encode($scores));
    });
    try { $d['exec'](direct(), "DROP TABLE IF EXISTS $docs"); } catch (Throwable $e) {}

    // GENAI_EMBED_BINARY and the NULL rules: NULL, a blank text and a blank document give NULL.
    run_case("sql_embed_binary_null_{$d['params']}", function () use ($d) {
        [$columns, $rows, $types] = $d['with_params'](app(),
            'SELECT GENAI_EMBED_BINARY(?) AS b, GENAI_EMBED(?) AS t, GENAI_EMBED(?) AS n, GENAI_EMBED(?) AS w, GENAI_RERANK(?, ?) AS r',
            ['hello world', 'hello world', null, '   ', 'red fruit', ' ']);
        check($columns === ['b', 't', 'n', 'w', 'r'], 'columns ' . json_encode($columns));
        check(in_array($types[0], ['BLOB', 'LONG_BLOB', 'MEDIUM_BLOB'], true), 'GENAI_EMBED_BINARY column type ' . json_encode($types[0]) . ', expected BLOB');
        $numbers = embedding($rows[0][1], 't');
        $bytes = (string)$rows[0][0];
        check(strlen($bytes) === 4 * DIMENSIONS, strlen($bytes) . ' bytes, expected ' . 4 * DIMENSIONS);
        foreach (array_values(unpack('g*', $bytes)) as $i => $x) {
            check(abs($x - $numbers[$i]) <= 1e-7, "float $i is $x, GENAI_EMBED gave {$numbers[$i]}");
        }
        check(array_slice($rows[0], 2) === [null, null, null], 'NULL, blank text and blank document gave ' . json_encode(array_slice($rows[0], 2)));
    });

    // A failing call forwards nothing: the open transaction keeps its row, and the driver's
    // rollback still ends it.
    run_case("sql_error_keeps_transaction_{$d['params']}", function () use ($d) {
        $m = app();
        $d['begin']($m);
        $d['exec']($m, 'INSERT INTO ' . $d['table'] . " VALUES (3, 'before the failing call')");
        $code = null;
        try {
            $d['with_params']($m, "SELECT GENAI_EMBED(?, 'no-such-model') AS v", ['x']);
        } catch (Throwable $e) {
            $code = $e instanceof PDOException ? (int)($e->errorInfo[1] ?? 0) : $e->getCode();
        }
        check($code === 9101, 'error code ' . json_encode($code) . ', expected 9101');
        check(count_rows($m, 3) === 1, 'the row inserted before the failing statement is gone');
        $m->rollback();
        check(count_rows($m, 3) === 0, 'after rollback the row is still there');
    });

    // SELECT of GENAI functions of constants from the user whose hostgroup has no server: the
    // proxy answers it; the value is the same as the app user's.
    run_case('sql_embed_no_backend', function () {
        global $GP_PORT;
        $sql = "SELECT GENAI_EMBED('hello world') AS v";
        [, $app] = q(app(), $sql);
        [$columns, $rows] = q(connect($GP_PORT, 'genai', 'genai-pw', null), $sql);
        check($columns === ['v'], 'columns ' . json_encode($columns));
        embedding($rows[0][0] ?? null, 'v');
        check(count($rows) === 1 && $rows[0][0] === $app[0][0], 'the genai user got another value than app');
    });
}

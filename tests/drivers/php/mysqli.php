<?php
// Driver suite: PHP mysqli (mysqlnd). query() is the text protocol; prepare()/execute()
// is a server-side prepared statement; begin_transaction()/rollback()/commit().
require __DIR__ . '/common.php';

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
const TABLE = 'drv_mysqli';

function connect(int $port, string $user, string $password, ?string $db = 'gp_test'): mysqli {
    global $GP_HOST, $GP_TLS_CA, $GP_DB_PORT;
    $m = mysqli_init();
    $m->options(MYSQLI_OPT_CONNECT_TIMEOUT, 10);
    $flags = 0;
    if ($GP_TLS_CA && $port !== $GP_DB_PORT) {
        $m->ssl_set(null, null, $GP_TLS_CA, null, null);
        $flags = MYSQLI_CLIENT_SSL;
    }
    $m->real_connect($GP_HOST, $user, $password, $db, $port, null, $flags);
    return $m;
}

function app(): mysqli { global $GP_PORT; return connect($GP_PORT, 'app', 'secret'); }
function direct(): mysqli { global $GP_DB_PORT; return connect($GP_DB_PORT, 'app', 'secret'); }
function admin(): mysqli { global $GP_ADMIN_PORT; return connect($GP_ADMIN_PORT, 'admin', 'admin', null); }

// [column names, rows of strings or null, column type names (as PDO's native_type, or the type's number)]
function rows_of(mysqli_result $r): array {
    $fields = $r->fetch_fields();
    $columns = array_map(fn($f) => $f->name, $fields);
    $names = [MYSQLI_TYPE_DOUBLE => 'DOUBLE', MYSQLI_TYPE_BLOB => 'BLOB'];
    $types = array_map(fn($f) => $names[$f->type] ?? (string)$f->type, $fields);
    $rows = [];
    while ($row = $r->fetch_row()) $rows[] = array_map(fn($v) => $v === null ? null : (string)$v, $row);
    return [$columns, $rows, $types];
}

function q(mysqli $m, string $sql): array { return rows_of($m->query($sql)); }

function prepared(mysqli $m, string $sql, array $params): array {
    $stmt = $m->prepare($sql);
    $stmt->bind_param(str_repeat('s', count($params)), ...$params);
    $stmt->execute();
    $result = rows_of($stmt->get_result());
    $stmt->close();
    return $result;
}

function exec_prepared(mysqli $m, string $sql, array $params): void {
    $stmt = $m->prepare($sql);
    $stmt->bind_param(str_repeat('s', count($params)), ...$params);
    $stmt->execute();
    $stmt->close();
}

function count_rows(mysqli $m, int $id): int {
    return (int)q($m, 'SELECT COUNT(*) FROM ' . TABLE . " WHERE id = $id")[1][0][0];
}

fwrite(STDERR, '# PHP ' . PHP_VERSION . ', mysqli client ' . mysqli_get_client_info() . "\n");

run_case('select1', function () {
    $rows = q(app(), 'SELECT 1')[1];
    check($rows === [['1']], 'rows ' . json_encode($rows));
});
run_case('embed_text', function () {
    global $ref;
    $m = app();
    $a = vectors(q($m, 'GENAI: ' . EMBED_JSON));
    $b = vectors(q($m, 'GENAI: ' . EMBED_JSON));
    same($a, $b, 'the same text gave different vectors on two calls');
    $ref['vectors'] = $a;
});
run_case('rerank_text', function () {
    global $ref;
    $ref['rerank'] = reranked(q(app(), 'GENAI: ' . RERANK_JSON));
});
run_case('embed_prepared', function () {
    global $ref;
    same($ref['vectors'] ?? null, vectors(prepared(app(), 'GENAI: ?', [EMBED_JSON])), 'prepared vectors differ');
});
run_case('rerank_prepared', function () {
    global $ref;
    $m = app();
    same($ref['rerank'] ?? null, reranked(prepared($m, 'GENAI: ?', [RERANK_JSON])), 'GENAI: ? gave');
    same($ref['rerank'] ?? null, reranked(prepared($m, RERANK_PARAMS_SQL, RERANK_PARAMS)), '? in JSON values gave');
});
run_case('sql_prepared_mixed', function () {
    global $ref;
    // A forwarded (backend) prepared statement, then a GENAI one, then the first again.
    $m = app();
    $stmt = $m->prepare("SELECT CONCAT(?, '-x')");
    $run = function (string $v) use ($stmt) {
        $stmt->bind_param('s', $v);
        $stmt->execute();
        return rows_of($stmt->get_result())[1];
    };
    check($run('a') === [['a-x']], 'SELECT CONCAT(?) gave other rows');
    same($ref['vectors'] ?? null, vectors(prepared($m, 'GENAI: ?', [EMBED_JSON])), 'GENAI vectors differ');
    check($run('b') === [['b-x']], 'SELECT CONCAT(?) after the GENAI statement gave other rows');
    $stmt->close();
});

shared_cases([
    'table' => TABLE,
    'exec' => fn(mysqli $m, string $sql) => $m->query($sql),
    'begin' => fn(mysqli $m) => $m->begin_transaction(),
    'with_params' => 'prepared',
    'params' => 'prepared',
    'rollback' => 'rollback',
    'params_what' => 'prepared vectors differ',
]);

sql_function_cases([
    'table' => TABLE,
    'exec' => fn(mysqli $m, string $sql) => $m->query($sql),
    'exec_params' => 'exec_prepared',
    'begin' => fn(mysqli $m) => $m->begin_transaction(),
    'with_params' => 'prepared',
    'params' => 'prepared',
]);

// COM_STMT_SEND_LONG_DATA: the text arrives in pieces before COM_STMT_EXECUTE.
run_case('sql_embed_long_data_prepared', function () {
    $m = app();
    $stmt = $m->prepare('SELECT GENAI_EMBED(?) AS v');
    $none = null;
    $stmt->bind_param('b', $none);
    $stmt->send_long_data(0, 'hello ');
    $stmt->send_long_data(0, 'world');
    $stmt->execute();
    [$columns, $rows] = rows_of($stmt->get_result());
    $stmt->close();
    check($columns === ['v'], 'columns ' . json_encode($columns));
    embedding($rows[0][0], 'v');
    $want = q($m, "SELECT GENAI_EMBED('hello world') AS v")[1][0][0];
    check($rows[0][0] === $want, 'the text sent in pieces gave another vector than the same text as a constant');
});

run_case('bad_statement', function () {
    $m = app();
    $code = null;
    try {
        $m->query('GENAI: {"type":"embed","documents":[]}');
    } catch (mysqli_sql_exception $e) {
        $code = $e->getCode();
    }
    check($code === 9101, 'error code ' . json_encode($code) . ', expected 9101');
    check(q($m, 'SELECT 1')[1] === [['1']], 'SELECT 1 after the error failed');
});

try { direct()->query('DROP TABLE IF EXISTS ' . TABLE); } catch (Throwable $e) {}
exit($failed ? 1 : 0);

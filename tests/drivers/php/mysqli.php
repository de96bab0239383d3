<?php
// Driver suite: PHP mysqli (mysqlnd). query() is the text protocol; prepare()/execute()
// is a server-side prepared statement; begin_transaction()/rollback()/commit().
require __DIR__ . '/common.php';

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
const TABLE = 'drv_mysqli';

function connect(int $port, string $user, string $password, ?string $db = 'gp_test'): mysqli {
    global $GP_HOST;
    $m = mysqli_init();
    $m->options(MYSQLI_OPT_CONNECT_TIMEOUT, 10);
    $m->real_connect($GP_HOST, $user, $password, $db, $port);
    return $m;
}

function app(): mysqli { global $GP_PORT; return connect($GP_PORT, 'app', 'secret'); }
function direct(): mysqli { global $GP_DB_PORT; return connect($GP_DB_PORT, 'app', 'secret'); }
function admin(): mysqli { global $GP_ADMIN_PORT; return connect($GP_ADMIN_PORT, 'admin', 'admin', null); }

function rows_of(mysqli_result $r): array {
    $columns = array_map(fn($f) => $f->name, $r->fetch_fields());
    $rows = [];
    while ($row = $r->fetch_row()) $rows[] = array_map(fn($v) => $v === null ? null : (string)$v, $row);
    return [$columns, $rows];
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

try {
    $d = direct();
    $d->query('DROP TABLE IF EXISTS ' . TABLE);
    $d->query('CREATE TABLE ' . TABLE . ' (id INT PRIMARY KEY, body TEXT)');
} catch (Throwable $e) {
    fwrite(STDERR, '# could not create ' . TABLE . ': ' . $e->getMessage() . "\n");
}
function transaction(int $id, bool $commit): int {
    $m = app();
    $m->begin_transaction();
    $m->query('INSERT INTO ' . TABLE . " VALUES ($id, 'in a transaction')");
    vectors(q($m, 'GENAI: ' . EMBED_JSON));
    $commit ? $m->commit() : $m->rollback();
    return count_rows($m, $id);
}
run_case('tx_rollback', function () {
    check(transaction(1, false) === 0, 'after rollback() the row is still there on the same connection');
    check(count_rows(direct(), 1) === 0, 'rolled-back row visible from another connection');
});
run_case('tx_commit', function () {
    transaction(2, true);
    check(count_rows(direct(), 2) === 1, 'committed row not visible from another connection');
});

run_case('genai_user_embed_text', function () {
    global $ref, $GP_PORT;
    same($ref['vectors'] ?? null, vectors(q(connect($GP_PORT, 'genai', 'genai-pw', null), 'GENAI: ' . EMBED_JSON)),
         "vectors differ from user app's");
});
run_case('genai_user_embed_prepared', function () {
    global $ref, $GP_PORT;
    same($ref['vectors'] ?? null, vectors(prepared(connect($GP_PORT, 'genai', 'genai-pw', null), 'GENAI: ?', [EMBED_JSON])),
         'prepared vectors differ');
});

run_case('admin_show_variables', function () {
    admin_variables_check(q(admin(), "SHOW VARIABLES LIKE 'genai-%'"));
});
run_case('admin_set_load_runtime', function () {
    $a = admin();
    try {
        $a->query('SET genai-max_documents = 5000');
        $a->query('LOAD GENAI VARIABLES TO RUNTIME');
        $v = runtime_value(q($a, RUNTIME_SQL));
        check($v === '5000', "runtime value $v, expected 5000");
    } finally {
        $a->query('SET genai-max_documents = 10000');
        $a->query('LOAD GENAI VARIABLES TO RUNTIME');
    }
    $v = runtime_value(q($a, RUNTIME_SQL));
    check($v === '10000', "runtime value $v after setting it back");
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

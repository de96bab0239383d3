<?php
// Driver suite: PHP PDO (pdo_mysql over mysqlnd), run twice by the runner:
//   GP_PDO_EMULATE=0: ATTR_EMULATE_PREPARES false -- every statement, PDO::query() included,
//                     is a server-side prepared statement (COM_STMT_PREPARE/EXECUTE);
//   GP_PDO_EMULATE=1: ATTR_EMULATE_PREPARES true -- PDO replaces each ? with a quoted SQL
//                     string literal and sends COM_QUERY.
// beginTransaction()/rollBack()/commit(); PDO reads the transaction state from the
// server's status flags.
require __DIR__ . '/common.php';

$EMULATE = getenv('GP_PDO_EMULATE') === '1';
$STACK = $EMULATE ? 'pdo_emulated' : 'pdo_native';
$TABLE = "drv_$STACK";
$PARAMS = $EMULATE ? 'interpolated' : 'prepared';  // what a bound parameter becomes

function connect(int $port, string $user, string $password, ?string $db = 'gp_test'): PDO {
    global $GP_HOST, $EMULATE;
    $dsn = "mysql:host=$GP_HOST;port=$port" . ($db ? ";dbname=$db" : '');
    return new PDO($dsn, $user, $password, [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_EMULATE_PREPARES => $EMULATE,
        PDO::ATTR_TIMEOUT => 10,
    ]);
}

function app(): PDO { global $GP_PORT; return connect($GP_PORT, 'app', 'secret'); }
function direct(): PDO { global $GP_DB_PORT; return connect($GP_DB_PORT, 'app', 'secret'); }
function admin(): PDO { global $GP_ADMIN_PORT; return connect($GP_ADMIN_PORT, 'admin', 'admin', null); }

function rows_of(PDOStatement $s): array {
    $columns = [];
    for ($i = 0; $i < $s->columnCount(); $i++) $columns[] = $s->getColumnMeta($i)['name'];
    $rows = [];
    while (($row = $s->fetch(PDO::FETCH_NUM)) !== false) {
        $rows[] = array_map(fn($v) => $v === null ? null : (string)$v, $row);
    }
    return [$columns, $rows];
}

function q(PDO $p, string $sql): array { return rows_of($p->query($sql)); }

function with_params(PDO $p, string $sql, array $params): array {
    $s = $p->prepare($sql);
    $s->execute($params);
    return rows_of($s);
}

function count_rows(PDO $p, int $id): int {
    global $TABLE;
    return (int)q($p, "SELECT COUNT(*) FROM $TABLE WHERE id = $id")[1][0][0];
}

function driver_code(PDOException $e): ?int {
    return isset($e->errorInfo[1]) ? (int)$e->errorInfo[1] : null;
}

fwrite(STDERR, '# PHP ' . PHP_VERSION . ', PDO mysql client ' .
       (new ReflectionExtension('pdo_mysql'))->getVersion() . ', emulate prepares ' . json_encode($EMULATE) . "\n");

run_case('select1', function () {
    $rows = q(app(), 'SELECT 1')[1];
    check($rows === [['1']], 'rows ' . json_encode($rows));
});
run_case('embed_text', function () {
    global $ref;
    $p = app();
    $a = vectors(q($p, 'GENAI: ' . EMBED_JSON));
    $b = vectors(q($p, 'GENAI: ' . EMBED_JSON));
    same($a, $b, 'the same text gave different vectors on two calls');
    $ref['vectors'] = $a;
});
run_case('rerank_text', function () {
    global $ref;
    $ref['rerank'] = reranked(q(app(), 'GENAI: ' . RERANK_JSON));
});
run_case("embed_$PARAMS", function () {
    global $ref;
    same($ref['vectors'] ?? null, vectors(with_params(app(), 'GENAI: ?', [EMBED_JSON])), 'vectors differ from the text query\'s');
});
run_case("rerank_$PARAMS", function () {
    global $ref;
    $p = app();
    same($ref['rerank'] ?? null, reranked(with_params($p, 'GENAI: ?', [RERANK_JSON])), 'GENAI: ? gave');
    same($ref['rerank'] ?? null, reranked(with_params($p, RERANK_PARAMS_SQL, RERANK_PARAMS)), '? in JSON values gave');
});

try {
    $d = direct();
    $d->exec("DROP TABLE IF EXISTS $TABLE");
    $d->exec("CREATE TABLE $TABLE (id INT PRIMARY KEY, body TEXT)");
} catch (Throwable $e) {
    fwrite(STDERR, "# could not create $TABLE: " . $e->getMessage() . "\n");
}
function transaction(int $id, bool $commit): int {
    global $TABLE;
    $p = app();
    $p->beginTransaction();
    $p->exec("INSERT INTO $TABLE VALUES ($id, 'in a transaction')");
    vectors(q($p, 'GENAI: ' . EMBED_JSON));
    $commit ? $p->commit() : $p->rollBack();
    return count_rows($p, $id);
}
run_case('tx_rollback', function () {
    check(transaction(1, false) === 0, 'after rollBack() the row is still there on the same connection');
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
run_case("genai_user_embed_$PARAMS", function () {
    global $ref, $GP_PORT;
    same($ref['vectors'] ?? null, vectors(with_params(connect($GP_PORT, 'genai', 'genai-pw', null), 'GENAI: ?', [EMBED_JSON])),
         'vectors differ');
});

run_case('admin_show_variables', function () {
    admin_variables_check(q(admin(), "SHOW VARIABLES LIKE 'genai-%'"));
});
run_case('admin_set_load_runtime', function () {
    $a = admin();
    try {
        $a->exec('SET genai-max_documents = 5000');
        $a->exec('LOAD GENAI VARIABLES TO RUNTIME');
        $v = runtime_value(q($a, RUNTIME_SQL));
        check($v === '5000', "runtime value $v, expected 5000");
    } finally {
        $a->exec('SET genai-max_documents = 10000');
        $a->exec('LOAD GENAI VARIABLES TO RUNTIME');
    }
    $v = runtime_value(q($a, RUNTIME_SQL));
    check($v === '10000', "runtime value $v after setting it back");
});

run_case('bad_statement', function () {
    $p = app();
    $code = null;
    try {
        q($p, 'GENAI: {"type":"embed","documents":[]}');
    } catch (PDOException $e) {
        $code = driver_code($e);
    }
    check($code === 9101, 'error code ' . json_encode($code) . ', expected 9101');
    check(q($p, 'SELECT 1')[1] === [['1']], 'SELECT 1 after the error failed');
});

try { direct()->exec("DROP TABLE IF EXISTS $TABLE"); } catch (Throwable $e) {}
exit($failed ? 1 : 0);

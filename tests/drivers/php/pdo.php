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
    global $GP_HOST, $EMULATE, $GP_TLS_CA, $GP_DB_PORT;
    $dsn = "mysql:host=$GP_HOST;port=$port" . ($db ? ";dbname=$db" : '');
    $options = [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_EMULATE_PREPARES => $EMULATE,
        PDO::ATTR_TIMEOUT => 10,
    ];
    if ($GP_TLS_CA && $port !== $GP_DB_PORT) $options[PDO::MYSQL_ATTR_SSL_CA] = $GP_TLS_CA;
    return new PDO($dsn, $user, $password, $options);
}

function app(): PDO { global $GP_PORT; return connect($GP_PORT, 'app', 'secret'); }
function direct(): PDO { global $GP_DB_PORT; return connect($GP_DB_PORT, 'app', 'secret'); }
function admin(): PDO { global $GP_ADMIN_PORT; return connect($GP_ADMIN_PORT, 'admin', 'admin', null); }

// [column names, rows of strings or null, column type names]
function rows_of(PDOStatement $s): array {
    $columns = [];
    $types = [];
    for ($i = 0; $i < $s->columnCount(); $i++) {
        $meta = $s->getColumnMeta($i);
        $columns[] = $meta['name'];
        $types[] = $meta['native_type'] ?? null;
    }
    $rows = [];
    while (($row = $s->fetch(PDO::FETCH_NUM)) !== false) {
        $rows[] = array_map(fn($v) => $v === null ? null : (string)$v, $row);
    }
    return [$columns, $rows, $types];
}

function q(PDO $p, string $sql): array { return rows_of($p->query($sql)); }

function with_params(PDO $p, string $sql, array $params): array {
    $s = $p->prepare($sql);
    $s->execute($params);
    return rows_of($s);
}

function exec_params(PDO $p, string $sql, array $params): void {
    $p->prepare($sql)->execute($params);
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

shared_cases([
    'table' => $TABLE,
    'exec' => fn(PDO $p, string $sql) => $p->exec($sql),
    'begin' => fn(PDO $p) => $p->beginTransaction(),
    'with_params' => 'with_params',
    'params' => $PARAMS,
    'rollback' => 'rollBack',
    'params_what' => 'vectors differ',
]);

sql_function_cases([
    'table' => $TABLE,
    'exec' => fn(PDO $p, string $sql) => $p->exec($sql),
    'exec_params' => 'exec_params',
    'begin' => fn(PDO $p) => $p->beginTransaction(),
    'with_params' => 'with_params',
    'params' => $PARAMS,
]);

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

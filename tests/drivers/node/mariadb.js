'use strict';
// Driver suite: node mariadb (MariaDB Connector/Node.js, promise API). query() is the
// text protocol (with values: client-side interpolation), execute() is a server-side
// prepared statement. commit()/rollback() send nothing when the status flags of the last
// answer say there is no transaction, so they depend on the proxy's flags.
const mariadb = require('mariadb');
const c = require('./common');

const { env, check, vectors, reranked, same } = c;
const suite = new c.Suite('node_mariadb');
const TABLE = suite.table;

function connect(opts = {}) {
  return mariadb.createConnection({
    host: env.host, port: env.port, user: 'app', password: 'secret', database: 'gp_test',
    connectTimeout: 10000, ...opts,
  });
}

// rowsAsArray gives arrays; the column names are in the result's meta.
async function run(conn, how, sql, params) {
  const rows = await conn[how]({ sql, rowsAsArray: true }, params);
  const meta = rows.meta || [];
  return [meta.map((m) => (typeof m.name === 'function' ? m.name() : m.name)), Array.from(rows)];
}

async function countRows(conn, id) {
  const [, rows] = await run(conn, 'query', `SELECT COUNT(*) FROM ${TABLE} WHERE id = ${id}`);
  return Number(rows[0][0]);
}

async function withConn(opts, fn) {
  const conn = await connect(opts);
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

async function transaction(id, finish) {
  return withConn({}, async (conn) => {
    await conn.beginTransaction();
    await conn.query(`INSERT INTO ${TABLE} VALUES (${id}, 'in a transaction')`);
    vectors(...await run(conn, 'query', c.EMBED_SQL));
    await conn[finish]();
    return countRows(conn, id);
  });
}

const ADMIN = { port: env.adminPort, user: 'admin', password: 'admin', database: undefined };
const RUNTIME_SQL = "SELECT variable_value FROM runtime_global_variables WHERE variable_name='genai-max_documents'";

async function main() {
  console.error(`# mariadb ${mariadb.version}`);
  await suite.case('select1', () => withConn({}, async (conn) => {
    const [, rows] = await run(conn, 'query', 'SELECT 1');
    check(rows.length === 1 && Number(rows[0][0]) === 1, `rows ${JSON.stringify(rows)}`);
  }));
  await suite.case('embed_text', () => withConn({}, async (conn) => {
    const a = vectors(...await run(conn, 'query', c.EMBED_SQL));
    const b = vectors(...await run(conn, 'query', c.EMBED_SQL));
    same(a, b, 'the same text gave different vectors on two calls');
    suite.ref.vectors = a;
  }));
  await suite.case('rerank_text', () => withConn({}, async (conn) => {
    suite.ref.rerank = reranked(...await run(conn, 'query', c.RERANK_SQL));
  }));
  await suite.case('embed_prepared', () => withConn({}, async (conn) => {
    const got = vectors(...await run(conn, 'execute', 'GENAI: ?', [JSON.stringify(c.EMBED)]));
    same(suite.ref.vectors, got, 'execute() gave other vectors than the text query');
  }));
  await suite.case('rerank_prepared', () => withConn({}, async (conn) => {
    const whole = reranked(...await run(conn, 'execute', 'GENAI: ?', [JSON.stringify(c.RERANK)]));
    same(suite.ref.rerank, whole, 'execute(GENAI: ?) gave');
    const values = reranked(...await run(conn, 'execute', c.RERANK_PARAMS_SQL, c.RERANK_PARAMS));
    same(suite.ref.rerank, values, 'execute() with ? in JSON values gave');
  }));
  await suite.case('embed_interpolated', () => withConn({}, async (conn) => {
    const got = vectors(...await run(conn, 'query', 'GENAI: ?', [JSON.stringify(c.EMBED)]));
    same(suite.ref.vectors, got, 'query() with values gave other vectors than the text query');
  }));
  await suite.case('rerank_interpolated', () => withConn({}, async (conn) => {
    const whole = reranked(...await run(conn, 'query', 'GENAI: ?', [JSON.stringify(c.RERANK)]));
    same(suite.ref.rerank, whole, 'query(GENAI: ?) gave');
    const values = reranked(...await run(conn, 'query', c.RERANK_PARAMS_SQL, c.RERANK_PARAMS));
    same(suite.ref.rerank, values, 'query() with ? in JSON values gave');
  }));
  await suite.case('sql_prepared_mixed', () => withConn({}, async (conn) => {
    // A forwarded (backend) prepared statement, then a GENAI one, then the first again.
    const sqlRows = async () => (await run(conn, 'execute', "SELECT CONCAT(?, '-x')", ['a']))[1];
    check(JSON.stringify(await sqlRows()) === '[["a-x"]]', 'SELECT CONCAT(?) gave other rows');
    same(suite.ref.vectors, vectors(...await run(conn, 'execute', 'GENAI: ?', [JSON.stringify(c.EMBED)])), 'GENAI execute() gave');
    check(JSON.stringify(await sqlRows()) === '[["a-x"]]', 'SELECT CONCAT(?) after the GENAI statement gave other rows');
  }));

  await withConn({ port: env.dbPort }, async (conn) => {
    await conn.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await conn.query(`CREATE TABLE ${TABLE} (id INT PRIMARY KEY, body TEXT)`);
  }).catch((e) => console.error(`# could not create ${TABLE}: ${e.message}`));
  await suite.case('tx_rollback', async () => {
    const sameConn = await transaction(1, 'rollback');
    check(sameConn === 0, 'after rollback() the row is still there on the same connection (no ROLLBACK sent?)');
    const other = await withConn({ port: env.dbPort }, (conn) => countRows(conn, 1));
    check(other === 0, 'rolled-back row visible from another connection');
  });
  await suite.case('tx_commit', async () => {
    await transaction(2, 'commit');
    const other = await withConn({ port: env.dbPort }, (conn) => countRows(conn, 2));
    check(other === 1, 'committed row not visible from another connection (no COMMIT sent?)');
  });

  const GENAI_USER = { user: 'genai', password: 'genai-pw', database: undefined };
  await suite.case('genai_user_embed_text', () => withConn(GENAI_USER, async (conn) => {
    same(suite.ref.vectors, vectors(...await run(conn, 'query', c.EMBED_SQL)), 'vectors differ from user app\'s');
  }));
  await suite.case('genai_user_embed_prepared', () => withConn(GENAI_USER, async (conn) => {
    const got = vectors(...await run(conn, 'execute', 'GENAI: ?', [JSON.stringify(c.EMBED)]));
    same(suite.ref.vectors, got, 'execute() gave other vectors');
  }));

  await suite.case('admin_show_variables', () => withConn(ADMIN, async (conn) => {
    const [columns, rows] = await run(conn, 'query', "SHOW VARIABLES LIKE 'genai-%'");
    check(columns.length === 2, `${columns.length} columns, expected 2 (name, value)`);
    const vars = new Map(rows.map((r) => [c.text(r[0]), c.text(r[1])]));
    check([...vars.keys()].every((n) => n.startsWith('genai-')), `names ${[...vars.keys()]}`);
    check(vars.get('genai-max_documents') === '10000', `genai-max_documents = ${vars.get('genai-max_documents')}`);
  }));
  await suite.case('admin_set_load_runtime', () => withConn(ADMIN, async (conn) => {
    let rows;
    try {
      await conn.query('SET genai-max_documents = 5000');
      await conn.query('LOAD GENAI VARIABLES TO RUNTIME');
      [, rows] = await run(conn, 'query', RUNTIME_SQL);
      check(JSON.stringify(rows.map((r) => c.text(r[0]))) === '["5000"]', `runtime value ${JSON.stringify(rows)}, expected 5000`);
    } finally {
      await conn.query('SET genai-max_documents = 10000');
      await conn.query('LOAD GENAI VARIABLES TO RUNTIME');
    }
    [, rows] = await run(conn, 'query', RUNTIME_SQL);
    check(JSON.stringify(rows.map((r) => c.text(r[0]))) === '["10000"]', `runtime value ${JSON.stringify(rows)} after setting it back`);
  }));

  await suite.case('bad_statement', () => withConn({}, async (conn) => {
    await suite.expectError(() => conn.query('GENAI: {"type":"embed","documents":[]}'), 9101);
    const [, rows] = await run(conn, 'query', 'SELECT 1');
    check(rows.length === 1 && Number(rows[0][0]) === 1, `SELECT 1 after the error gave ${JSON.stringify(rows)}`);
  }));

  await withConn({ port: env.dbPort }, (conn) => conn.query(`DROP TABLE IF EXISTS ${TABLE}`)).catch(() => {});
  process.exitCode = suite.failed ? 1 : 0;
}

main().catch((e) => {
  console.log(`FAIL suite: ${e.stack}`);
  process.exitCode = 1;
});

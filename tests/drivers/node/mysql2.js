'use strict';
// Driver suite: node mysql2 (promise API). query() is the text protocol (with values:
// client-side interpolation), execute() is a server-side prepared statement.
const mysql = require('mysql2/promise');
const c = require('./common');

const { env, ADMIN, check } = c;
const suite = new c.Suite('mysql2');
const TABLE = suite.table;

function connect(opts = {}) {
  return mysql.createConnection({
    host: env.host, port: env.port, user: 'app', password: 'secret', database: 'gp_test',
    connectTimeout: 10000, ...c.tlsOptions(opts.port ?? env.port), ...opts,
  });
}

const direct = () => connect({ port: env.dbPort });

// mysql2 gives rows as arrays with rowsAsArray, and field names and types in `fields`.
async function run(conn, how, sql, params) {
  const [rows, fields] = await conn[how]({ sql, rowsAsArray: true }, params);
  return [fields ? fields.map((f) => f.name) : [], Array.isArray(rows) ? rows : [],
    fields ? fields.map((f) => f.columnType) : []];
}

const { withConn, countRows, transaction } = c.helpers(suite, connect, run);

async function main() {
  console.error(`# mysql2 ${require('mysql2/package.json').version}`);
  await suite.case('select1', () => withConn({}, async (conn) => {
    const [, rows] = await run(conn, 'query', 'SELECT 1');
    check(JSON.stringify(rows) === '[[1]]', `rows ${JSON.stringify(rows)}`);
  }));
  await c.sharedCases(suite, { run, withConn, countRows, transaction });
  for (const how of ['execute', 'query']) await c.sqlFunctionCases(suite, { run, withConn, countRows }, how);
  await c.sqlNoBackendCase(suite, { run, withConn });
  await suite.case('admin_prepared', () => withConn(ADMIN, async (conn) => {
    const [, rows] = await run(conn, 'execute',
      'SELECT variable_value FROM runtime_global_variables WHERE variable_name = ?', ['genai-max_documents']);
    check(JSON.stringify(rows.map((r) => c.text(r[0]))) === '["10000"]', `rows ${JSON.stringify(rows)}`);
  }));

  await suite.case('bad_statement', () => withConn({}, async (conn) => {
    await suite.expectError(() => conn.query('GENAI: {"type":"embed","documents":[]}'), 9101);
    const [, rows] = await run(conn, 'query', 'SELECT 1');
    check(JSON.stringify(rows) === '[[1]]', `SELECT 1 after the error gave ${JSON.stringify(rows)}`);
  }));

  await withConn({ port: env.dbPort }, (conn) => conn.query(`DROP TABLE IF EXISTS ${TABLE}`)).catch(() => {});
  process.exitCode = suite.failed ? 1 : 0;
}

main().catch((e) => {
  console.log(`FAIL suite: ${e.stack}`);
  process.exitCode = 1;
});

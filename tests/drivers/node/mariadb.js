'use strict';
// Driver suite: node mariadb (MariaDB Connector/Node.js, promise API). query() is the
// text protocol (with values: client-side interpolation), execute() is a server-side
// prepared statement. commit()/rollback() send nothing when the status flags of the last
// answer say there is no transaction, so they depend on the proxy's flags.
const mariadb = require('mariadb');
const c = require('./common');

const { env, check } = c;
const suite = new c.Suite('node_mariadb');
const TABLE = suite.table;

function connect(opts = {}) {
  return mariadb.createConnection({
    host: env.host, port: env.port, user: 'app', password: 'secret', database: 'gp_test',
    connectTimeout: 10000, ...c.tlsOptions(opts.port ?? env.port), ...opts,
  });
}

// rowsAsArray gives arrays; the column names and types are in the result's meta.
async function run(conn, how, sql, params) {
  const rows = await conn[how]({ sql, rowsAsArray: true }, params);
  const meta = rows.meta || [];
  return [meta.map((m) => (typeof m.name === 'function' ? m.name() : m.name)),
    Array.isArray(rows) ? Array.from(rows) : [], meta.map((m) => m.columnType)];
}

const { withConn, countRows, transaction } = c.helpers(suite, connect, run);

async function main() {
  console.error(`# mariadb ${mariadb.version}`);
  await suite.case('select1', () => withConn({}, async (conn) => {
    const [, rows] = await run(conn, 'query', 'SELECT 1');
    check(rows.length === 1 && Number(rows[0][0]) === 1, `rows ${JSON.stringify(rows)}`);
  }));
  await c.sharedCases(suite, { run, withConn, countRows, transaction, commitHint: ' (no COMMIT sent?)' });
  for (const how of ['execute', 'query']) await c.sqlFunctionCases(suite, { run, withConn, countRows }, how);
  await c.sqlNoBackendCase(suite, { run, withConn });

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

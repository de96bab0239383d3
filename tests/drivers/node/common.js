'use strict';
// Shared checks for the node driver programs (mysql2.js, mariadb.js).

const env = {
  host: process.env.GP_HOST || '127.0.0.1',
  port: Number(process.env.GP_PORT || 6033),
  adminPort: Number(process.env.GP_ADMIN_PORT || 6032),
  dbPort: Number(process.env.GP_DB_PORT || 3306),
  tlsCa: process.env.GP_TLS_CA || '',
};

// GP_TLS_CA: connections to the proxy (not to MariaDB directly) use TLS verified against it.
function tlsOptions(port) {
  if (!env.tlsCa || port === env.dbPort) return {};
  return { ssl: { ca: require('fs').readFileSync(env.tlsCa), rejectUnauthorized: true } };
}

const EMBED = { type: 'embed', documents: ['hello world', 'second doc'] };
const EMBED_SQL = 'GENAI: ' + JSON.stringify(EMBED);
const RERANK = { type: 'rerank', query: 'red fruit', documents: ['the sky is blue', 'an apple is red'] };
const RERANK_SQL = 'GENAI: ' + JSON.stringify(RERANK);
const RERANK_PARAMS_SQL = 'GENAI: {"type":"rerank","query":?,"documents":[?,?]}';
const RERANK_PARAMS = [RERANK.query, ...RERANK.documents];
const DIMENSIONS = 384;

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
const MYSQL_TYPE_DOUBLE = 5;
const MYSQL_TYPE_BLOB = 252;
// One statement for GENAI_EMBED_BINARY and the NULL rules: NULL, a blank text and a blank
// document give NULL.
const BINARY_NULL_SQL = 'SELECT GENAI_EMBED_BINARY(?) AS b, GENAI_EMBED(?) AS t, GENAI_EMBED(?) AS n, GENAI_EMBED(?) AS w, GENAI_RERANK(?, ?) AS r';
const BINARY_NULL_PARAMS = ['hello world', 'hello world', null, '   ', 'red fruit', ' '];
const UNKNOWN_MODEL_SQL = "SELECT GENAI_EMBED(?, 'no-such-model') AS v";

class Failure extends Error {}

function check(cond, message) {
  if (!cond) throw new Failure(message);
}

function text(v) {
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

// rows: arrays of column values; columns: names.
function vectors(columns, rows) {
  check(JSON.stringify(columns) === '["embedding"]', `columns ${JSON.stringify(columns)}, expected ["embedding"]`);
  check(rows.length === 2, `${rows.length} rows, expected 2`);
  const out = rows.map((row, i) => {
    const parts = text(row[0]).split(',');
    check(parts.length === DIMENSIONS, `row ${i}: ${parts.length} numbers, expected ${DIMENSIONS}`);
    const v = parts.map((p) => {
      const x = Number(p);
      check(p.trim() !== '' && Number.isFinite(x), `row ${i}: '${p}' is not a number`);
      return x;
    });
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    check(Math.abs(norm - 1) < 1e-3, `row ${i}: L2 norm ${norm}, expected 1`);
    return v;
  });
  check(JSON.stringify(out[0]) !== JSON.stringify(out[1]), 'the two documents have the same vector');
  return out;
}

function reranked(columns, rows) {
  check(JSON.stringify(columns) === '["index","score","document"]', `columns ${JSON.stringify(columns)}`);
  check(rows.length === 2, `${rows.length} rows, expected 2`);
  const out = rows.map((r) => [Number(r[0]), Number(r[1]), text(r[2])]);
  check(out[0][0] === 1 && out[0][2] === 'an apple is red', `first row ${JSON.stringify(out[0])}, expected index 1`);
  check(out[0][1] > out[1][1], `scores not in descending order: ${JSON.stringify(out)}`);
  return out;
}

function same(a, b, what) {
  check(a !== undefined && JSON.stringify(a) === JSON.stringify(b), `${what}: ${JSON.stringify(b).slice(0, 200)}`);
}

class Suite {
  constructor(stack) {
    this.stack = stack;
    this.failed = 0;
    this.table = `drv_${stack}`;
    this.ref = {};
  }

  async case(name, fn) {
    try {
      await fn();
      console.log(`ok ${name}`);
    } catch (e) {
      this.failed++;
      const reason = e instanceof Failure ? e.message : `${e.code || e.name}${e.errno ? ' ' + e.errno : ''}: ${e.sqlMessage || e.message}`;
      console.log(`FAIL ${name}: ${reason.replace(/\n/g, ' | ')}`);
      if (!(e instanceof Failure) && !e.errno) console.error(e);
    }
  }

  // fn() must throw a driver error with errno `code`.
  async expectError(fn, code) {
    let error = null;
    try {
      await fn();
    } catch (e) {
      error = e;
    }
    check(error !== null, `no error, expected ${code}`);
    check(error.errno === code, `error ${error.errno} (${error.message}), expected ${code}`);
  }
}

// withConn(opts, fn), countRows(conn, id) and transaction(id, 'commit' | 'rollback') over a
// driver program's connect(opts) and run(conn, how, sql, params) -> [columns, rows].
function helpers(suite, connect, run) {
  async function countRows(conn, id) {
    const [, rows] = await run(conn, 'query', `SELECT COUNT(*) FROM ${suite.table} WHERE id = ${id}`);
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
      await conn.query(`INSERT INTO ${suite.table} VALUES (${id}, 'in a transaction')`);
      vectors(...await run(conn, 'query', EMBED_SQL));
      await conn[finish]();
      return countRows(conn, id);
    });
  }

  return { withConn, countRows, transaction };
}

// A GENAI_EMBED value: a JSON array of DIMENSIONS finite numbers of norm 1.
function embedding(value, what) {
  let v;
  try {
    v = JSON.parse(text(value));
  } catch (e) {
    throw new Failure(`${what}: not JSON: ${text(value).slice(0, 80)}`);
  }
  check(Array.isArray(v) && v.length === DIMENSIONS, `${what}: ${Array.isArray(v) ? v.length + ' numbers' : typeof v}, expected ${DIMENSIONS}`);
  check(v.every((x) => typeof x === 'number' && Number.isFinite(x)), `${what}: not all numbers`);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  check(Math.abs(norm - 1) < 1e-3, `${what}: L2 norm ${norm}, expected 1`);
  return v;
}

// The statements of docs/SQL.md through one driver API. how: 'execute' (server-side prepared
// statement) or 'query' (values interpolated by the driver: the proxy sees string literals).
// d.run(conn, how, sql, params) -> [columns, rows, column types].
async function sqlFunctionCases(suite, d, how) {
  const docs = `${suite.table}_docs_${how}`;
  const mode = how === 'execute' ? 'prepared' : 'interpolated';
  const ids = new Map();
  await suite.case(`sql_embed_insert_${mode}`, async () => {
    await d.withConn({ port: env.dbPort }, async (conn) => {
      await conn.query(`DROP TABLE IF EXISTS ${docs}`);
      await conn.query(`CREATE TABLE ${docs} (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT, emb TEXT)`);
    });
    await d.withConn({}, async (conn) => {
      for (const body of DOCS) {
        await d.run(conn, how, `INSERT INTO ${docs} (body, emb) VALUES (?, GENAI_EMBED(?))`, [body, body]);
      }
      const [, rows] = await d.run(conn, 'query', `SELECT id, body, emb FROM ${docs} ORDER BY id`);
      check(JSON.stringify(rows.map((r) => text(r[1]))) === JSON.stringify(DOCS), `bodies ${JSON.stringify(rows.map((r) => text(r[1])))}`);
      for (const [id, body, emb] of rows) {
        ids.set(text(body), Number(id));
        const stored = embedding(emb, `emb of '${text(body)}'`);
        const call = `GENAI_EMBED('${text(body)}')`;
        const [columns, ref] = await d.run(conn, 'query', `SELECT ${call}`);
        same([call], columns, 'an unaliased item is named by its call text; columns were');
        check(text(ref[0][0]) === text(emb), `'${text(body)}': stored ${text(emb).slice(0, 60)}..., SELECT ${call} gave ${text(ref[0][0]).slice(0, 60)}...`);
        if (text(body) === EMBED.documents[0] && suite.ref.vectors) {
          const far = stored.findIndex((x, i) => Math.abs(x - suite.ref.vectors[0][i]) > 1e-6);
          check(far < 0, `GENAI_EMBED('hello world') differs from GENAI: embed at ${far}`);
        }
      }
    });
  });
  await suite.case(`sql_rerank_hybrid_${mode}`, () => d.withConn({}, async (conn) => {
    const [columns, rows, types] = await d.run(conn, how,
      `SELECT id, body, GENAI_RERANK(?, body) AS score FROM (SELECT id, body FROM ${docs} WHERE body LIKE ? LIMIT 100) AS c ORDER BY score DESC LIMIT 3`,
      [RERANK_QUERY, RERANK_LIKE]);
    same(['id', 'body', 'score'], columns, 'columns');
    check(types[2] === MYSQL_TYPE_DOUBLE, `score column type ${types[2]}, expected DOUBLE (${MYSQL_TYPE_DOUBLE})`);
    same(RERANK_TOP, rows.map((r) => text(r[1])), 'top three');
    same(RERANK_TOP.map((b) => ids.get(b)), rows.map((r) => Number(r[0])), 'ids of the top three');
    check(rows.every((r) => typeof r[2] === 'number' && Number.isFinite(r[2])), `scores ${JSON.stringify(rows.map((r) => r[2]))} are not numbers`);
    check(rows[0][2] > rows[1][2] && rows[1][2] > rows[2][2], `scores not in descending order: ${JSON.stringify(rows.map((r) => r[2]))}`);
  }));
  await d.withConn({ port: env.dbPort }, (conn) => conn.query(`DROP TABLE IF EXISTS ${docs}`)).catch(() => {});

  await suite.case(`sql_embed_binary_null_${mode}`, () => d.withConn({}, async (conn) => {
    const [columns, rows, types] = await d.run(conn, how, BINARY_NULL_SQL, BINARY_NULL_PARAMS);
    same(['b', 't', 'n', 'w', 'r'], columns, 'columns');
    check(types[0] === MYSQL_TYPE_BLOB, `GENAI_EMBED_BINARY column type ${types[0]}, expected BLOB (${MYSQL_TYPE_BLOB})`);
    check(Buffer.isBuffer(rows[0][0]), `GENAI_EMBED_BINARY gave a ${typeof rows[0][0]}, expected bytes`);
    float32Matches(rows[0][0], embedding(rows[0][1], 't'));
    same([null, null, null], rows[0].slice(2), 'NULL, blank text and blank document gave');
  }));

  // A failing call forwards nothing: the open transaction keeps its row, and the driver's
  // rollback() still ends it (node mariadb sends ROLLBACK only if the status flags say so).
  await suite.case(`sql_error_keeps_transaction_${mode}`, () => d.withConn({}, async (conn) => {
    await conn.beginTransaction();
    await conn.query(`INSERT INTO ${suite.table} VALUES (3, 'before the failing call')`);
    await suite.expectError(() => d.run(conn, how, UNKNOWN_MODEL_SQL, ['x']), 9101);
    check(await d.countRows(conn, 3) === 1, 'the row inserted before the failing statement is gone');
    await conn.rollback();
    check(await d.countRows(conn, 3) === 0, 'after rollback() the row is still there');
  }));
}

// Bytes of GENAI_EMBED_BINARY: float32 little-endian of GENAI_EMBED's numbers.
function float32Matches(bytes, numbers) {
  check(bytes.length === 4 * numbers.length, `${bytes.length} bytes, expected ${4 * numbers.length}`);
  for (let i = 0; i < numbers.length; i++) {
    const x = bytes.readFloatLE(4 * i);
    check(Math.abs(x - numbers[i]) <= 1e-7, `float ${i} is ${x}, GENAI_EMBED gave ${numbers[i]}`);
  }
}

// SELECT of GENAI functions of constants, from the user whose hostgroup has no server: the
// proxy answers it; the value is the same as the app user's.
async function sqlNoBackendCase(suite, d) {
  await suite.case('sql_embed_no_backend', async () => {
    const sql = `SELECT GENAI_EMBED('${EMBED.documents[0]}') AS v`;
    const [, app] = await d.withConn({}, (conn) => d.run(conn, 'query', sql));
    const [columns, rows] = await d.withConn({ user: 'genai', password: 'genai-pw', database: undefined },
      (conn) => d.run(conn, 'query', sql));
    same(['v'], columns, 'columns');
    embedding(rows[0][0], 'v');
    check(rows.length === 1 && text(rows[0][0]) === text(app[0][0]), 'the genai user got another value than app');
  });
}

const ADMIN = { port: env.adminPort, user: 'admin', password: 'admin', database: undefined };
const RUNTIME_SQL = "SELECT variable_value FROM runtime_global_variables WHERE variable_name='genai-max_documents'";

// The cases from embed_text to admin_set_load_runtime, the same for both drivers. d holds
// the driver program's run(conn, how, sql, params) -> [columns, rows], withConn(opts, fn),
// countRows(conn, id), transaction(id, 'commit' | 'rollback') and, optionally, commitHint:
// what tx_commit's failure message ends with.
async function sharedCases(suite, d) {
  await suite.case('embed_text', () => d.withConn({}, async (conn) => {
    const a = vectors(...await d.run(conn, 'query', EMBED_SQL));
    const b = vectors(...await d.run(conn, 'query', EMBED_SQL));
    same(a, b, 'the same text gave different vectors on two calls');
    suite.ref.vectors = a;
  }));
  await suite.case('rerank_text', () => d.withConn({}, async (conn) => {
    suite.ref.rerank = reranked(...await d.run(conn, 'query', RERANK_SQL));
  }));
  await suite.case('embed_prepared', () => d.withConn({}, async (conn) => {
    const got = vectors(...await d.run(conn, 'execute', 'GENAI: ?', [JSON.stringify(EMBED)]));
    same(suite.ref.vectors, got, 'execute() gave other vectors than the text query');
  }));
  await suite.case('rerank_prepared', () => d.withConn({}, async (conn) => {
    const whole = reranked(...await d.run(conn, 'execute', 'GENAI: ?', [JSON.stringify(RERANK)]));
    same(suite.ref.rerank, whole, 'execute(GENAI: ?) gave');
    const values = reranked(...await d.run(conn, 'execute', RERANK_PARAMS_SQL, RERANK_PARAMS));
    same(suite.ref.rerank, values, 'execute() with ? in JSON values gave');
  }));
  await suite.case('embed_interpolated', () => d.withConn({}, async (conn) => {
    const got = vectors(...await d.run(conn, 'query', 'GENAI: ?', [JSON.stringify(EMBED)]));
    same(suite.ref.vectors, got, 'query() with values gave other vectors than the text query');
  }));
  await suite.case('rerank_interpolated', () => d.withConn({}, async (conn) => {
    const whole = reranked(...await d.run(conn, 'query', 'GENAI: ?', [JSON.stringify(RERANK)]));
    same(suite.ref.rerank, whole, 'query(GENAI: ?) gave');
    const values = reranked(...await d.run(conn, 'query', RERANK_PARAMS_SQL, RERANK_PARAMS));
    same(suite.ref.rerank, values, 'query() with ? in JSON values gave');
  }));
  await suite.case('sql_prepared_mixed', () => d.withConn({}, async (conn) => {
    // A forwarded (backend) prepared statement, then a GENAI one, then the first again.
    const sqlRows = async () => (await d.run(conn, 'execute', "SELECT CONCAT(?, '-x')", ['a']))[1];
    check(JSON.stringify(await sqlRows()) === '[["a-x"]]', 'SELECT CONCAT(?) gave other rows');
    same(suite.ref.vectors, vectors(...await d.run(conn, 'execute', 'GENAI: ?', [JSON.stringify(EMBED)])), 'GENAI execute() gave');
    check(JSON.stringify(await sqlRows()) === '[["a-x"]]', 'SELECT CONCAT(?) after the GENAI statement gave other rows');
  }));

  await d.withConn({ port: env.dbPort }, async (conn) => {
    await conn.query(`DROP TABLE IF EXISTS ${suite.table}`);
    await conn.query(`CREATE TABLE ${suite.table} (id INT PRIMARY KEY, body TEXT)`);
  }).catch((e) => console.error(`# could not create ${suite.table}: ${e.message}`));
  await suite.case('tx_rollback', async () => {
    const sameConn = await d.transaction(1, 'rollback');
    check(sameConn === 0, 'after rollback() the row is still there on the same connection (no ROLLBACK sent?)');
    const other = await d.withConn({ port: env.dbPort }, (conn) => d.countRows(conn, 1));
    check(other === 0, 'rolled-back row visible from another connection');
  });
  await suite.case('tx_commit', async () => {
    await d.transaction(2, 'commit');
    const other = await d.withConn({ port: env.dbPort }, (conn) => d.countRows(conn, 2));
    check(other === 1, `committed row not visible from another connection${d.commitHint || ''}`);
  });

  const GENAI_USER = { user: 'genai', password: 'genai-pw', database: undefined };
  await suite.case('genai_user_embed_text', () => d.withConn(GENAI_USER, async (conn) => {
    same(suite.ref.vectors, vectors(...await d.run(conn, 'query', EMBED_SQL)), 'vectors differ from user app\'s');
  }));
  await suite.case('genai_user_embed_prepared', () => d.withConn(GENAI_USER, async (conn) => {
    const got = vectors(...await d.run(conn, 'execute', 'GENAI: ?', [JSON.stringify(EMBED)]));
    same(suite.ref.vectors, got, 'execute() gave other vectors');
  }));

  await suite.case('admin_show_variables', () => d.withConn(ADMIN, async (conn) => {
    const [columns, rows] = await d.run(conn, 'query', "SHOW VARIABLES LIKE 'genai-%'");
    check(columns.length === 2, `${columns.length} columns, expected 2 (name, value)`);
    const vars = new Map(rows.map((r) => [text(r[0]), text(r[1])]));
    check([...vars.keys()].every((n) => n.startsWith('genai-')), `names ${[...vars.keys()]}`);
    check(vars.get('genai-max_documents') === '10000', `genai-max_documents = ${vars.get('genai-max_documents')}`);
  }));
  await suite.case('admin_set_load_runtime', () => d.withConn(ADMIN, async (conn) => {
    let rows;
    try {
      await conn.query('SET genai-max_documents = 5000');
      await conn.query('LOAD GENAI VARIABLES TO RUNTIME');
      [, rows] = await d.run(conn, 'query', RUNTIME_SQL);
      check(JSON.stringify(rows.map((r) => text(r[0]))) === '["5000"]', `runtime value ${JSON.stringify(rows)}, expected 5000`);
    } finally {
      await conn.query('SET genai-max_documents = 10000');
      await conn.query('LOAD GENAI VARIABLES TO RUNTIME');
    }
    [, rows] = await d.run(conn, 'query', RUNTIME_SQL);
    check(JSON.stringify(rows.map((r) => text(r[0]))) === '["10000"]', `runtime value ${JSON.stringify(rows)} after setting it back`);
  }));
}

module.exports = {
  env, tlsOptions, EMBED, EMBED_SQL, RERANK, RERANK_SQL, RERANK_PARAMS_SQL, RERANK_PARAMS, DIMENSIONS,
  ADMIN, RUNTIME_SQL, Failure, check, text, vectors, reranked, same, Suite, helpers, sharedCases,
  embedding, sqlFunctionCases, sqlNoBackendCase,
};

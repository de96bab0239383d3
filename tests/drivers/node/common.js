'use strict';
// Shared checks for the node driver programs (mysql2.js, mariadb.js).

const env = {
  host: process.env.GP_HOST || '127.0.0.1',
  port: Number(process.env.GP_PORT || 6033),
  adminPort: Number(process.env.GP_ADMIN_PORT || 6032),
  dbPort: Number(process.env.GP_DB_PORT || 3306),
};

const EMBED = { type: 'embed', documents: ['hello world', 'second doc'] };
const EMBED_SQL = 'GENAI: ' + JSON.stringify(EMBED);
const RERANK = { type: 'rerank', query: 'red fruit', documents: ['the sky is blue', 'an apple is red'] };
const RERANK_SQL = 'GENAI: ' + JSON.stringify(RERANK);
const RERANK_PARAMS_SQL = 'GENAI: {"type":"rerank","query":?,"documents":[?,?]}';
const RERANK_PARAMS = [RERANK.query, ...RERANK.documents];
const DIMENSIONS = 384;

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

module.exports = {
  env, EMBED, EMBED_SQL, RERANK, RERANK_SQL, RERANK_PARAMS_SQL, RERANK_PARAMS, DIMENSIONS,
  Failure, check, text, vectors, reranked, same, Suite,
};

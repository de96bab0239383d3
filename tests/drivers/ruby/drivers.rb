# Driver suite: Ruby mysql2 (over libmariadb). query() is the text protocol;
# prepare()/execute() is a server-side prepared statement; transactions are
# query("BEGIN") / query("ROLLBACK") / query("COMMIT") (the gem has no transaction API).
require 'json'
require 'mysql2'

HOST = ENV.fetch('GP_HOST', '127.0.0.1')
PORT = Integer(ENV.fetch('GP_PORT', '6033'))
ADMIN_PORT = Integer(ENV.fetch('GP_ADMIN_PORT', '6032'))
DB_PORT = Integer(ENV.fetch('GP_DB_PORT', '3306'))
DIMENSIONS = 384
EMBED_JSON = '{"type":"embed","documents":["hello world","second doc"]}'
RERANK_JSON = '{"type":"rerank","query":"red fruit","documents":["the sky is blue","an apple is red"]}'
RERANK_PARAMS_SQL = 'GENAI: {"type":"rerank","query":?,"documents":[?,?]}'
RERANK_PARAMS = ['red fruit', 'the sky is blue', 'an apple is red'].freeze
RUNTIME_SQL = "SELECT variable_value FROM runtime_global_variables WHERE variable_name='genai-max_documents'"
TABLE = 'drv_ruby'
# The SQL-function cases (docs/SQL.md): a table of these documents, filled with a prepared
# INSERT ... GENAI_EMBED(?), then a hybrid search over the ones LIKE '%fruit%'. The lexical
# provider's BM25 ranks the top three in this order whether the four candidates are scored in
# one upstream request or one at a time (batching must not change the answer).
DOCS = ['an apple is a red fruit', 'the sky is blue', 'red fruit salad with red cherries',
        'a banana is a yellow fruit', 'hello world', 'fruit flies love fruit', 'red cars go fast'].freeze
RERANK_TOP = ['red fruit salad with red cherries', 'an apple is a red fruit', 'fruit flies love fruit'].freeze
DOCS_TABLE = "#{TABLE}_docs"

class Failure < StandardError; end

$failed = 0
$ref = {}

def check(cond, message)
  raise Failure, message unless cond
end

def run_case(name)
  yield
  puts "ok #{name}"
rescue StandardError => e
  $failed += 1
  reason = e.is_a?(Failure) ? e.message : "#{e.class} #{e.respond_to?(:error_number) ? e.error_number : ''}: #{e.message}"
  puts "FAIL #{name}: #{reason.gsub("\n", ' | ')}"
ensure
  $stdout.flush
end

def connect(port, user, password, database = 'gp_test')
  opts = { host: HOST, port: port, username: user, password: password, connect_timeout: 10,
           read_timeout: 60 }
  opts[:database] = database if database
  # GP_TLS_CA: connections to the proxy (not to MariaDB directly) use TLS verified against it.
  opts[:sslca] = ENV['GP_TLS_CA'] if ENV['GP_TLS_CA'] && port != DB_PORT
  Mysql2::Client.new(**opts)
end

def app = connect(PORT, 'app', 'secret')
def direct = connect(DB_PORT, 'app', 'secret')
def admin = connect(ADMIN_PORT, 'admin', 'admin', nil)

def with(conn)
  yield conn
ensure
  conn&.close
end

# [column names, rows as arrays of strings or nil]
def rows_of(result)
  return [[], []] if result.nil?
  [result.fields, result.to_a.map { |r| r.map { |v| v&.to_s } }]
end

def q(conn, sql) = rows_of(conn.query(sql, as: :array))

def prepared(conn, sql, params)
  stmt = conn.prepare(sql)
  rows_of(stmt.execute(*params, as: :array))
ensure
  stmt&.close
end

def vectors((columns, rows))
  check(columns == ['embedding'], "columns #{columns.inspect}, expected [\"embedding\"]")
  check(rows.size == 2, "#{rows.size} rows, expected 2")
  out = rows.each_with_index.map do |row, i|
    parts = row[0].to_s.split(',')
    check(parts.size == DIMENSIONS, "row #{i}: #{parts.size} numbers, expected #{DIMENSIONS}")
    v = parts.map { |p| Float(p) rescue raise(Failure, "row #{i}: #{p.inspect} is not a number") }
    norm = Math.sqrt(v.sum { |x| x * x })
    check((norm - 1).abs < 1e-3, "row #{i}: L2 norm #{norm}, expected 1")
    v
  end
  check(out[0] != out[1], 'the two documents have the same vector')
  out
end

def reranked((columns, rows))
  check(columns == %w[index score document], "columns #{columns.inspect}")
  check(rows.size == 2, "#{rows.size} rows, expected 2")
  out = rows.map { |r| [Integer(r[0]), Float(r[1]), r[2]] }
  check(out[0][0] == 1 && out[0][2] == 'an apple is red', "first row #{out[0].inspect}, expected index 1")
  check(out[0][1] > out[1][1], "scores not in descending order: #{out.inspect}")
  out
end

def same(expected, got, what)
  check(!expected.nil? && expected == got, "#{what}: #{got.inspect[0, 200]}")
end

# A GENAI_EMBED value: a JSON array of DIMENSIONS numbers of norm 1.
def embedding(value, what)
  v = begin
    JSON.parse(value.to_s)
  rescue JSON::ParserError
    raise Failure, "#{what}: not JSON: #{value.to_s[0, 80]}"
  end
  check(v.is_a?(Array) && v.size == DIMENSIONS, "#{what}: #{v.is_a?(Array) ? v.size : v.class} numbers, expected #{DIMENSIONS}")
  check(v.all? { |x| x.is_a?(Numeric) }, "#{what}: not all numbers")
  norm = Math.sqrt(v.sum { |x| x * x })
  check((norm - 1).abs < 1e-3, "#{what}: L2 norm #{norm}, expected 1")
  v
end

def count_rows(conn, id) = Integer(q(conn, "SELECT COUNT(*) FROM #{TABLE} WHERE id = #{id}")[1][0][0])

warn "# ruby #{RUBY_VERSION}, mysql2 #{Mysql2::VERSION}, client #{Mysql2::Client.info[:version]}"

run_case('select1') { with(app) { |c| check(q(c, 'SELECT 1')[1] == [['1']], 'SELECT 1 gave other rows') } }
run_case('embed_text') do
  with(app) do |c|
    a = vectors(q(c, "GENAI: #{EMBED_JSON}"))
    same(a, vectors(q(c, "GENAI: #{EMBED_JSON}")), 'the same text gave different vectors on two calls')
    $ref[:vectors] = a
  end
end
run_case('rerank_text') { with(app) { |c| $ref[:rerank] = reranked(q(c, "GENAI: #{RERANK_JSON}")) } }
run_case('embed_prepared') do
  with(app) { |c| same($ref[:vectors], vectors(prepared(c, 'GENAI: ?', [EMBED_JSON])), 'prepared vectors differ') }
end
run_case('rerank_prepared') do
  with(app) do |c|
    same($ref[:rerank], reranked(prepared(c, 'GENAI: ?', [RERANK_JSON])), 'GENAI: ? gave')
    same($ref[:rerank], reranked(prepared(c, RERANK_PARAMS_SQL, RERANK_PARAMS)), '? in JSON values gave')
  end
end
run_case('sql_prepared_mixed') do
  # A forwarded (backend) prepared statement, then a GENAI one, then the first again.
  with(app) do |c|
    stmt = c.prepare("SELECT CONCAT(?, '-x')")
    check(stmt.execute('a', as: :array).to_a == [['a-x']], 'SELECT CONCAT(?) gave other rows')
    same($ref[:vectors], vectors(prepared(c, 'GENAI: ?', [EMBED_JSON])), 'GENAI vectors differ')
    check(stmt.execute('b', as: :array).to_a == [['b-x']], 'SELECT CONCAT(?) after the GENAI statement gave other rows')
    stmt.close
  end
end

begin
  with(direct) do |c|
    c.query("DROP TABLE IF EXISTS #{TABLE}")
    c.query("CREATE TABLE #{TABLE} (id INT PRIMARY KEY, body TEXT)")
  end
rescue StandardError => e
  warn "# could not create #{TABLE}: #{e.message}"
end

def transaction(id, finish)
  with(app) do |c|
    c.query('BEGIN')
    c.query("INSERT INTO #{TABLE} VALUES (#{id}, 'in a transaction')")
    vectors(q(c, "GENAI: #{EMBED_JSON}"))
    c.query(finish)
    count_rows(c, id)
  end
end
run_case('tx_rollback') do
  check(transaction(1, 'ROLLBACK').zero?, 'after ROLLBACK the row is still there on the same connection')
  check(with(direct) { |c| count_rows(c, 1) }.zero?, 'rolled-back row visible from another connection')
end
run_case('tx_commit') do
  transaction(2, 'COMMIT')
  check(with(direct) { |c| count_rows(c, 2) } == 1, 'committed row not visible from another connection')
end

run_case('genai_user_embed_text') do
  with(connect(PORT, 'genai', 'genai-pw', nil)) do |c|
    same($ref[:vectors], vectors(q(c, "GENAI: #{EMBED_JSON}")), "vectors differ from user app's")
  end
end
run_case('genai_user_embed_prepared') do
  with(connect(PORT, 'genai', 'genai-pw', nil)) do |c|
    same($ref[:vectors], vectors(prepared(c, 'GENAI: ?', [EMBED_JSON])), 'prepared vectors differ')
  end
end

run_case('admin_show_variables') do
  with(admin) do |c|
    columns, rows = q(c, "SHOW VARIABLES LIKE 'genai-%'")
    check(columns.size == 2, "#{columns.size} columns, expected 2 (name, value)")
    vars = rows.to_h { |r| [r[0], r[1]] }
    check(vars.keys.all? { |n| n.start_with?('genai-') }, "names #{vars.keys.inspect}")
    check(vars['genai-max_documents'] == '10000', "genai-max_documents = #{vars['genai-max_documents'].inspect}")
  end
end
run_case('admin_set_load_runtime') do
  with(admin) do |c|
    begin
      c.query('SET genai-max_documents = 5000')
      c.query('LOAD GENAI VARIABLES TO RUNTIME')
      rows = q(c, RUNTIME_SQL)[1]
      check(rows == [['5000']], "runtime value #{rows.inspect}, expected 5000")
    ensure
      c.query('SET genai-max_documents = 10000')
      c.query('LOAD GENAI VARIABLES TO RUNTIME')
    end
    rows = q(c, RUNTIME_SQL)[1]
    check(rows == [['10000']], "runtime value #{rows.inspect} after setting it back")
  end
end

run_case('bad_statement') do
  with(app) do |c|
    code = nil
    begin
      c.query('GENAI: {"type":"embed","documents":[]}')
    rescue Mysql2::Error => e
      code = e.error_number
    end
    check(code == 9101, "error code #{code.inspect}, expected 9101")
    check(q(c, 'SELECT 1')[1] == [['1']], 'SELECT 1 after the error failed')
  end
end

# prepare()/execute() is a server-side prepared statement: the proxy sees GENAI_EMBED(?).
doc_ids = {}
run_case('sql_embed_insert_prepared') do
  with(direct) do |c|
    c.query("DROP TABLE IF EXISTS #{DOCS_TABLE}")
    c.query("CREATE TABLE #{DOCS_TABLE} (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT, emb TEXT)")
  end
  with(app) do |c|
    stmt = c.prepare("INSERT INTO #{DOCS_TABLE} (body, emb) VALUES (?, GENAI_EMBED(?))")
    check(stmt.param_count == 2, "the statement has #{stmt.param_count} parameters, the client wrote 2")
    DOCS.each { |body| stmt.execute(body, body) }
    stmt.close
    rows = q(c, "SELECT id, body, emb FROM #{DOCS_TABLE} ORDER BY id")[1]
    check(rows.map { |r| r[1] } == DOCS, "bodies #{rows.map { |r| r[1] }.inspect}")
    rows.each do |id, body, emb|
      doc_ids[body] = Integer(id)
      stored = embedding(emb, "emb of '#{body}'")
      call = "GENAI_EMBED('#{body}')"
      columns, ref = q(c, "SELECT #{call}")
      check(columns == [call], "an unaliased item is named by its call text; columns were #{columns.inspect}")
      check(ref[0][0] == emb, "'#{body}': stored #{emb[0, 60]}..., SELECT #{call} gave #{ref[0][0].to_s[0, 60]}...")
      next unless body == 'hello world' && $ref[:vectors]
      far = stored.each_index.reject { |i| (stored[i] - $ref[:vectors][0][i]).abs <= 1e-6 }
      check(far.empty?, "GENAI_EMBED('hello world') differs from GENAI: embed at #{far.first(5).inspect}")
    end
  end
end
run_case('sql_rerank_hybrid_prepared') do
  with(app) do |c|
    stmt = c.prepare("SELECT id, body, GENAI_RERANK(?, body) AS score FROM (SELECT id, body FROM #{DOCS_TABLE} " \
                     'WHERE body LIKE ? LIMIT 100) AS c ORDER BY score DESC LIMIT 3')
    result = stmt.execute('red fruit', '%fruit%', as: :array)
    check(result.fields == %w[id body score], "columns #{result.fields.inspect}")
    rows = result.to_a
    stmt.close
    check(rows.map { |r| r[1] } == RERANK_TOP, "top three #{rows.map { |r| r[1] }.inspect}")
    check(rows.map { |r| r[0] } == RERANK_TOP.map { |b| doc_ids[b] }, "ids of the top three #{rows.map { |r| r[0] }.inspect}")
    scores = rows.map { |r| r[2] }
    # mysql2 gives a DOUBLE column as a Float (a DECIMAL would be a BigDecimal, a string a String).
    check(scores.all? { |x| x.is_a?(Float) }, "scores #{scores.inspect} are not Floats")
    check(scores[0] > scores[1] && scores[1] > scores[2], "scores not in descending order: #{scores.inspect}")
  end
end
run_case('sql_embed_binary_null_prepared') do
  # GENAI_EMBED_BINARY, and the NULL rules: NULL, a blank text and a blank document give NULL.
  with(app) do |c|
    stmt = c.prepare('SELECT GENAI_EMBED_BINARY(?) AS b, GENAI_EMBED(?) AS t, GENAI_EMBED(?) AS n, ' \
                     'GENAI_EMBED(?) AS w, GENAI_RERANK(?, ?) AS r')
    result = stmt.execute('hello world', 'hello world', nil, '   ', 'red fruit', ' ', as: :array)
    check(result.fields == %w[b t n w r], "columns #{result.fields.inspect}")
    row = result.to_a[0]
    stmt.close
    b = row[0]
    # mysql2 gives a binary column as an ASCII-8BIT String, a text column in the connection's encoding.
    check(b.is_a?(String) && b.encoding == Encoding::ASCII_8BIT, "GENAI_EMBED_BINARY gave #{b.class} #{b.respond_to?(:encoding) ? b.encoding : ''}")
    numbers = embedding(row[1], 't')
    check(b.bytesize == 4 * DIMENSIONS, "#{b.bytesize} bytes, expected #{4 * DIMENSIONS}")
    far = b.unpack('e*').each_with_index.reject { |x, i| (x - numbers[i]).abs <= 1e-7 }
    check(far.empty?, "float32 values differ from GENAI_EMBED's numbers at #{far.first(3).map(&:last).inspect}")
    check(row[2..] == [nil, nil, nil], "NULL, blank text and blank document gave #{row[2..].inspect}")
  end
end
run_case('sql_error_keeps_transaction_prepared') do
  # A failing call forwards nothing: the open transaction keeps its row, ROLLBACK ends it.
  with(app) do |c|
    c.query('BEGIN')
    c.query("INSERT INTO #{TABLE} VALUES (3, 'before the failing call')")
    code = nil
    begin
      stmt = c.prepare("SELECT GENAI_EMBED(?, 'no-such-model') AS v")
      stmt.execute('x')
    rescue Mysql2::Error => e
      code = e.error_number
    ensure
      stmt&.close
    end
    check(code == 9101, "error code #{code.inspect}, expected 9101")
    check(count_rows(c, 3) == 1, 'the row inserted before the failing statement is gone')
    c.query('ROLLBACK')
    check(count_rows(c, 3).zero?, 'after ROLLBACK the row is still there')
  end
end
run_case('sql_embed_no_backend') do
  # Constants only, as the user whose hostgroup has no server: the proxy answers.
  sql = "SELECT GENAI_EMBED('hello world') AS v"
  app_value = with(app) { |c| q(c, sql)[1][0][0] }
  with(connect(PORT, 'genai', 'genai-pw', nil)) do |c|
    columns, rows = q(c, sql)
    check(columns == ['v'], "columns #{columns.inspect}")
    check(rows.size == 1, "#{rows.size} rows")
    embedding(rows[0][0], 'v')
    check(rows[0][0] == app_value, 'the genai user got another value than app')
  end
end

begin
  with(direct) { |c| c.query("DROP TABLE IF EXISTS #{DOCS_TABLE}") }
rescue StandardError
  nil
end

begin
  with(direct) { |c| c.query("DROP TABLE IF EXISTS #{TABLE}") }
rescue StandardError
  nil
end
exit($failed.zero? ? 0 : 1)

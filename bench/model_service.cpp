// A service model of a GPU embedding server, for benchmarks: it answers
// llama-server requests (POST /embedding, /embeddings: native answer;
// /v1/embeddings: OpenAI answer; /rerank: Jina answer) after
//
//     fixed-ms + per-doc-ms x documents
//
// of simulated inference, with correct per-document vectors (deterministic,
// from a hash of each text) for any number of documents. With --slots N at
// most N requests are "on the GPU" at once and the others queue in arrival
// order (a first-come multi-server queue); --slots 0, the default, lets every
// request run at once, so only the delay is modelled.
//
// GET /stats answers {"requests":R,"documents":D,"in_flight":F,"max_in_flight":M}
// over the inference routes, so a benchmark can compute upstream requests per
// statement; POST /stats/reset zeroes it. GET /health answers {"status":"ok"}.
//
// One Asio event loop (--threads for more), HTTP/1.1 keep-alive, formatted
// vectors cached per text: the service costs a few microseconds per request
// so that it is never the bottleneck of what it measures.
#include <algorithm>
#include <array>
#include <asio.hpp>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <queue>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Options {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  double fixed_ms = 20.0;
  double per_doc_ms = 0.2;
  int dim = 384;
  int slots = 0;  // 0: unlimited
  int threads = 1;
};

Options opt;

// Counters of the inference routes.
std::atomic<long> requests{0}, documents{0}, in_flight{0}, max_in_flight{0};

// The queue model: the time each slot becomes free (a min-heap).
std::mutex slots_mutex;
std::priority_queue<Clock::time_point, std::vector<Clock::time_point>, std::greater<>> slot_free;

// When a request of `docs` documents that arrives now finishes.
Clock::time_point finish_time(size_t docs) {
  auto work = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double, std::milli>(opt.fixed_ms + opt.per_doc_ms * docs));
  auto now = Clock::now();
  if (opt.slots <= 0) return now + work;
  std::lock_guard lock(slots_mutex);
  auto start = std::max(now, slot_free.top());
  slot_free.pop();
  slot_free.push(start + work);
  return start + work;
}

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// "[v0,v1,...]": an L2-normalised pseudo-random vector seeded by the text.
std::string format_vector(std::string_view text) {
  std::vector<float> v(opt.dim);
  uint64_t state = fnv1a(text);
  double norm = 0;
  for (auto& x : v) {
    x = static_cast<float>(static_cast<double>(splitmix(state) >> 11) / 9007199254740992.0 * 2 - 1);
    norm += static_cast<double>(x) * x;
  }
  norm = std::sqrt(norm);
  std::string out = "[";
  char buf[32];
  for (int i = 0; i < opt.dim; ++i) {
    if (i) out += ',';
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v[i] / norm));
    out.append(buf, r.ptr);
  }
  return out + "]";
}

// Formatted vectors per text; a benchmark repeats a few hundred texts.
std::mutex cache_mutex;
std::unordered_map<std::string, std::string> vector_cache;

std::string vector_of(const std::string& text) {
  {
    std::lock_guard lock(cache_mutex);
    if (auto it = vector_cache.find(text); it != vector_cache.end()) return it->second;
  }
  std::string v = format_vector(text);
  std::lock_guard lock(cache_mutex);
  if (vector_cache.size() >= 65536) vector_cache.clear();
  vector_cache.emplace(text, v);
  return v;
}

struct Answer {
  int status = 200;
  std::string body;
  size_t docs = 0;         // documents to "infer" before answering
  bool inference = false;  // counts in /stats and waits for the model
};

Answer error(int status, std::string_view message) {
  json e = {{"error", {{"code", status}, {"message", message}, {"type", "invalid_request_error"}}}};
  return {status, e.dump()};
}

std::vector<std::string> texts_of(const json& value) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const auto& t : value) {
      if (!t.is_string()) return {};
      out.push_back(t.get<std::string>());
    }
  }
  return out;
}

Answer embed(const json& body, bool openai) {
  const json* input = nullptr;
  if (body.is_object()) {
    if (auto it = body.find("input"); it != body.end())
      input = &*it;
    else if (auto c = body.find("content"); c != body.end())
      input = &*c;
  }
  if (!input) return error(400, "\"input\" or \"content\" must be provided");
  auto texts = texts_of(*input);
  if (texts.empty())
    return error(400, "\"input\" must be a string or a non-empty array of strings");
  std::string out = openai ? "{\"object\":\"list\",\"data\":[" : "[";
  for (size_t i = 0; i < texts.size(); ++i) {
    if (i) out += ',';
    if (openai) {
      out += "{\"object\":\"embedding\",\"index\":" + std::to_string(i) + ",\"embedding\":";
      out += vector_of(texts[i]) + "}";
    } else {
      out += "{\"index\":" + std::to_string(i) + ",\"embedding\":[" + vector_of(texts[i]) + "]}";
    }
  }
  out += openai ? "]}" : "]";
  return {200, std::move(out), texts.size(), true};
}

Answer rerank(const json& body) {
  if (!body.is_object() || !body.contains("query") || !body["query"].is_string())
    return error(400, "\"query\" must be provided");
  auto docs = texts_of(body.value("documents", json::array()));
  if (docs.empty()) return error(400, "\"documents\" must be a non-empty string array");
  uint64_t q = fnv1a(body["query"].get<std::string>());
  std::string out = "{\"results\":[";
  char buf[32];
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i) out += ',';
    uint64_t state = fnv1a(docs[i]) ^ q;
    double score = static_cast<double>(splitmix(state) >> 11) / 9007199254740992.0;
    auto r = std::to_chars(buf, buf + sizeof buf, score);
    out +=
        "{\"index\":" + std::to_string(i) + ",\"relevance_score\":" + std::string(buf, r.ptr) + "}";
  }
  out += "]}";
  return {200, std::move(out), docs.size(), true};
}

Answer route(std::string_view method, std::string_view path, const std::string& body) {
  if (method == "GET" && path == "/stats") {
    json s = {{"requests", requests.load()},
              {"documents", documents.load()},
              {"in_flight", in_flight.load()},
              {"max_in_flight", max_in_flight.load()}};
    return {200, s.dump()};
  }
  if (method == "POST" && path == "/stats/reset") {
    requests = 0;
    documents = 0;
    max_in_flight = in_flight.load();
    return {200, "{}"};
  }
  if (method == "GET" && path == "/health") return {200, "{\"status\":\"ok\"}"};
  bool embedding = path == "/embedding" || path == "/embeddings" || path == "/v1/embeddings";
  bool reranking = path == "/rerank" || path == "/reranking" || path == "/v1/rerank";
  if (!embedding && !reranking) return error(404, "File Not Found");
  if (method != "POST") return error(405, "method not allowed");
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return error(400, "Failed to parse the request body as JSON");
  return embedding ? embed(parsed, path == "/v1/embeddings") : rerank(parsed);
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 411:
      return "Length Required";
    default:
      return "Error";
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

asio::awaitable<void> session(tcp::socket socket) {
  socket.set_option(tcp::no_delay(true));
  asio::steady_timer timer(socket.get_executor());
  std::string buffer;
  std::array<char, 16384> chunk;
  std::error_code ec;
  auto tok = asio::redirect_error(asio::use_awaitable, ec);
  for (;;) {
    // Headers.
    size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      size_t n = co_await socket.async_read_some(asio::buffer(chunk), tok);
      if (ec) co_return;
      buffer.append(chunk.data(), n);
      if (buffer.size() > (1 << 20)) co_return;
    }
    std::string_view head(buffer.data(), end);
    size_t line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 <= sp1) co_return;
    std::string method(request_line.substr(0, sp1));
    std::string path(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    bool http10 = request_line.substr(sp2 + 1) == "HTTP/1.0";
    size_t length = 0;
    bool close = http10, expect_continue = false, chunked = false;
    for (size_t pos = line_end; pos != std::string_view::npos && pos < head.size();) {
      size_t next = head.find("\r\n", pos + 2);
      std::string_view line =
          head.substr(pos + 2, next == std::string_view::npos ? head.npos : next - pos - 2);
      pos = next;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (iequals(name, "Content-Length"))
        std::from_chars(value.data(), value.data() + value.size(), length);
      else if (iequals(name, "Connection"))
        close = iequals(value, "close") || (http10 && !iequals(value, "keep-alive"));
      else if (iequals(name, "Expect"))
        expect_continue = iequals(value, "100-continue");
      else if (iequals(name, "Transfer-Encoding"))
        chunked = true;
    }
    buffer.erase(0, end + 4);
    Answer answer;
    if (chunked) {
      answer = error(411, "chunked request bodies are not supported: send Content-Length");
      close = true;
    } else {
      if (expect_continue && buffer.size() < length) {
        static const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await asio::async_write(socket, asio::buffer(cont), tok);
        if (ec) co_return;
      }
      while (buffer.size() < length) {
        size_t n = co_await socket.async_read_some(asio::buffer(chunk), tok);
        if (ec) co_return;
        buffer.append(chunk.data(), n);
      }
      std::string body = buffer.substr(0, length);
      buffer.erase(0, length);
      answer = route(method, path, body);
    }
    if (answer.inference) {
      requests++;
      documents += static_cast<long>(answer.docs);
      long now = ++in_flight;
      long seen = max_in_flight.load();
      while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
      }
      timer.expires_at(finish_time(answer.docs));
      co_await timer.async_wait(tok);
      in_flight--;
    }
    std::string out = "HTTP/1.1 " + std::to_string(answer.status) + " " + reason(answer.status) +
                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(answer.body.size()) + (close ? "\r\nConnection: close" : "") +
                      "\r\n\r\n";
    std::array<asio::const_buffer, 2> buffers = {asio::buffer(out), asio::buffer(answer.body)};
    co_await asio::async_write(socket, buffers, tok);
    if (ec || close) co_return;
  }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
  for (;;) {
    std::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;  // e.g. out of descriptors: keep serving the others
    }
    asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
  }
}

void usage() {
  std::fprintf(
      stderr,
      "usage: model_service [--host 127.0.0.1] --port PORT [--fixed-ms 20] [--per-doc-ms 0.2]\n"
      "                     [--dim 384] [--slots 0] [--threads 1]\n");
}

bool parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h" || i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (a == "--host")
      opt.host = v;
    else if (a == "--port")
      opt.port = static_cast<unsigned>(std::atoi(v));
    else if (a == "--fixed-ms")
      opt.fixed_ms = std::atof(v);
    else if (a == "--per-doc-ms")
      opt.per_doc_ms = std::atof(v);
    else if (a == "--dim")
      opt.dim = std::max(1, std::atoi(v));
    else if (a == "--slots")
      opt.slots = std::max(0, std::atoi(v));
    else if (a == "--threads")
      opt.threads = std::max(1, std::atoi(v));
    else
      return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (!parse(argc, argv)) {
    usage();
    return 2;
  }
  for (int i = 0; i < opt.slots; ++i) slot_free.push(Clock::time_point{});
  asio::io_context io(opt.threads);
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint(asio::ip::make_address(opt.host), static_cast<unsigned short>(opt.port));
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(4096);
  std::printf("model_service listening on %s:%u (%.3g ms + %.3g ms/document, %d dimensions, %s)\n",
              opt.host.c_str(), acceptor.local_endpoint().port(), opt.fixed_ms, opt.per_doc_ms,
              opt.dim,
              opt.slots ? (std::to_string(opt.slots) + " slots").c_str() : "unlimited slots");
  std::fflush(stdout);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code&, int) { io.stop(); });
  asio::co_spawn(io, listen(acceptor), asio::detached);
  std::vector<std::thread> extra;
  for (int i = 1; i < opt.threads; ++i) extra.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  return 0;
}

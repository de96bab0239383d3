// Load generator for GENAI embed: the same embedding requests sent through the
// proxy (MySQL protocol, `GENAI: {...}`) and directly to the service (HTTP
// POST of the body the proxy sends), so every proxy figure has a baseline
// measured in the same run against the same service.
//
// --mode chooses the statement: embed (default: each client's own documents,
// rotating through 256 texts), cache (every client embeds the same one
// document, so that an embedding cache answers all but the first), local
// (`SELECT @@version_comment LIMIT 1`, answered by the proxy itself: the floor
// of a statement's cost; proxy path only).
//
// One thread per client: simple, and at 512 clients still far cheaper than
// the service and proxy it drives. Connections are opened before the clock
// starts; each cell runs for a fixed duration.
#include <curl/curl.h>
#include <mysql.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string proxy_host = "127.0.0.1";
  unsigned proxy_port = 6033;
  std::string user = "app";
  std::string password = "secret";
  std::string url;             // direct embedding URL of the service
  std::string control_url;     // the service's /control, to set its delay per cell (optional)
  std::string mode = "embed";  // embed, cache or local (see the top of the file)
  std::vector<int> clients = {1, 32, 512};
  std::vector<int> delays_ms = {0, 20};
  int documents = 1;  // documents per request
  double duration_s = 5.0;
  bool tsv = false;             // machine-readable rows instead of the table
  std::string only;             // "direct" or "proxy": measure one path (the other column stays 0)
  std::vector<int> proxy_pids;  // whose CPU time is charged to the proxy path
  std::vector<int> service_pids;  // whose CPU time is charged to the service
};

struct CellResult {
  long requests = 0;
  long errors = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;  // successful requests only
  std::string first_error;
  double proxy_cpu_s = 0;    // CPU seconds the proxy used during the cell
  double service_cpu_s = 0;  // CPU seconds the test service used during the cell
  double self_cpu_s = 0;     // CPU seconds this load generator used during the cell

  double cpu_us_per_request(double cpu_s) const { return requests ? cpu_s * 1e6 / requests : 0; }
  double throughput() const { return seconds > 0 ? requests / seconds : 0; }
  double percentile(double p) const {
    if (latencies_ms.empty()) return 0;
    size_t i = static_cast<size_t>(p * (latencies_ms.size() - 1) + 0.5);
    return latencies_ms[std::min(i, latencies_ms.size() - 1)];
  }
};

// What one client thread measured; merged after the cell.
struct ClientResult {
  long errors = 0;
  std::vector<double> latencies_ms;
  std::string first_error;
};

// Documents rotate through a fixed set so the two paths embed identical texts.
std::vector<std::string> document_set(const Options& opt, int client) {
  std::vector<std::string> out;
  int documents = opt.documents;
  if (opt.mode == "cache") {
    out.push_back("benchmark cached document about proxies, embeddings and reranking");
    return out;
  }
  for (int i = 0; i < documents; ++i) {
    out.push_back("benchmark document " + std::to_string((client * 7 + i) % 256) +
                  " about proxies, embeddings and reranking");
  }
  return out;
}

std::string json_array(const std::vector<std::string>& docs) {
  // The texts are plain ASCII without quotes or backslashes: no escaping needed.
  std::string out = "[";
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i) out += ",";
    out += "\"" + docs[i] + "\"";
  }
  return out + "]";
}

size_t collect_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Sets what every POST of this handle sends; `url`, `body` and `answer` must outlive its use.
void prepare_post(CURL* curl, const std::string& url, const std::string& body,
                  std::string& answer) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
}

// One POST on a prepared handle (kept alive between calls).
bool perform_post(CURL* curl, std::string& answer, std::string& error) {
  answer.clear();
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK || status != 200) {
    error = rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP " + std::to_string(status);
    return false;
  }
  return true;
}

bool http_post(CURL* curl, const std::string& url, const std::string& body, std::string& answer,
               std::string& error) {
  prepare_post(curl, url, body, answer);
  return perform_post(curl, answer, error);
}

CURL* new_curl() {
  CURL* curl = curl_easy_init();
  static curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
  return curl;
}

bool set_service_delay(const Options& opt, int delay_ms) {
  CURL* curl = new_curl();
  std::string answer, error;
  bool ok = http_post(curl, opt.control_url, "{\"delay_ms\":" + std::to_string(delay_ms) + "}",
                      answer, error);
  curl_easy_cleanup(curl);
  if (!ok) std::fprintf(stderr, "cannot set the service delay: %s\n", error.c_str());
  return ok;
}

MYSQL* connect_proxy(const Options& opt, std::string& error) {
  MYSQL* conn = mysql_init(nullptr);
  unsigned timeout = 30;
  mysql_optionsv(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (!mysql_real_connect(conn, opt.proxy_host.c_str(), opt.user.c_str(), opt.password.c_str(),
                          nullptr, opt.proxy_port, nullptr, 0)) {
    error = mysql_error(conn);
    mysql_close(conn);
    return nullptr;
  }
  return conn;
}

// One client: connect, wait for everyone, then send requests until the deadline.
void run_client(const Options& opt, bool via_proxy, int client, std::barrier<>& connected,
                std::barrier<>& start, const Clock::time_point& deadline, ClientResult& out) {
  auto docs = document_set(opt, client);
  std::string http_body = "{\"input\":" + json_array(docs) + "}";
  bool local = opt.mode == "local";
  std::string statement =
      local ? "SELECT @@version_comment LIMIT 1"
            : "GENAI: {\"type\":\"embed\",\"documents\":" + json_array(docs) + "}";
  my_ulonglong rows = local ? 1 : static_cast<my_ulonglong>(docs.size());
  MYSQL* conn = nullptr;
  CURL* curl = nullptr;
  std::string error;
  if (via_proxy) {
    mysql_thread_init();
    conn = connect_proxy(opt, error);
  } else {
    curl = new_curl();
  }
  connected.arrive_and_wait();
  start.arrive_and_wait();
  if (via_proxy && !conn) {
    out.errors++;
    out.first_error = error;
  }
  std::string answer;
  if (curl) prepare_post(curl, opt.url, http_body, answer);
  while ((conn || curl) && Clock::now() < deadline) {
    auto t0 = Clock::now();
    bool ok;
    if (via_proxy) {
      ok = mysql_real_query(conn, statement.data(), statement.size()) == 0;
      if (ok) {
        MYSQL_RES* res = mysql_store_result(conn);
        ok = res && mysql_num_rows(res) == rows;
        if (res) mysql_free_result(res);
      }
      if (!ok) error = std::to_string(mysql_errno(conn)) + " " + mysql_error(conn);
    } else {
      ok = perform_post(curl, answer, error);
    }
    if (ok) {
      out.latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    } else {
      if (out.errors++ == 0) out.first_error = error;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // no hot error loop
    }
  }
  if (conn) {
    mysql_close(conn);
    mysql_thread_end();
  } else if (via_proxy) {
    mysql_thread_end();
  }
  if (curl) curl_easy_cleanup(curl);
}

// User + system CPU seconds of the processes, from /proc/PID/stat.
double cpu_seconds(const std::vector<int>& pids) {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  for (int pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    // After the command name: field 3 (state) ... field 14 utime, field 15 stime.
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::atof(field.c_str());
      if (i == 15) stime = std::atof(field.c_str());
    }
    total += (utime + stime) / ticks;
  }
  return total;
}

double self_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

CellResult run_cell(const Options& opt, bool via_proxy, int clients) {
  std::vector<ClientResult> results(clients);
  std::barrier connected(clients + 1);
  std::barrier start(clients + 1);
  Clock::time_point deadline = Clock::time_point::max();
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back(run_client, std::cref(opt), via_proxy, i, std::ref(connected),
                         std::ref(start), std::cref(deadline), std::ref(results[i]));
  }
  // Every connection is open: the clock starts now. The second barrier
  // publishes the deadline to the clients.
  connected.arrive_and_wait();
  deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(opt.duration_s));
  double proxy_cpu = cpu_seconds(opt.proxy_pids);
  double service_cpu = cpu_seconds(opt.service_pids);
  double self_cpu = self_cpu_seconds();
  start.arrive_and_wait();
  auto began = Clock::now();
  for (auto& t : threads) t.join();
  CellResult cell;
  cell.seconds = std::chrono::duration<double>(Clock::now() - began).count();
  cell.proxy_cpu_s = cpu_seconds(opt.proxy_pids) - proxy_cpu;
  cell.service_cpu_s = cpu_seconds(opt.service_pids) - service_cpu;
  cell.self_cpu_s = self_cpu_seconds() - self_cpu;
  for (auto& r : results) {
    cell.errors += r.errors;
    if (cell.first_error.empty()) cell.first_error = r.first_error;
    cell.latencies_ms.insert(cell.latencies_ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  }
  cell.requests = static_cast<long>(cell.latencies_ms.size());
  std::sort(cell.latencies_ms.begin(), cell.latencies_ms.end());
  return cell;
}

std::vector<int> parse_list(const char* text) {
  std::vector<int> out;
  for (const char* p = text; *p;) {
    out.push_back(std::atoi(p));
    p = std::strchr(p, ',');
    if (!p) break;
    ++p;
  }
  return out;
}

void usage() {
  std::fprintf(stderr,
               "usage: genai_load --url URL [--control-url URL] [--proxy-host H] [--proxy-port P]\n"
               "                  [--user U] [--password P] [--clients 1,32,512] [--delays 0,20]\n"
               "                  [--mode embed|cache|local] [--documents N] [--duration SECONDS]\n"
               "                  [--only direct|proxy] [--tsv]\n"
               "without --control-url the service's delay is left as it is (--delays is ignored)\n"
               "                  [--proxy-pids PID,...] [--service-pids PID,...]\n");
}

bool parse_options(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--tsv") {
      opt.tsv = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    if (arg == "--url") {
      opt.url = value;
    } else if (arg == "--control-url") {
      opt.control_url = value;
    } else if (arg == "--proxy-host") {
      opt.proxy_host = value;
    } else if (arg == "--proxy-port") {
      opt.proxy_port = static_cast<unsigned>(std::atoi(value));
    } else if (arg == "--user") {
      opt.user = value;
    } else if (arg == "--password") {
      opt.password = value;
    } else if (arg == "--clients") {
      opt.clients = parse_list(value);
    } else if (arg == "--delays") {
      opt.delays_ms = parse_list(value);
    } else if (arg == "--documents") {
      opt.documents = std::max(1, std::atoi(value));
    } else if (arg == "--duration") {
      opt.duration_s = std::atof(value);
    } else if (arg == "--mode") {
      opt.mode = value;
      if (opt.mode != "embed" && opt.mode != "cache" && opt.mode != "local") return false;
    } else if (arg == "--only") {
      opt.only = value;
    } else if (arg == "--proxy-pids") {
      opt.proxy_pids = parse_list(value);
    } else if (arg == "--service-pids") {
      opt.service_pids = parse_list(value);
    } else {
      return false;
    }
  }
  if (opt.control_url.empty()) opt.delays_ms = {0};
  if (opt.mode == "local") opt.only = "proxy";
  return !opt.url.empty() || opt.mode == "local";
}

void print_header(bool tsv) {
  if (tsv) {
    std::printf(
        "clients\tdelay_ms\tdirect_rps\tproxy_rps\tratio\tdirect_p50_ms\tproxy_p50_ms\t"
        "direct_p99_ms\tproxy_p99_ms\tadded_p50_ms\tadded_p99_ms\tservice_cpu_us\t"
        "proxy_cpu_us\terrors\tloadgen_cpu_us\tdirect_requests\tproxy_requests\n");
    return;
  }
  std::printf(
      "| clients | service delay | direct req/s | proxy req/s | proxy/direct "
      "| direct p50 / p99 ms | proxy p50 / p99 ms | added p50 / p99 ms "
      "| CPU µs/req service / proxy | errors |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
}

void print_row(bool tsv, int clients, int delay, const CellResult& direct,
               const CellResult& proxy) {
  double ratio = direct.throughput() > 0 ? proxy.throughput() / direct.throughput() : 0;
  double d50 = direct.percentile(0.50), d99 = direct.percentile(0.99);
  double p50 = proxy.percentile(0.50), p99 = proxy.percentile(0.99);
  // The service's cost per request from the direct cell; the proxy's own
  // cost (its process only) from the proxy cell.
  double service_cpu = direct.cpu_us_per_request(direct.service_cpu_s);
  double proxy_cpu = proxy.cpu_us_per_request(proxy.proxy_cpu_s);
  long errors = direct.errors + proxy.errors;
  // This process's CPU per request, from the proxy cell when there is one.
  const CellResult& measured = proxy.requests ? proxy : direct;
  double self_cpu = measured.cpu_us_per_request(measured.self_cpu_s);
  if (tsv) {
    std::printf(
        "%d\t%d\t%.0f\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f\t%.1f\t%ld\t%.1f\t%"
        "ld\t%ld\n",
        clients, delay, direct.throughput(), proxy.throughput(), ratio, d50, p50, d99, p99,
        p50 - d50, p99 - d99, service_cpu, proxy_cpu, errors, self_cpu, direct.requests,
        proxy.requests);
  } else {
    std::printf(
        "| %d | %d ms | %.0f | %.0f | %.2f | %.2f / %.2f | %.2f / %.2f | %+.2f / %+.2f "
        "| %.0f / %.0f | %ld |\n",
        clients, delay, direct.throughput(), proxy.throughput(), ratio, d50, d99, p50, p99,
        p50 - d50, p99 - d99, service_cpu, proxy_cpu, errors);
  }
  std::fflush(stdout);
  for (const CellResult* c : {&direct, &proxy}) {
    if (c->errors) {
      std::fprintf(stderr, "%s: %ld errors, first: %s\n", c == &direct ? "direct" : "proxy",
                   c->errors, c->first_error.c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_options(argc, argv, opt)) {
    usage();
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  mysql_library_init(0, nullptr, nullptr);
  print_header(opt.tsv);
  bool failed = false;
  for (int delay : opt.delays_ms) {
    if (!opt.control_url.empty() && !set_service_delay(opt, delay)) return 1;
    for (int clients : opt.clients) {
      CellResult direct, proxy;
      if (opt.only != "proxy") direct = run_cell(opt, false, clients);
      if (opt.only != "direct") proxy = run_cell(opt, true, clients);
      print_row(opt.tsv, clients, delay, direct, proxy);
      failed = failed || (opt.only != "proxy" && direct.requests == 0) ||
               (opt.only != "direct" && proxy.requests == 0);
    }
  }
  if (!opt.control_url.empty()) set_service_delay(opt, 0);
  mysql_library_end();
  curl_global_cleanup();
  return failed ? 1 : 0;
}

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/metrics_server.h"

namespace gp::http {

namespace {

std::string metric_name(std::string_view table, std::string_view column) {
  if (table.starts_with("stats_")) table.remove_prefix(6);
  std::string out = "genaiproxy_";
  for (std::string_view part : {table, std::string_view("_"), column}) {
    for (char c : part) {
      out.push_back(std::isalnum(static_cast<unsigned char>(c))
                        ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                        : '_');
    }
  }
  return out;
}

bool is_number(std::string_view s) {
  if (s.empty()) return false;
  double v;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

using LabelMap = std::vector<std::pair<std::string_view, std::string_view>>;

// Tables whose other text columns must not be labels: stats_genai_endpoints'
// state would split a series at every cooldown, and last_error would make
// one per message. Column name, label name.
const LabelMap* fixed_labels(std::string_view table) {
  static const LabelMap endpoints{{"model", "model"}, {"uri", "endpoint"}};
  // A job's state, last key and last error change all the time.
  static const LabelMap jobs{{"job_id", "job"}};
  if (table == "stats_genai_jobs") return &jobs;
  return table == "stats_genai_endpoints" ? &endpoints : nullptr;
}

// stats_genai_endpoint_latency (model, uri, le_ms, cumulative requests) as
// one Prometheus histogram in seconds; its _sum is stats_genai_endpoints'
// latency_sum_ms.
void render_endpoint_latency(const MetricsRegistry& metrics, std::string& out) {
  StatsTable t = metrics.snapshot("stats_genai_endpoint_latency");
  StatsTable endpoints = metrics.snapshot("stats_genai_endpoints");
  const std::string name = "genaiproxy_genai_endpoint_latency_seconds";
  out += "# TYPE " + name + " histogram\n";
  auto column = [](const StatsTable& table, std::string_view c) {
    auto it = std::find(table.columns.begin(), table.columns.end(), c);
    return static_cast<size_t>(it - table.columns.begin());
  };
  size_t sum_at = column(endpoints, "latency_sum_ms");
  for (const auto& row : t.rows) {
    if (row.size() != 4) continue;
    std::string labels =
        "model=\"" + escape_label(row[0]) + "\",endpoint=\"" + escape_label(row[1]) + "\"";
    std::string le = row[2];
    if (le != "+Inf") {
      char buf[32];
      double seconds = std::stod(le) / 1000.0;
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, seconds);
      le.assign(buf, ec == std::errc() ? end : buf);
    }
    out += name + "_bucket{" + labels + ",le=\"" + le + "\"} " + row[3] + "\n";
    if (row[2] != "+Inf") continue;
    out += name + "_count{" + labels + "} " + row[3] + "\n";
    for (const auto& e : endpoints.rows) {
      if (e.size() <= sum_at || e[0] != row[0] || e[1] != row[1]) continue;
      double seconds = std::stod(e[sum_at]) / 1000.0;
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, seconds);
      out +=
          name + "_sum{" + labels + "} " + std::string(buf, ec == std::errc() ? end : buf) + "\n";
    }
  }
}

}  // namespace

std::string render_prometheus(const MetricsRegistry& metrics) {
  std::string out;
  for (const auto& table : metrics.table_names()) {
    // Reading a _reset table clears it; per-user and per-digest rows would
    // make unbounded label sets (stats_genai_models has their sums; the
    // query digests, sessions and errors have stats_mysql_global's counters).
    // stats_genai_job_errors is a log of rows, not counters.
    if (table.ends_with("_reset") || table == "stats_genai_usage" ||
        table == "stats_mysql_query_digest" || table == "stats_mysql_processlist" ||
        table == "stats_mysql_errors" || table == "stats_genai_job_errors") {
      continue;
    }
    if (table == "stats_genai_endpoint_latency") {
      render_endpoint_latency(metrics, out);
      continue;
    }
    StatsTable t = metrics.snapshot(table);
    if (t.columns.size() == 2 && t.columns[0] == "Variable_Name") {
      for (const auto& row : t.rows) {
        if (row.size() != 2 || !is_number(row[1])) continue;
        out += metric_name(table, row[0]) + " " + row[1] + "\n";
      }
      continue;
    }
    // A table of entities (e.g. one row per backend server): text columns
    // become labels, numeric columns become one series each.
    const auto* fixed = fixed_labels(table);
    for (const auto& row : t.rows) {
      std::string labels;
      for (size_t i = 0; i < row.size() && i < t.columns.size(); ++i) {
        std::string_view name = t.columns[i];
        if (fixed) {
          auto it = std::find_if(fixed->begin(), fixed->end(),
                                 [&](const auto& f) { return f.first == name; });
          if (it == fixed->end()) continue;
          name = it->second;
        } else if (is_number(row[i]) && t.columns[i] != "hostgroup" && t.columns[i] != "srv_port") {
          continue;
        }
        if (!labels.empty()) labels += ",";
        labels += std::string(name) + "=\"" + escape_label(row[i]) + "\"";
      }
      for (size_t i = 0; i < row.size() && i < t.columns.size(); ++i) {
        if (!is_number(row[i]) || t.columns[i] == "hostgroup" || t.columns[i] == "srv_port")
          continue;
        out += metric_name(table, t.columns[i]) + "{" + labels + "} " + row[i] + "\n";
      }
    }
  }
  return out;
}

}  // namespace gp::http

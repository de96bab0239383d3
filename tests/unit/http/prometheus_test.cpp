#include <gtest/gtest.h>

#include "http/metrics_server.h"

namespace gp::http {
namespace {

TEST(RenderPrometheus, CounterTablesBecomeOneSeriesPerNumericRow) {
  MetricsRegistry metrics;
  metrics.register_table("stats_genai_global", {"Variable_Name", "Variable_Value"}, [] {
    return StatsTable{{}, {{"Requests_Total", "42"}, {"Uri", "http://x"}}};
  });
  std::string text = render_prometheus(metrics);
  EXPECT_NE(text.find("genaiproxy_genai_global_requests_total 42\n"), std::string::npos);
  EXPECT_EQ(text.find("http://x"), std::string::npos);
}

TEST(RenderPrometheus, EntityTablesUseLabels) {
  MetricsRegistry metrics;
  metrics.register_table("stats_mysql_connection_pool", {"hostgroup", "srv_host", "ConnUsed"}, [] {
    return StatsTable{{}, {{"0", "db\"1", "3"}}};
  });
  std::string text = render_prometheus(metrics);
  EXPECT_NE(
      text.find(
          "genaiproxy_mysql_connection_pool_connused{hostgroup=\"0\",srv_host=\"db\\\"1\"} 3"),
      std::string::npos)
      << text;
}

// Bounded cardinality: a cooldown must not split a series, nor an error text
// make new ones.
TEST(RenderPrometheus, EndpointTablesHaveModelAndEndpointLabelsOnly) {
  MetricsRegistry metrics;
  metrics.register_table(
      "stats_genai_endpoints", {"model", "uri", "state", "requests", "last_error"}, [] {
        return StatsTable{{}, {{"m", "http://e:1/embedding", "cooling_down", "7", "HTTP 503"}}};
      });
  std::string text = render_prometheus(metrics);
  EXPECT_EQ(text,
            "genaiproxy_genai_endpoints_requests{model=\"m\",endpoint=\"http://e:1/embedding\"} "
            "7\n");
}

// stats_genai_endpoint_latency is one histogram in seconds, its sum taken
// from stats_genai_endpoints.
TEST(RenderPrometheus, EndpointLatencyIsAHistogram) {
  MetricsRegistry metrics;
  metrics.register_table("stats_genai_endpoints", {"model", "uri", "latency_sum_ms"}, [] {
    return StatsTable{{}, {{"m", "http://e:1/embedding", "1250"}}};
  });
  metrics.register_table("stats_genai_endpoint_latency", {"model", "uri", "le_ms", "requests"}, [] {
    return StatsTable{{},
                      {{"m", "http://e:1/embedding", "5", "1"},
                       {"m", "http://e:1/embedding", "2500", "3"},
                       {"m", "http://e:1/embedding", "+Inf", "4"}}};
  });
  std::string text = render_prometheus(metrics);
  const std::string labels = "{model=\"m\",endpoint=\"http://e:1/embedding\"";
  for (const std::string& line :
       {std::string("# TYPE genaiproxy_genai_endpoint_latency_seconds histogram\n"),
        "genaiproxy_genai_endpoint_latency_seconds_bucket" + labels + ",le=\"0.005\"} 1\n",
        "genaiproxy_genai_endpoint_latency_seconds_bucket" + labels + ",le=\"2.5\"} 3\n",
        "genaiproxy_genai_endpoint_latency_seconds_bucket" + labels + ",le=\"+Inf\"} 4\n",
        "genaiproxy_genai_endpoint_latency_seconds_count" + labels + "} 4\n",
        "genaiproxy_genai_endpoint_latency_seconds_sum" + labels + "} 1.25\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " not in:\n" << text;
  }
  EXPECT_EQ(text.find("le_ms"), std::string::npos);
}

TEST(MetricsRegistry, ProvidersOfOneTableAreConcatenated) {
  MetricsRegistry metrics;
  metrics.register_table("t", {"Variable_Name", "Variable_Value"}, [] {
    return StatsTable{{}, {{"a", "1"}}};
  });
  metrics.register_table("t", {"Variable_Name", "Variable_Value"}, [] {
    return StatsTable{{}, {{"b", "2"}}};
  });
  auto t = metrics.snapshot("t");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1][0], "b");
  EXPECT_EQ(t.columns.size(), 2u);
}

}  // namespace
}  // namespace gp::http

#include "admin/config_file.h"

#include <gtest/gtest.h>

namespace gp::admin {
namespace {

std::string cell_text(const TableRow& row, const std::string& column) {
  for (auto& [name, value] : row) {
    if (name != column) continue;
    if (auto* n = std::get_if<int64_t>(&value)) return std::to_string(*n);
    return std::get<std::string>(value);
  }
  return "<missing>";
}

TEST(ConfigFileTest, ReadsEverySection) {
  const std::string text = R"(
datadir="/var/lib/genaiproxy"
admin_variables =
{
    admin_credentials = "admin:admin"
    mysql_ifaces = "127.0.0.1:6032"
    restapi_enabled = true
}
mysql_variables = { threads = 2, interfaces = "0.0.0.0:6033" }
genai_variables =
{
    threads = 8
    embedding_uri = "lexical:"
    rerank_api_key = "env:RERANK_KEY"
}
mysql_servers =
(
    { address = "127.0.0.1", port = 3306, hostgroup = 0, status = "ONLINE", weight = 1 },
    { hostname = "db2", hostgroup_id = 1, max_connections = 50, comment = "replica" }
)
mysql_users =
(
    { username = "app", password = "secret", default_hostgroup = 0, active = 1,
      transaction_persistent = true }
)
)";
  auto cfg = parse_config_text(text, "test.cnf");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->datadir, "/var/lib/genaiproxy");
  EXPECT_EQ(cfg->variables.at("admin-restapi_enabled"), "true");
  EXPECT_EQ(cfg->variables.at("mysql-threads"), "2");
  EXPECT_EQ(cfg->variables.at("genai-threads"), "8");
  EXPECT_EQ(cfg->variables.at("genai-embedding_uri"), "lexical:");
  EXPECT_EQ(cfg->variables.at("genai-rerank_api_key"), "env:RERANK_KEY");
  ASSERT_EQ(cfg->servers.size(), 2u);
  EXPECT_EQ(cell_text(cfg->servers[0], "hostname"), "127.0.0.1");
  EXPECT_EQ(cell_text(cfg->servers[0], "hostgroup_id"), "0");
  EXPECT_EQ(cell_text(cfg->servers[1], "hostgroup_id"), "1");
  EXPECT_EQ(cell_text(cfg->servers[1], "comment"), "replica");
  ASSERT_EQ(cfg->users.size(), 1u);
  EXPECT_EQ(cell_text(cfg->users[0], "password"), "secret");
  EXPECT_EQ(cell_text(cfg->users[0], "transaction_persistent"), "1");
  EXPECT_TRUE(cfg->warnings.empty());
}

TEST(ConfigFileTest, SyntaxErrorNamesFileAndLine) {
  auto cfg = parse_config_text("datadir=\"/tmp\"\ngenai_variables =\n{\n  threads = 4\n  oops\n}\n",
                               "genaiproxy.cnf");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_NE(cfg.error().message.find("genaiproxy.cnf: line 6"), std::string::npos)
      << cfg.error().message;
}

TEST(ConfigFileTest, BadValueNamesLineSectionAndKey) {
  auto cfg = parse_config_text(
      "genai_variables =\n{\n  embedding_uri = \"lexical:\"\n  threads = 0\n}\n", "genaiproxy.cnf");
  ASSERT_FALSE(cfg.has_value());
  const std::string& m = cfg.error().message;
  EXPECT_NE(m.find("genaiproxy.cnf: line 4: genai_variables.threads"), std::string::npos) << m;
  EXPECT_NE(m.find("1..256"), std::string::npos) << m;
}

TEST(ConfigFileTest, UnknownKeys) {
  // A ProxySQL configuration's genai keys start the proxy: the ones it does
  // not support are named in warnings.
  auto genai = parse_config_text(
      "genai_variables = { enabled = true\n llm_provider = \"openai\"\n"
      " vector_db_path = \"/x\"\n mcp_enabled = false\n treads = 4 }\n",
      "c.cnf");
  ASSERT_TRUE(genai.has_value()) << genai.error().message;
  EXPECT_EQ(genai->variables.at("genai-enabled"), "true");
  ASSERT_EQ(genai->warnings.size(), 4u);
  EXPECT_NE(genai->warnings[0].find("genai-llm_provider is not supported"), std::string::npos)
      << genai->warnings[0];
  EXPECT_NE(genai->warnings[3].find("genai_variables.treads"), std::string::npos)
      << genai->warnings[3];

  // ProxySQL files carry mysql/admin variables this proxy does not use.
  auto mysql =
      parse_config_text("mysql_variables = { monitor_username = \"m\" }\nfoo = 1\n", "c.cnf");
  ASSERT_TRUE(mysql.has_value());
  EXPECT_EQ(mysql->warnings.size(), 2u);

  auto row =
      parse_config_text("mysql_users = ( { username = \"a\", pasword = \"x\" } )\n", "c.cnf");
  ASSERT_FALSE(row.has_value());
  EXPECT_NE(row.error().message.find("pasword"), std::string::npos) << row.error().message;
}

TEST(ConfigFileTest, RowValidation) {
  auto missing = parse_config_text("mysql_servers = ( { port = 3306 } )\n", "c.cnf");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("missing"), std::string::npos);
  EXPECT_NE(missing.error().message.find("line 1"), std::string::npos);

  auto status =
      parse_config_text("mysql_servers = (\n { address = \"h\", status = \"UP\" }\n)\n", "c.cnf");
  ASSERT_FALSE(status.has_value());
  EXPECT_NE(status.error().message.find("line 2"), std::string::npos) << status.error().message;
  EXPECT_NE(status.error().message.find("ONLINE"), std::string::npos);

  auto port = parse_config_text("mysql_servers = ( { address = \"h\", port = 70000 } )\n", "c.cnf");
  ASSERT_FALSE(port.has_value());
  EXPECT_NE(port.error().message.find("port"), std::string::npos);

  auto twice =
      parse_config_text("mysql_servers = ( { address = \"h\", hostname = \"g\" } )\n", "c.cnf");
  ASSERT_FALSE(twice.has_value());
}

TEST(ConfigFileTest, SecretsNeverEchoed) {
  auto cfg =
      parse_config_text("admin_variables = { admin_credentials = \"admin:hunter2;x\" }\n", "c.cnf");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().message.find("hunter2"), std::string::npos) << cfg.error().message;
}

TEST(ConfigFileTest, MissingFile) {
  auto cfg = read_config_file("/nonexistent/dir/genaiproxy.cnf");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_NE(cfg.error().message.find("/nonexistent/dir/genaiproxy.cnf"), std::string::npos);
}

}  // namespace
}  // namespace gp::admin

#include "admin/variables.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <set>
#include <variant>

#include "admin/settings.h"

namespace gp::admin {
namespace {

const VariableSpec& spec(std::string_view name) {
  const VariableSpec* s = find_variable(name);
  EXPECT_NE(s, nullptr) << name;
  return *s;
}

void expect_rejected(std::string_view name, std::string_view value) {
  auto r = validate_value(spec(name), value);
  ASSERT_FALSE(r.has_value()) << name << "=" << value;
  EXPECT_EQ(r.error().code, 1231);
  EXPECT_EQ(r.error().sqlstate, "42000");
  EXPECT_NE(r.error().message.find(std::string(name)), std::string::npos) << r.error().message;
}

std::string accepted(std::string_view name, std::string_view value) {
  auto r = validate_value(spec(name), value);
  EXPECT_TRUE(r.has_value()) << name << "=" << value << ": " << (r ? "" : r.error().message);
  return r.value_or("");
}

TEST(VariablesTest, RegistryHasEveryDocumentedVariable) {
  std::set<std::string> names;
  for (auto& s : all_variables()) names.insert(s.name);
  for (auto name : {"genai-threads",
                    "genai-embedding_uri",
                    "genai-rerank_uri",
                    "genai-embedding_timeout_ms",
                    "genai-rerank_timeout_ms",
                    "genai-embedding_model",
                    "genai-rerank_model",
                    "genai-embedding_api_key",
                    "genai-rerank_api_key",
                    "genai-max_documents",
                    "genai-lexical_dimensions",
                    "genai-max_queue",
                    "genai-endpoint_concurrency",
                    "genai-batch_size",
                    "mysql-threads",
                    "mysql-interfaces",
                    "mysql-server_version",
                    "mysql-max_connections",
                    "mysql-connect_timeout_server",
                    "mysql-connect_timeout_client",
                    "mysql-default_query_timeout",
                    "mysql-shun_recovery_time_sec",
                    "mysql-connection_max_age_ms",
                    "mysql-free_connections_pct",
                    "mysql-max_allowed_packet",
                    "mysql-have_ssl",
                    "admin-admin_credentials",
                    "admin-mysql_ifaces",
                    "admin-restapi_enabled",
                    "admin-restapi_port",
                    "admin-version"}) {
    EXPECT_TRUE(names.contains(name)) << name;
  }
  EXPECT_EQ(names.size(), all_variables().size()) << "duplicate names";
}

TEST(VariablesTest, DefaultsMatchTheTypedSettings) {
  // Building settings from the registry's defaults must give the struct
  // defaults that the rest of the proxy was written against.
  RuntimeConfig built;
  built.genai.threads = 0;
  built.mysql.interfaces.clear();
  built.admin.restapi_port = 0;
  for (auto module : {VarModule::kGenai, VarModule::kMysql, VarModule::kAdmin}) {
    auto values = validate_module(module, {});
    ASSERT_TRUE(values.has_value());
    ASSERT_TRUE(build_module(module, *values, built).has_value());
    EXPECT_EQ(render_module(module, built), *values);
    EXPECT_EQ(render_module(module, RuntimeConfig{}), *values);
  }
  GenaiSettings g;
  EXPECT_EQ(built.genai.threads, g.threads);
  EXPECT_EQ(built.genai.embedding_uri, g.embedding_uri);
  EXPECT_EQ(built.genai.rerank_uri, g.rerank_uri);
  EXPECT_EQ(built.genai.embedding_timeout_ms, g.embedding_timeout_ms);
  EXPECT_EQ(built.genai.max_documents, g.max_documents);
  EXPECT_EQ(built.genai.lexical_dimensions, g.lexical_dimensions);
  EXPECT_EQ(built.genai.max_queue, g.max_queue);
  EXPECT_EQ(built.genai.endpoint_concurrency, g.endpoint_concurrency);
  EXPECT_EQ(built.genai.batch_size, g.batch_size);
  EXPECT_EQ(built.genai.cache_max_bytes, g.cache_max_bytes);
  MysqlSettings m;
  EXPECT_EQ(built.mysql.threads, m.threads);
  EXPECT_EQ(built.mysql.interfaces, m.interfaces);
  EXPECT_EQ(built.mysql.server_version, m.server_version);
  EXPECT_EQ(built.mysql.max_connections, m.max_connections);
  EXPECT_EQ(built.mysql.connect_timeout_server_ms, m.connect_timeout_server_ms);
  EXPECT_EQ(built.mysql.default_query_timeout_ms, m.default_query_timeout_ms);
  EXPECT_EQ(built.mysql.shun_recovery_time_sec, m.shun_recovery_time_sec);
  EXPECT_EQ(built.mysql.connection_max_age_ms, m.connection_max_age_ms);
  EXPECT_EQ(built.mysql.free_connections_pct, m.free_connections_pct);
  EXPECT_EQ(built.mysql.max_allowed_packet, m.max_allowed_packet);
  EXPECT_EQ(built.mysql.have_ssl, m.have_ssl);
  AdminSettings a;
  EXPECT_EQ(built.admin.admin_credentials, a.admin_credentials);
  EXPECT_EQ(built.admin.mysql_ifaces, a.mysql_ifaces);
  EXPECT_EQ(built.admin.restapi_enabled, a.restapi_enabled);
  EXPECT_EQ(built.admin.restapi_port, a.restapi_port);
}

TEST(VariablesTest, EveryRowIsBoundConsistently) {
  for (auto& s : all_variables()) {
    EXPECT_TRUE(s.name.starts_with(module_prefix(s.module))) << s.name;
    EXPECT_EQ(s.read_only, std::holds_alternative<std::monostate>(s.member)) << s.name;
    EXPECT_TRUE(validate_value(s, s.default_value).has_value()) << s.name;
    EXPECT_FALSE(s.help.empty()) << s.name;
    // An int member must hold the whole range.
    bool int_member = std::visit(
        [](auto m) {
          using M = decltype(m);
          return std::is_same_v<M, int GenaiSettings::*> ||
                 std::is_same_v<M, int MysqlSettings::*> || std::is_same_v<M, int AdminSettings::*>;
        },
        s.member);
    if (int_member) {
      EXPECT_GE(s.min, std::numeric_limits<int>::min()) << s.name;
      EXPECT_LE(s.max, std::numeric_limits<int>::max()) << s.name;
    }
    // The trigger that moves secrets out of global_variables (admin/schema.cpp)
    // recognises them by this suffix.
    EXPECT_EQ(s.type == VarType::kSecret, s.name.ends_with("_api_key")) << s.name;
  }
}

TEST(VariablesTest, IntegerBoundaries) {
  EXPECT_EQ(accepted("genai-threads", "1"), "1");
  EXPECT_EQ(accepted("genai-threads", "256"), "256");
  EXPECT_EQ(accepted("genai-threads", "007"), "7");
  expect_rejected("genai-threads", "0");
  expect_rejected("genai-threads", "257");
  expect_rejected("genai-threads", "-1");
  expect_rejected("genai-threads", "8x");
  expect_rejected("genai-threads", "");
  expect_rejected("genai-threads", "99999999999999999999999");
  EXPECT_EQ(accepted("genai-batch_size", "0"), "0");
  expect_rejected("genai-batch_size", "100001");
  expect_rejected("genai-embedding_timeout_ms", "99");
  EXPECT_EQ(accepted("genai-embedding_timeout_ms", "300000"), "300000");
  expect_rejected("genai-lexical_dimensions", "7");
  expect_rejected("admin-restapi_port", "65536");
  auto r = validate_value(spec("genai-threads"), "0");
  EXPECT_NE(r.error().message.find("1..256"), std::string::npos) << r.error().message;
}

TEST(VariablesTest, Bools) {
  EXPECT_EQ(accepted("mysql-have_ssl", "TRUE"), "true");
  EXPECT_EQ(accepted("mysql-have_ssl", "1"), "true");
  EXPECT_EQ(accepted("mysql-have_ssl", "off"), "false");
  EXPECT_EQ(accepted("admin-restapi_enabled", "0"), "false");
  expect_rejected("mysql-have_ssl", "maybe");
  expect_rejected("mysql-have_ssl", "2");
}

TEST(VariablesTest, Uris) {
  EXPECT_EQ(accepted("genai-embedding_uri", "lexical:"), "lexical:");
  EXPECT_EQ(accepted("genai-embedding_uri", "LEXICAL:"), "lexical:");
  EXPECT_EQ(accepted("genai-embedding_uri", "HTTP://127.0.0.1:8013/embedding"),
            "http://127.0.0.1:8013/embedding");
  accepted("genai-rerank_uri", "https://api.example.com/v1/rerank");
  accepted("genai-rerank_uri", "http://[::1]:8012/rerank");
  accepted("genai-rerank_uri", "http://host");
  expect_rejected("genai-rerank_uri", "ftp://host/x");
  expect_rejected("genai-rerank_uri", "host:8012/rerank");
  expect_rejected("genai-rerank_uri", "http:///path");
  expect_rejected("genai-rerank_uri", "http://host:0/x");
  expect_rejected("genai-rerank_uri", "http://host:99999/x");
  expect_rejected("genai-rerank_uri", "http://host/a b");
  expect_rejected("genai-rerank_uri", "http://user:pw@host/x");
  expect_rejected("genai-rerank_uri", "lexical:extra");
  expect_rejected("genai-rerank_uri", "");
}

TEST(VariablesTest, RefusedUriIsQuotedWithoutItsPassword) {
  auto r = validate_value(spec("genai-embedding_uri"), "http://user:hunter2@host:1/embedding");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("http://********@host:1/embedding"), std::string::npos)
      << r.error().message;
}

TEST(VariablesTest, StringsEnumsAddressesCredentials) {
  EXPECT_EQ(accepted("genai-embedding_model", ""), "");
  EXPECT_EQ(accepted("genai-embedding_model", "bge-m3"), "bge-m3");
  expect_rejected("mysql-server_version", "");
  accepted("mysql-interfaces", "0.0.0.0:6033");
  accepted("mysql-interfaces", "127.0.0.1:6033;[::1]:6033");
  expect_rejected("mysql-interfaces", "0.0.0.0");
  expect_rejected("mysql-interfaces", "0.0.0.0:x");
  expect_rejected("mysql-interfaces", "");
  accepted("admin-admin_credentials", "admin:admin;radmin:pw");
  expect_rejected("admin-admin_credentials", "admin");
  expect_rejected("admin-admin_credentials", "admin:");
  expect_rejected("admin-admin_credentials", ":pw");
  expect_rejected("admin-admin_credentials", "a:b c");
  // An invalid credentials value is never echoed in clear.
  auto r = validate_value(spec("admin-admin_credentials"), "admin:topsecret;broken");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.find("topsecret"), std::string::npos) << r.error().message;

  VariableSpec e;
  e.name = "genai-test_enum";
  e.module = VarModule::kGenai;
  e.type = VarType::kEnum;
  e.choices = {"fast", "SAFE"};
  EXPECT_EQ(validate_value(e, "Fast").value_or(""), "fast");
  EXPECT_EQ(validate_value(e, "safe").value_or(""), "SAFE");
  EXPECT_FALSE(validate_value(e, "slow").has_value());
}

TEST(VariablesTest, SecretsAreMasked) {
  const auto& key = spec("genai-embedding_api_key");
  EXPECT_EQ(display_value(key, "sk-live-123"), "********");
  EXPECT_EQ(display_value(key, ""), "");
  EXPECT_EQ(display_value(key, "env:OPENAI_KEY"), "env:OPENAI_KEY");
  EXPECT_EQ(display_value(spec("admin-admin_credentials"), "admin:pw;radmin:x"),
            "admin:********;radmin:********");
  EXPECT_EQ(display_value(spec("genai-threads"), "4"), "4");
  expect_rejected("genai-rerank_api_key", "env:");
  expect_rejected("genai-rerank_api_key", "env:1BAD");
  expect_rejected("genai-rerank_api_key", "env:BAD-NAME");
  EXPECT_EQ(accepted("genai-rerank_api_key", "env:GOOD_NAME"), "env:GOOD_NAME");
}

TEST(VariablesTest, EnvResolution) {
  ::setenv("GP_ADMIN_TEST_KEY", "s3cret", 1);
  ::unsetenv("GP_ADMIN_TEST_MISSING");
  EXPECT_EQ(resolve_secret("genai-embedding_api_key", "env:GP_ADMIN_TEST_KEY").value_or(""),
            "s3cret");
  EXPECT_EQ(resolve_secret("genai-embedding_api_key", "literal").value_or(""), "literal");
  auto missing = resolve_secret("genai-embedding_api_key", "env:GP_ADMIN_TEST_MISSING");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("genai-embedding_api_key"), std::string::npos);
  EXPECT_NE(missing.error().message.find("GP_ADMIN_TEST_MISSING"), std::string::npos);

  auto values =
      validate_module(VarModule::kGenai, {{"genai-rerank_api_key", "env:GP_ADMIN_TEST_KEY"}});
  ASSERT_TRUE(values.has_value());
  RuntimeConfig config;
  ASSERT_TRUE(build_module(VarModule::kGenai, *values, config).has_value());
  EXPECT_EQ(config.genai.rerank_api_key, "s3cret");
  auto rendered =
      render_module(VarModule::kGenai, config, {{"genai-rerank_api_key", "env:GP_ADMIN_TEST_KEY"}});
  EXPECT_EQ(rendered["genai-rerank_api_key"], "env:GP_ADMIN_TEST_KEY");
  EXPECT_EQ(render_module(VarModule::kGenai, config)["genai-rerank_api_key"], "s3cret");

  // An unset variable refuses the whole module and leaves the settings as they were.
  auto missing_values = validate_module(
      VarModule::kGenai,
      {{"genai-threads", "9"}, {"genai-rerank_api_key", "env:GP_ADMIN_TEST_MISSING"}});
  ASSERT_TRUE(missing_values.has_value());
  auto refused = build_module(VarModule::kGenai, *missing_values, config);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("GP_ADMIN_TEST_MISSING"), std::string::npos);
  EXPECT_EQ(config.genai.threads, GenaiSettings{}.threads);
}

TEST(VariablesTest, ValidateModuleReportsUnknownAndKeepsReadOnly) {
  std::vector<std::string> unknown;
  auto values = validate_module(VarModule::kAdmin,
                                {{"admin-version", "9.9.9"}, {"admin-bogus", "1"}}, &unknown);
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(values->at("admin-version"), find_variable("admin-version")->default_value);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0], "admin-bogus");
  auto bad = validate_module(VarModule::kGenai, {{"genai-threads", "0"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, 1231);
}

TEST(VariablesTest, LookupIsCaseInsensitive) {
  EXPECT_NE(find_variable("GENAI-THREADS"), nullptr);
  EXPECT_EQ(find_variable("genai-nope"), nullptr);
  EXPECT_EQ(module_of("Genai-x"), VarModule::kGenai);
  EXPECT_FALSE(module_of("names").has_value());
}

}  // namespace
}  // namespace gp::admin

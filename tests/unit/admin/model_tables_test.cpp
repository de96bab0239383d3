// Row validation of the model tables (admin/model_tables.cpp), the GENAI
// MODELS verbs and sections, and secrets across the layers.
#include "admin/model_tables.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "admin/config_file.h"
#include "admin/statement.h"
#include "admin_test_support.h"

namespace gp::admin {
namespace {

using namespace gp::admin::testing;

// Rows in column order, as the store reads them.
TextRow model(std::string name, std::string kind = "embed", std::string credential = "",
              std::string is_default = "0", std::string format = "auto") {
  return {name, kind, "", format, credential, "0", "0", "0", "0", "0", "0", "0", is_default, ""};
}

TextRow endpoint(std::string model_name, std::string uri) {
  return {model_name, uri, "0", "1", "0", ""};
}

ModelRows valid_rows() {
  ModelRows rows;
  rows.credentials = {{"k1", "sk-literal"}, {"k2", "env:GP_MODEL_TEST_KEY"}};
  rows.models = {model("e1", "embed", "k1", "1"), model("e2"), model("r1", "rerank", "k2", "1")};
  rows.endpoints = {endpoint("e1", "lexical:"), endpoint("e1", "HTTPS://embed.example/v1"),
                    endpoint("r1", "http://127.0.0.1:8012/rerank")};
  rows.grants = {{"app", "e1", "60", "1000"}};
  return rows;
}

std::string error_of(const ModelRows& rows) {
  auto r = models_from_rows(rows);
  EXPECT_FALSE(r.has_value());
  if (r) return "<no error>";
  EXPECT_EQ(r.error().code, 1105);
  return r.error().message;
}

TEST(ModelTablesTest, ValidRowsBecomeRuntimeStructs) {
  auto r = models_from_rows(valid_rows());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->models.size(), 3u);
  EXPECT_EQ(r->models[0].name, "e1");
  EXPECT_TRUE(r->models[0].is_default);
  EXPECT_EQ(r->models[2].kind, "rerank");
  EXPECT_EQ(r->endpoints.size(), 3u);
  ASSERT_EQ(r->grants.size(), 1u);
  EXPECT_EQ(r->grants[0].max_requests_per_minute, 60);
  EXPECT_EQ(r->grants[0].max_documents_per_day, 1000);
  // Still as configured: resolution is a separate step.
  EXPECT_EQ(r->credentials[1].secret, "env:GP_MODEL_TEST_KEY");
}

TEST(ModelTablesTest, RowsRoundTripThroughTheRuntimeStructs) {
  auto rows = valid_rows();
  auto r = models_from_rows(rows);
  ASSERT_TRUE(r.has_value());
  RuntimeConfig config;
  config.models = r->models;
  config.model_endpoints = r->endpoints;
  config.credentials = {{"k1", "resolved-1"}, {"k2", "resolved-2"}};
  config.model_grants = r->grants;
  auto back = rows_from_models(config, {{"k1", "sk-literal"}, {"k2", "env:GP_MODEL_TEST_KEY"}});
  EXPECT_EQ(back.joined(), rows.joined());
}

TEST(ModelTablesTest, KindAndFormatAreAmongTheirChoices) {
  auto rows = valid_rows();
  rows.models[1] = model("e2", "generate");
  EXPECT_EQ(error_of(rows), "genai_models row 'e2': kind: 'generate' is not one of embed, rerank");
  rows.models[1] = model("e2", "embed", "", "0", "grpc");
  EXPECT_EQ(error_of(rows),
            "genai_models row 'e2': format: 'grpc' is not one of auto, llama, openai, tei, "
            "ollama, cohere, jina, vllm");
  for (auto format : {"auto", "llama", "openai", "tei", "ollama", "cohere", "jina", "vllm"}) {
    rows.models[1] = model("e2", "embed", "", "0", format);
    EXPECT_TRUE(models_from_rows(rows).has_value()) << format;
  }
}

TEST(ModelTablesTest, IntegersAreInTheirColumnsRange) {
  auto rows = valid_rows();
  rows.models[1][9] = "-1";  // max_retries
  EXPECT_EQ(error_of(rows),
            "genai_models row 'e2': max_retries: '-1' is not an integer in 0..2147483647");
  rows.models[1][9] = std::nullopt;
  EXPECT_EQ(error_of(rows),
            "genai_models row 'e2': max_retries: 'NULL' is not an integer in 0..2147483647");
  rows = valid_rows();
  rows.models[1][12] = "2";  // is_default
  EXPECT_EQ(error_of(rows), "genai_models row 'e2': is_default: '2' is not an integer in 0..1");
  rows = valid_rows();
  rows.endpoints[0][3] = "0";  // weight
  EXPECT_EQ(error_of(rows),
            "genai_endpoints row ('e1', 'lexical:'): weight: '0' is not an integer in 1..10000000");
  rows = valid_rows();
  rows.models[1][7] = "9000000000";  // max_batch_bytes is 64-bit
  EXPECT_TRUE(models_from_rows(rows).has_value());
}

TEST(ModelTablesTest, AtMostOneDefaultPerKind) {
  auto rows = valid_rows();
  rows.models[1] = model("e2", "embed", "", "1");
  EXPECT_EQ(error_of(rows),
            "genai_models row 'e2': is_default: 'e1' is already the default embed "
            "model");
}

TEST(ModelTablesTest, ReferencesMustExist) {
  auto rows = valid_rows();
  rows.models[1] = model("e2", "embed", "k9");
  EXPECT_EQ(error_of(rows),
            "genai_models row 'e2': credential: no genai_credentials row is named 'k9'");
  rows = valid_rows();
  rows.endpoints.push_back(endpoint("ghost", "lexical:"));
  EXPECT_EQ(error_of(rows),
            "genai_endpoints row ('ghost', 'lexical:'): model_name: no "
            "genai_models row is named 'ghost'");
  rows = valid_rows();
  rows.grants.push_back({"bob", "ghost", "0", "0"});
  EXPECT_EQ(error_of(rows),
            "genai_model_grants row ('bob', 'ghost'): model_name: no "
            "genai_models row is named 'ghost'");
}

TEST(ModelTablesTest, UriIsHttpOrLexical) {
  for (auto uri : {"ftp://x/embed", "http://", "127.0.0.1:8013/embedding", "", "lexica:"}) {
    auto rows = valid_rows();
    rows.endpoints[1][1] = uri;
    EXPECT_NE(error_of(rows).find("uri: must start with http://, https:// or lexical:"),
              std::string::npos)
        << uri;
  }
}

TEST(ModelTablesTest, EmptyKeysAreRefused) {
  auto rows = valid_rows();
  rows.models[1] = model("");
  EXPECT_EQ(error_of(rows), "genai_models row '': name: must not be empty");
  rows = valid_rows();
  rows.grants[0][0] = "";
  EXPECT_EQ(error_of(rows), "genai_model_grants row ('', 'e1'): username: must not be empty");
}

TEST(ModelTablesTest, BadSecretReferencesNeverEchoTheValue) {
  auto rows = valid_rows();
  rows.credentials[0][1] = "env:sk-live-looks-like-a-key";
  std::string message = error_of(rows);
  EXPECT_EQ(message,
            "genai_credentials row 'k1': secret: env: must be followed by an environment "
            "variable name");
  rows.credentials[0][1] = "********";
  message = error_of(rows);
  EXPECT_NE(message.find("holds the mask"), std::string::npos);
  rows.credentials[0][1] = "file:";
  EXPECT_EQ(error_of(rows), "genai_credentials row 'k1': secret: file: must be followed by a path");
}

TEST(ModelTablesTest, SecretsResolveFromTheEnvironmentAndFiles) {
  TempDir dir;
  write_file(dir.file("key"), "file-secret\n");
  write_file(dir.file("two-lines"), "a\nb\n");
  ::setenv("GP_MODEL_TEST_KEY", "env-secret", 1);
  auto r = resolve_credentials(
      {{"lit", "sk-1"}, {"env", "env:GP_MODEL_TEST_KEY"}, {"file", "file:" + dir.file("key")}});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ((*r)[0].secret, "sk-1");
  EXPECT_EQ((*r)[1].secret, "env-secret");
  EXPECT_EQ((*r)[2].secret, "file-secret");

  ::unsetenv("GP_MODEL_TEST_KEY");
  auto unset = resolve_credentials({{"env", "env:GP_MODEL_TEST_KEY"}});
  ASSERT_FALSE(unset.has_value());
  EXPECT_EQ(unset.error().message,
            "genai_credentials row 'env': secret: environment variable GP_MODEL_TEST_KEY is not "
            "set");
  auto missing = resolve_credentials({{"f", "file:" + dir.file("none")}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message,
            "genai_credentials row 'f': secret: cannot read file:" + dir.file("none"));
  auto folder = resolve_credentials({{"f", "file:" + dir.path()}});
  EXPECT_FALSE(folder.has_value());
  auto two = resolve_credentials({{"f", "file:" + dir.file("two-lines")}});
  ASSERT_FALSE(two.has_value());
  EXPECT_EQ(two.error().message, "genai_credentials row 'f': secret: holds a line break");
  EXPECT_EQ(two.error().message.find("a\nb"), std::string::npos);
}

TEST(ModelTablesTest, ShownSecretMasksOnlyLiterals) {
  EXPECT_EQ(shown_secret("sk-1"), "********");
  EXPECT_EQ(shown_secret("env:KEY"), "env:KEY");
  EXPECT_EQ(shown_secret("file:/etc/key"), "file:/etc/key");
  EXPECT_EQ(shown_secret(""), "");
}

TEST(ModelTablesTest, GenaiModelsVerbsParse) {
  for (auto sql : {"LOAD GENAI MODELS TO RUNTIME", "LOAD GENAI MODELS TO RUN",
                   "LOAD GENAI MODELS FROM MEMORY", "LOAD GENAI MODELS FROM MEM"}) {
    auto s = parse_statement(sql);
    ASSERT_TRUE(s.has_value()) << sql;
    auto& ls = std::get<LoadSave>(*s);
    EXPECT_EQ(ls.target, Target::kGenaiModels);
    EXPECT_EQ(ls.transfer, Transfer::kMemoryToRuntime) << sql;
  }
  const std::pair<const char*, Transfer> cases[] = {
      {"SAVE GENAI MODELS FROM RUNTIME", Transfer::kRuntimeToMemory},
      {"SAVE GENAI MODELS FROM RUN", Transfer::kRuntimeToMemory},
      {"SAVE GENAI MODELS TO MEMORY", Transfer::kRuntimeToMemory},
      {"SAVE GENAI MODELS TO MEM", Transfer::kRuntimeToMemory},
      {"LOAD GENAI MODELS FROM DISK", Transfer::kDiskToMemory},
      {"LOAD GENAI MODELS TO MEMORY", Transfer::kDiskToMemory},
      {"LOAD GENAI MODELS TO MEM", Transfer::kDiskToMemory},
      {"SAVE GENAI MODELS TO DISK", Transfer::kMemoryToDisk},
      {"SAVE GENAI MODELS FROM MEMORY", Transfer::kMemoryToDisk},
      {"SAVE GENAI MODELS FROM MEM", Transfer::kMemoryToDisk},
      {"load genai models from config;", Transfer::kConfigToMemory},
  };
  for (auto [sql, transfer] : cases) {
    auto s = parse_statement(sql);
    ASSERT_TRUE(s.has_value()) << sql;
    EXPECT_EQ(std::get<LoadSave>(*s).target, Target::kGenaiModels) << sql;
    EXPECT_EQ(std::get<LoadSave>(*s).transfer, transfer) << sql;
  }
  auto checksum = parse_statement("CHECKSUM RUNTIME GENAI MODELS");
  ASSERT_TRUE(checksum.has_value());
  EXPECT_EQ(std::get<Checksum>(*checksum).target, Target::kGenaiModels);
  EXPECT_FALSE(parse_statement("LOAD GENAI MODEL TO RUNTIME").has_value());
  EXPECT_EQ(target_name(Target::kGenaiModels), "GENAI MODELS");
}

constexpr std::string_view kModelSections = R"(
genai_credentials = ( { name = "k1", secret = "sk-from-file" }, { name = "k2", secret = "env:HOME" } )
genai_models =
(
    { name = "m1", kind = "embed", credential = "k1", is_default = 1, dimensions = 384 },
    { name = "r1", kind = "rerank", format = "llama" }
)
genai_endpoints = ( { model_name = "m1", uri = "lexical:", priority = 0, weight = 2 },
                    { model_name = "r1", uri = "lexical:" } )
genai_model_grants = ( { username = "app", model_name = "m1", max_requests_per_minute = 10 } )
)";

TEST(ModelTablesTest, ConfigFileSectionsAreRead) {
  auto file = parse_config_text(std::string(kModelSections), "t.cnf");
  ASSERT_TRUE(file.has_value()) << file.error().message;
  EXPECT_EQ(file->model_tables.at("genai_models").size(), 2u);
  EXPECT_EQ(file->model_tables.at("genai_endpoints").size(), 2u);
  EXPECT_EQ(file->model_tables.at("genai_credentials").size(), 2u);
  EXPECT_EQ(file->model_tables.at("genai_model_grants").size(), 1u);
  auto bad = parse_config_text("genai_models = ( { name = \"m\", kind = \"chat\" } )", "t.cnf");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("expected one of embed, rerank"), std::string::npos);
  auto unknown = parse_config_text("genai_endpoints = ( { model = \"m\" } )", "t.cnf");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("unknown key"), std::string::npos);
  auto missing = parse_config_text("genai_credentials = ( { secret = \"x\" } )", "t.cnf");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("missing name"), std::string::npos);
}

struct AdminModelsTest : AdminFixture {
  void SetUp() override {
    write_file(dir.file("genaiproxy.cnf"), basic_config() + std::string(kModelSections));
    reopen(false);
  }
};

TEST_F(AdminModelsTest, FirstStartLoadsTheFilesModels) {
  auto rc = config.current();
  ASSERT_EQ(rc->models.size(), 2u);
  EXPECT_EQ(rc->models[0].name, "m1");
  EXPECT_EQ(rc->models[0].dimensions, 384);
  EXPECT_EQ(rc->model_endpoints.size(), 2u);
  ASSERT_EQ(rc->credentials.size(), 2u);
  EXPECT_EQ(rc->credentials[0].secret, "sk-from-file");
  EXPECT_EQ(rc->credentials[1].secret, std::getenv("HOME"));
  EXPECT_EQ(rc->model_grants.size(), 1u);
  for (auto table : {"genai_credentials", "disk.genai_credentials", "runtime_genai_credentials"}) {
    EXPECT_EQ(rows(*admin, std::string("SELECT name, secret FROM ") + table + " ORDER BY name"),
              (Rows{{"k1", "********"}, {"k2", "env:HOME"}}))
        << table;
  }
}

TEST_F(AdminModelsTest, SecretsSurviveReopenFromDisk) {
  ok(*admin, "UPDATE genai_credentials SET secret = 'sk-rotated' WHERE name = 'k1'");
  ok(*admin, "SAVE GENAI MODELS TO DISK");
  reopen(false);
  EXPECT_EQ(config.current()->credentials[0].secret, "sk-rotated");
  EXPECT_EQ(scalar(*admin, "SELECT secret FROM genai_credentials WHERE name = 'k1'"), "********");
  // Unsaved changes are lost; --initial takes the file again.
  reopen(true);
  EXPECT_EQ(config.current()->credentials[0].secret, "sk-from-file");
}

TEST_F(AdminModelsTest, FailedLoadPublishesNothing) {
  auto before = config.current();
  ok(*admin, "DELETE FROM genai_models WHERE name = 'r1'");
  Error e = fails(*admin, "LOAD GENAI MODELS TO RUNTIME");
  EXPECT_EQ(e.message,
            "genai_endpoints row ('r1', 'lexical:'): model_name: no genai_models row "
            "is named 'r1'");
  EXPECT_EQ(config.current(), before);
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM runtime_genai_models"), "2");
}

TEST_F(AdminModelsTest, LoadFromConfigUpsertsTheFilesRows) {
  ok(*admin, "DELETE FROM genai_model_grants");
  ok(*admin, "INSERT INTO genai_models (name) VALUES ('extra')");
  ok(*admin, "LOAD GENAI MODELS FROM CONFIG");
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM genai_model_grants"), "1");
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM genai_models"), "3");
}

}  // namespace
}  // namespace gp::admin

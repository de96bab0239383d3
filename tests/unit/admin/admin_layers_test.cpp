// Memory, disk and runtime layers through Admin::execute, without sockets.
#include <gtest/gtest.h>

#include <filesystem>

#include "admin_test_support.h"

namespace gp::admin {
namespace {

using namespace gp::admin::testing;

using AdminLayersTest = AdminFixture;

TEST_F(AdminLayersTest, FirstStartTakesTheFileAndPublishes) {
  auto rc = config.current();
  EXPECT_EQ(rc->genai.threads, 8);
  EXPECT_EQ(rc->genai.embedding_uri, "lexical:");
  EXPECT_EQ(rc->mysql.threads, 2);
  EXPECT_EQ(rc->admin.mysql_ifaces, "127.0.0.1:16032");
  ASSERT_EQ(rc->users.size(), 1u);
  EXPECT_EQ(rc->users[0].username, "app");
  EXPECT_EQ(rc->users[0].password, "secret");
  ASSERT_EQ(rc->servers.size(), 1u);
  EXPECT_EQ(rc->servers[0].hostname, "127.0.0.1");
  EXPECT_TRUE(std::filesystem::exists(dir.file("genaiproxy.db")));
  EXPECT_EQ(admin->datadir(), dir.path());
  EXPECT_EQ(scalar(*admin,
                   "SELECT variable_value FROM disk.global_variables WHERE "
                   "variable_name='genai-threads'"),
            "8");
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM disk.mysql_users"), "1");
  // Defaults of variables the file does not mention are in memory too.
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-max_documents"), "10000");
}

TEST_F(AdminLayersTest, SetChangesMemoryUntilLoad) {
  int published = 0;
  config.subscribe([&](auto&) { ++published; });
  ok(*admin, "SET genai-threads = 16");
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-threads"), "16");
  EXPECT_EQ(config.current()->genai.threads, 8);
  EXPECT_EQ(scalar(*admin,
                   "SELECT variable_value FROM runtime_global_variables WHERE "
                   "variable_name='genai-threads'"),
            "8");
  EXPECT_EQ(published, 0);
  ok(*admin, "LOAD GENAI VARIABLES TO RUNTIME");
  EXPECT_EQ(published, 1);
  EXPECT_EQ(config.current()->genai.threads, 16);
  EXPECT_EQ(scalar(*admin,
                   "SELECT variable_value FROM runtime_global_variables WHERE "
                   "variable_name='genai-threads'"),
            "16");
  // Only the GENAI part was replaced.
  EXPECT_EQ(config.current()->users.size(), 1u);
}

TEST_F(AdminLayersTest, InvalidSetIsRejectedAndChangesNothing) {
  auto e = fails(*admin, "SET genai-threads = 0");
  EXPECT_EQ(e.code, 1231);
  EXPECT_EQ(e.sqlstate, "42000");
  EXPECT_NE(e.message.find("genai-threads"), std::string::npos);
  EXPECT_NE(e.message.find("1..256"), std::string::npos);
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-threads"), "8");
  e = fails(*admin, "SET genai-embedding_uri = 'ftp://x'");
  EXPECT_EQ(e.code, 1231);
  e = fails(*admin, "SET genai-no_such = 1");
  EXPECT_EQ(e.code, 1193);
  EXPECT_NE(e.message.find("genai-no_such"), std::string::npos);
  e = fails(*admin, "SET admin-version = '9'");
  EXPECT_EQ(e.code, 1238);
  e = fails(*admin, "SELECT @@genai-no_such");
  EXPECT_EQ(e.code, 1193);
}

TEST_F(AdminLayersTest, LoadOfAnInvalidTableValuePublishesNothing) {
  auto before = config.current();
  ok(*admin, "SET genai-max_queue = 5");
  ok(*admin,
     "UPDATE global_variables SET variable_value = '0' WHERE variable_name = 'genai-threads'");
  auto e = fails(*admin, "LOAD GENAI VARIABLES TO RUNTIME");
  EXPECT_EQ(e.code, 1231);
  EXPECT_NE(e.message.find("genai-threads"), std::string::npos);
  EXPECT_EQ(config.current(), before);
  EXPECT_EQ(config.current()->genai.max_queue, 10000);
}

TEST_F(AdminLayersTest, SaveToDiskSurvivesReopenAndDiskWinsOverFile) {
  ok(*admin, "SET genai-threads = 12");
  ok(*admin, "INSERT INTO mysql_users (username, password) VALUES ('bob', 'pw')");
  ok(*admin, "SAVE GENAI VARIABLES TO DISK");
  ok(*admin, "SAVE MYSQL USERS TO DISK");
  reopen(false);
  EXPECT_EQ(config.current()->genai.threads, 12);
  EXPECT_EQ(config.current()->users.size(), 2u);
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-threads"), "12");
  // --initial: the file wins again and the disk is rebuilt from it.
  reopen(true);
  EXPECT_EQ(config.current()->genai.threads, 8);
  EXPECT_EQ(config.current()->users.size(), 1u);
  EXPECT_EQ(scalar(*admin,
                   "SELECT variable_value FROM disk.global_variables WHERE "
                   "variable_name='genai-threads'"),
            "8");
}

TEST_F(AdminLayersTest, ChangesNotSavedAreLostOnReopen) {
  ok(*admin, "SET genai-threads = 12");
  ok(*admin, "LOAD GENAI VARIABLES TO RUNTIME");
  reopen(false);
  EXPECT_EQ(config.current()->genai.threads, 8);
}

TEST_F(AdminLayersTest, LoadFromDiskReplacesMemory) {
  ok(*admin, "SET genai-threads = 30");
  ok(*admin, "DELETE FROM mysql_servers");
  ok(*admin, "LOAD GENAI VARIABLES FROM DISK");
  ok(*admin, "LOAD MYSQL SERVERS TO MEMORY");
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-threads"), "8");
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM mysql_servers"), "1");
}

TEST_F(AdminLayersTest, SaveFromRuntimeCopiesRuntimeToMemory) {
  ok(*admin, "SET mysql-threads = 7");
  ok(*admin, "DELETE FROM mysql_users");
  ok(*admin, "SAVE MYSQL VARIABLES FROM RUNTIME");
  ok(*admin, "SAVE MYSQL USERS TO MEMORY");
  EXPECT_EQ(scalar(*admin, "SELECT @@mysql-threads"), "2");
  EXPECT_EQ(scalar(*admin, "SELECT username FROM mysql_users"), "app");
}

TEST_F(AdminLayersTest, ServersAndUsersReachRuntime) {
  ok(*admin,
     "INSERT INTO mysql_servers (hostgroup_id, hostname, port, status, weight, comment) "
     "VALUES (2, 'db2', 3307, 'OFFLINE_SOFT', 5, 'replica')");
  EXPECT_EQ(config.current()->servers.size(), 1u);
  ok(*admin, "LOAD MYSQL SERVERS TO RUNTIME");
  auto servers = config.current()->servers;
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[1].hostname, "db2");
  EXPECT_EQ(servers[1].port, 3307);
  EXPECT_EQ(servers[1].status, "OFFLINE_SOFT");
  EXPECT_EQ(servers[1].weight, 5);
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM runtime_mysql_servers"), "2");
  auto e = fails(*admin, "INSERT INTO mysql_servers (hostname, status) VALUES ('x', 'UP')");
  EXPECT_EQ(e.code, 1105);
  EXPECT_NE(e.message.find("CHECK"), std::string::npos) << e.message;

  ok(*admin, "UPDATE mysql_users SET active = 0, default_hostgroup = 3");
  ok(*admin, "LOAD MYSQL USERS FROM MEMORY");
  ASSERT_EQ(config.current()->users.size(), 1u);
  EXPECT_FALSE(config.current()->users[0].active);
  EXPECT_EQ(config.current()->users[0].default_hostgroup, 3);
  // A backend row and a frontend row, as ProxySQL shows a user.
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM runtime_mysql_users"), "2");
  EXPECT_EQ(scalar(*admin, "SELECT default_hostgroup FROM runtime_mysql_users WHERE frontend = 1"),
            "3");
}

TEST_F(AdminLayersTest, LoadFromConfigRereadsTheFile) {
  write_file(dir.file("genaiproxy.cnf"), basic_config(5));
  ok(*admin, "LOAD GENAI VARIABLES FROM CONFIG");
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-threads"), "5");
  EXPECT_EQ(config.current()->genai.threads, 8);
}

TEST(AdminOpenTest, BadConfigFileFailsWithFileLineAndKey) {
  TempDir dir;
  write_file(dir.file("genaiproxy.cnf"), "genai_variables =\n{\n  threads = 999\n}\n");
  ConfigStore config;
  MetricsRegistry metrics;
  auto opened = Admin::open({dir.file("genaiproxy.cnf"), dir.path(), false}, config, metrics);
  ASSERT_FALSE(opened.has_value());
  const std::string& m = opened.error().message;
  EXPECT_NE(m.find("genaiproxy.cnf: line 3: genai_variables.threads"), std::string::npos) << m;
  EXPECT_FALSE(std::filesystem::exists(dir.file("genaiproxy.db")));
}

TEST(AdminOpenTest, DatadirComesFromOptionThenFileThenFolder) {
  TempDir dir;
  std::string sub = dir.file("from-file");
  write_file(dir.file("a.cnf"), "datadir=\"" + sub + "\"\n" + basic_config());
  ConfigStore config;
  MetricsRegistry metrics;
  auto a = Admin::open({dir.file("a.cnf"), "", false}, config, metrics);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ((*a)->datadir(), sub);
  EXPECT_TRUE(std::filesystem::exists(sub + "/genaiproxy.db"));
  a->reset();

  write_file(dir.file("b.cnf"), basic_config());
  auto b = Admin::open({dir.file("b.cnf"), "", false}, config, metrics);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ((*b)->datadir(), dir.path());
  b->reset();

  std::string explicit_dir = dir.file("explicit/nested");
  auto c = Admin::open({dir.file("a.cnf"), explicit_dir, false}, config, metrics);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ((*c)->datadir(), explicit_dir);
  EXPECT_TRUE(std::filesystem::exists(explicit_dir + "/genaiproxy.db"));
}

// The disk (here the first start's file, saved to disk) never keeps the proxy
// from starting: the key takes its default, no key, and the log says why.
TEST(AdminOpenTest, UnsetEnvKeyAtStartupTakesTheDefault) {
  TempDir dir;
  ::unsetenv("GP_ADMIN_TEST_UNSET");
  write_file(dir.file("g.cnf"),
             "genai_variables = { embedding_api_key = \"env:GP_ADMIN_TEST_UNSET\" }\n");
  ConfigStore config;
  MetricsRegistry metrics;
  auto opened = Admin::open({dir.file("g.cnf"), dir.path(), false}, config, metrics);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(config.current()->genai.embedding_api_key, "");
  // LOAD stays all-or-nothing: the same value refused at LOAD publishes nothing.
  auto load = (*opened)->execute("LOAD GENAI VARIABLES TO RUNTIME");
  ASSERT_FALSE(load.has_value());
  EXPECT_NE(load.error().message.find("GP_ADMIN_TEST_UNSET"), std::string::npos);
  EXPECT_NE(load.error().message.find("genai-embedding_api_key"), std::string::npos);
}

}  // namespace
}  // namespace gp::admin

namespace gp::admin {
namespace {

using namespace gp::admin::testing;

using AdminStartupTest = AdminFixture;

// What LOAD refuses but SAVE TO DISK kept never stops the next start: the
// invalid row is left out of the runtime, the valid ones next to it load,
// and memory keeps what the disk holds.
TEST_F(AdminStartupTest, InvalidRowsOnDiskAreLeftOutAtStartup) {
  ok(*admin, "INSERT INTO mysql_servers (hostgroup_id, hostname, port) VALUES (5, '', 3306)");
  ok(*admin, "INSERT INTO mysql_servers (hostgroup_id, hostname, port) VALUES (6, 'db6', 3306)");
  EXPECT_EQ(fails(*admin, "LOAD MYSQL SERVERS TO RUNTIME").code, 1105);
  ok(*admin, "INSERT INTO genai_models (name, kind, credential) VALUES ('m1', 'embed', 'nope')");
  ok(*admin, "INSERT INTO genai_models (name, kind) VALUES ('m2', 'embed')");
  ok(*admin, "INSERT INTO genai_endpoints (model_name, uri) VALUES ('m1', 'lexical:')");
  ok(*admin, "INSERT INTO genai_endpoints (model_name, uri) VALUES ('m2', 'lexical:')");
  fails(*admin, "LOAD GENAI MODELS TO RUNTIME");
  ok(*admin, "SAVE MYSQL SERVERS TO DISK");
  ok(*admin, "SAVE GENAI MODELS TO DISK");
  reopen(false);
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM runtime_mysql_servers WHERE hostgroup_id = 5"),
            "0");
  EXPECT_EQ(scalar(*admin, "SELECT hostname FROM runtime_mysql_servers WHERE hostgroup_id = 6"),
            "db6");
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM mysql_servers WHERE hostgroup_id = 5"), "1");
  // m1 names a credential that does not exist: it and its endpoint are left
  // out; m2 and its endpoint load.
  EXPECT_EQ(scalar(*admin, "SELECT group_concat(name) FROM runtime_genai_models"), "m2");
  EXPECT_EQ(scalar(*admin, "SELECT group_concat(model_name) FROM runtime_genai_endpoints"), "m2");
}

}  // namespace
}  // namespace gp::admin

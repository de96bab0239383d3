// Helpers for tests that drive Admin::open on a temporary directory.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "admin/admin.h"

namespace gp::admin::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gp-admin-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A small config like the quick-start one.
inline std::string basic_config(int genai_threads = 8) {
  return "admin_variables = { admin_credentials = \"admin:admin\", mysql_ifaces = "
         "\"127.0.0.1:16032\" }\n"
         "mysql_variables = { threads = 2, interfaces = \"127.0.0.1:16033\" }\n"
         "genai_variables = { threads = " +
         std::to_string(genai_threads) +
         ", embedding_uri = \"lexical:\", rerank_uri = \"lexical:\" }\n"
         "mysql_users = ( { username = \"app\", password = \"secret\", default_hostgroup = 0 } )\n"
         "mysql_servers = ( { address = \"127.0.0.1\", port = 3306, hostgroup = 0 } )\n";
}

using Rows = std::vector<std::vector<std::string>>;

inline mysql::ResultSet result_set(Admin& admin, const std::string& sql) {
  auto r = admin.execute(sql);
  EXPECT_TRUE(r.has_value()) << sql << ": " << (r ? "" : r.error().message);
  if (!r) return {};
  EXPECT_TRUE(std::holds_alternative<mysql::ResultSet>(*r)) << sql << " gave no result set";
  if (!std::holds_alternative<mysql::ResultSet>(*r)) return {};
  return std::get<mysql::ResultSet>(*r);
}

inline Rows rows(Admin& admin, const std::string& sql) {
  Rows out;
  for (auto& row : result_set(admin, sql).rows) {
    std::vector<std::string> cells;
    for (auto& cell : row) cells.push_back(cell.value_or("NULL"));
    out.push_back(std::move(cells));
  }
  return out;
}

inline std::string scalar(Admin& admin, const std::string& sql) {
  auto r = rows(admin, sql);
  EXPECT_EQ(r.size(), 1u) << sql;
  return r.empty() || r[0].empty() ? std::string("<none>") : r[0][0];
}

inline void ok(Admin& admin, const std::string& sql) {
  auto r = admin.execute(sql);
  ASSERT_TRUE(r.has_value()) << sql << ": " << (r ? "" : r.error().message);
}

inline Error fails(Admin& admin, const std::string& sql) {
  auto r = admin.execute(sql);
  EXPECT_FALSE(r.has_value()) << sql << " succeeded";
  return r ? Error{} : r.error();
}

// One admin over a temp datadir with the basic config.
struct AdminFixture : ::testing::Test {
  TempDir dir;
  ConfigStore config;
  MetricsRegistry metrics;
  std::unique_ptr<Admin> admin;

  void SetUp() override {
    write_file(dir.file("genaiproxy.cnf"), basic_config());
    reopen(false);
  }

  void reopen(bool initial) {
    admin.reset();
    Options options{dir.file("genaiproxy.cnf"), dir.path(), initial};
    auto opened = Admin::open(options, config, metrics);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    admin = std::move(*opened);
  }
};

}  // namespace gp::admin::testing

// What a stats login (admin-stats_credentials) may run: the statements that
// read the stats schema. Everything that reads or changes configuration is
// refused with 1142, naming the login's limit.
#include "admin/admin_impl.h"
#include "fmt/format.h"

namespace gp::admin {

namespace {

std::unexpected<Error> stats_only(std::string_view what) {
  return make_error(errc::kTableAccessDenied,
                    fmt::format("{} is not permitted to a stats login: it reads the stats schema "
                                "only (log in with admin-admin_credentials to change the "
                                "configuration)",
                                what));
}

}  // namespace

Result<void> AdminImpl::check_schema_access(std::string_view schema) const {
  if (access_ == Access::kAdmin || schema == "stats") return {};
  return stats_only(fmt::format("schema '{}'", schema));
}

Result<void> AdminImpl::check_access(const AdminStatement& statement) const {
  if (access_ == Access::kAdmin) return {};
  return std::visit(
      [&](const auto& s) -> Result<void> {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, SessionSet> || std::is_same_v<T, TransactionControl> ||
                      std::is_same_v<T, ShowDatabases> || std::is_same_v<T, ShowWarnings> ||
                      std::is_same_v<T, ShowProcesslist> || std::is_same_v<T, ShowMysqlStatus> ||
                      std::is_same_v<T, PlainSql>) {
          // Plain SQL is held to the stats schema by the SQLite authorizer.
          return {};
        } else if constexpr (std::is_same_v<T, ShowTables> || std::is_same_v<T, ShowTableStatus>) {
          return check_schema_access(s.schema.value_or("stats"));
        } else if constexpr (std::is_same_v<T, ShowCreateTable> || std::is_same_v<T, ShowFields>) {
          auto dot = s.table.find('.');
          if (dot != std::string::npos) return check_schema_access(s.table.substr(0, dot));
          return s.table.starts_with("stats_") ? Result<void>{}
                                               : stats_only(fmt::format("table '{}'", s.table));
        } else if constexpr (std::is_same_v<T, SelectVariables>) {
          for (auto& item : s.items) {
            if (item.starts_with("@@") && item != "@@version" && item != "@@version_comment" &&
                item != "@@admin-version") {
              return stats_only(fmt::format("reading {}", item));
            }
          }
          return {};
        } else if constexpr (std::is_same_v<T, SetVariable>) {
          return stats_only("SET " + s.name);
        } else if constexpr (std::is_same_v<T, LoadSave>) {
          return stats_only(fmt::format("LOAD/SAVE {}", target_name(s.target)));
        } else if constexpr (std::is_same_v<T, ShowVariables>) {
          return stats_only("SHOW VARIABLES");
        } else if constexpr (std::is_same_v<T, Checksum>) {
          return stats_only("CHECKSUM");
        } else if constexpr (std::is_same_v<T, TruncateStats>) {
          return stats_only("TRUNCATE");
        } else {
          return stats_only("this statement");
        }
      },
      statement);
}

}  // namespace gp::admin

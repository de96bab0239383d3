#include "backend/session_state.h"

#include <gtest/gtest.h>

namespace gp::backend {
namespace {

std::vector<TrackedAssignment> tracked(std::string_view sql, bool mariadb = true) {
  auto r = parse_tracked_set(sql, mariadb);
  EXPECT_TRUE(r.has_value()) << sql;
  return r ? *r : std::vector<TrackedAssignment>{};
}

void untracked(std::string_view sql) {
  EXPECT_FALSE(parse_tracked_set(sql, true).has_value()) << sql;
}

TEST(ParseTrackedSet, AssignmentFormsAndScopes) {
  auto a = tracked(
      "SET autocommit = 0, SESSION sql_mode = 'ANSI', @@time_zone := '+01:00', "
      "@@session.foreign_key_checks = ON, LOCAL wait_timeout = 60");
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[0].key, "autocommit");
  EXPECT_EQ(a[0].assignment, "autocommit = 0");
  EXPECT_EQ(a[1].assignment, "sql_mode = 'ANSI'");  // (single-quoted already)
  EXPECT_EQ(a[2].key, "time_zone");
  EXPECT_EQ(a[3].assignment, "foreign_key_checks = ON");
  EXPECT_EQ(a[4].key, "wait_timeout");
  EXPECT_EQ(tracked("set AUTOCOMMIT=1;")[0].assignment, "autocommit = 1");
  EXPECT_EQ(tracked("SET sql_select_limit = -1")[0].assignment, "sql_select_limit = - 1");
}

TEST(ParseTrackedSet, StringsReplaySingleQuoted) {
  EXPECT_EQ(tracked("SET time_zone = \"+03:00\"")[0].assignment, "time_zone = '+03:00'");
  // Under ANSI_QUOTES "x" is a name: its value is whatever the server made of it.
  auto ansi = parse_tracked_set("SET sql_mode = \"ANSI\"", true, {.ansi_quotes = true});
  ASSERT_TRUE(ansi.has_value());
  EXPECT_EQ((*ansi)[0].readback, "sql_mode");
}

TEST(ParseTrackedSet, ExpressionsAreReadBack) {
  auto a = tracked("set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_TRUE(a[1].assignment.empty());
  EXPECT_EQ(a[1].readback, "sql_mode");
}

TEST(ParseTrackedSet, CharacterSets) {
  EXPECT_EQ(tracked("SET NAMES utf8mb4")[0].assignment, "NAMES utf8mb4");
  EXPECT_EQ(tracked("SET NAMES 'latin1' COLLATE 'latin1_bin'")[0].assignment,
            "NAMES 'latin1' COLLATE 'latin1_bin'");
  EXPECT_EQ(tracked("SET CHARACTER SET utf8")[0].key, "names");
  EXPECT_EQ(tracked("SET character_set_results = NULL")[0].assignment,
            "character_set_results = NULL");
}

TEST(ParseTrackedSet, TransactionCharacteristics) {
  auto m = tracked("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].assignment, "tx_isolation = 'READ-COMMITTED'");
  EXPECT_EQ(m[1].assignment, "tx_read_only = 1");
  auto my = tracked("SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE", false);
  EXPECT_EQ(my[0].assignment, "transaction_isolation = 'SERIALIZABLE'");
}

TEST(ParseTrackedSet, DefaultResets) {
  auto a = tracked("SET sql_mode = DEFAULT");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(a[0].reset);
}

TEST(ParseTrackedSet, WhatPins) {
  untracked("SET @x = 1");
  untracked("SET autocommit = 0, @x = 1");
  untracked("SET GLOBAL sql_mode = ''");
  untracked("SET @@global.time_zone = '+00:00'");
  untracked("SET max_allowed_packet = 1");                      // not tracked
  untracked("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");  // the next transaction only
  untracked("SET NAMES DEFAULT");
  untracked("SET sql_mode = 'a\\\\b'");  // read differently under NO_BACKSLASH_ESCAPES
  untracked("SET autocommit = 0; SET @x = 1");
  untracked("SELECT 1");
  untracked("SET autocommit = (SELECT @x)");
}

TEST(ApplyStatement, OneSetOfWhatDiffers) {
  TrackedState have, want;
  EXPECT_EQ(apply_statement(have, want, "NAMES 'utf8mb4'"), "");
  record(want, {"sql_mode", "sql_mode = 'ANSI'", {}, false});
  record(want, {"time_zone", "time_zone = '+01:00'", {}, false});
  record(have, {"time_zone", "time_zone = '+01:00'", {}, false});
  record(have, {"autocommit", "autocommit = 0", {}, false});
  EXPECT_EQ(apply_statement(have, want, "NAMES 'utf8mb4'"),
            "SET autocommit = DEFAULT, sql_mode = 'ANSI'");
}

TEST(ApplyStatement, CharacterSetVariablesFollowTheirNames) {
  TrackedState have, want;
  record(want, {"names", "NAMES latin1", {}, false});
  record(want, {"character_set_results", "character_set_results = NULL", {}, false});
  record(have, {"character_set_results", "character_set_results = NULL", {}, false});
  EXPECT_EQ(apply_statement(have, want, "NAMES 'utf8mb4'"),
            "SET NAMES latin1, character_set_results = NULL");
  // Back to the connection's own character set.
  EXPECT_EQ(apply_statement(want, {}, "NAMES 'utf8mb4'"), "SET NAMES 'utf8mb4'");
  // A later NAMES replaces the variables it covers.
  record(want, {"names", "NAMES utf8mb4", {}, false});
  ASSERT_EQ(want.size(), 1u);
}

TEST(ApplyStatement, ASnapshotLeftByAnotherSessionIsEnded) {
  TrackedState s;
  record(s, {"autocommit", "autocommit = 0", {}, false});
  EXPECT_EQ(apply_statement(s, s, "", false), "");
  EXPECT_EQ(apply_statement(s, s, "", true), "SET autocommit = 1, autocommit = 0");
  EXPECT_EQ(apply_statement(s, {}, "", true), "SET autocommit = DEFAULT");
}

TEST(HandshakeNames, CommonCollationsOnly) {
  EXPECT_EQ(handshake_names(45), "NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'");
  EXPECT_EQ(handshake_names(8), "NAMES 'latin1' COLLATE 'latin1_swedish_ci'");
  EXPECT_FALSE(handshake_names(97).has_value());
}

}  // namespace
}  // namespace gp::backend

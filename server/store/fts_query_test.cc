#include "store/fts_query.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <random>

namespace roomchat::store {
namespace {

TEST(FtsQueryTest, QuotesEveryWordAsAPrefixTerm) {
  EXPECT_EQ(ftsQuery("hello"), "\"hello\"*");
  EXPECT_EQ(ftsQuery("  hello \t world\n"), "\"hello\"* \"world\"*");
  EXPECT_EQ(ftsQuery("a AND b"), "\"a\"* \"AND\"* \"b\"*");
  EXPECT_EQ(ftsQuery("say \"hi\""), "\"say\"* \"\"\"hi\"\"\"*");
  EXPECT_EQ(ftsQuery(""), "");
  EXPECT_EQ(ftsQuery(" \t\r\n"), "");
}

// Runs every expression against a real FTS5 table: none may be a syntax error.
class FtsQuerySqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db_,
                           "CREATE VIRTUAL TABLE t USING fts5(text, tokenize='unicode61 "
                           "remove_diacritics 2');"
                           "INSERT INTO t VALUES ('alpha beta'), ('gamma (delta)')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_prepare_v2(db_, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &stmt_,
                                 nullptr),
              SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }

  // The step result of matching ftsQuery(input); SQLITE_ROW means it ran.
  int match(const std::string& input) {
    std::string expr = ftsQuery(input);
    if (expr.empty()) return SQLITE_ROW;  // RoomStore::search never runs an empty one
    sqlite3_reset(stmt_);
    sqlite3_bind_text(stmt_, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_TRANSIENT);
    return sqlite3_step(stmt_);
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

TEST_F(FtsQuerySqliteTest, HostileInputIsNeverSyntax) {
  for (const char* input :
       {"\"", "\"\"", "\"unbalanced", "*", "**", "a*b", "AND", "OR", "NOT", "alpha AND",
        "alpha OR beta", "NOT alpha", "-", "-alpha", "(", ")", "(delta", "text:alpha",
        "{text}: alpha", "NEAR(alpha beta)", "NEAR(alpha beta, 2)", "^alpha", "+", "\\", "'",
        ";", "\x01", "\xff\xfe", "\xc3", "alpha\"beta", "zeta\" OR \"alpha", "\"*\"", "-- x",
        "x:y:z", ":", "a + b"}) {
    SCOPED_TRACE(input);
    EXPECT_EQ(match(input), SQLITE_ROW) << sqlite3_errmsg(db_);
  }
}

TEST_F(FtsQuerySqliteTest, RandomInputIsNeverSyntax) {
  const std::string alphabet = "ab \"*()-+^:{}.,;'\\\t\nANDORNOT\x80\xff";
  std::mt19937 rng(2024);
  for (int i = 0; i < 3000; ++i) {
    std::string input;
    for (size_t n = rng() % 24; n > 0; --n) input += alphabet[rng() % alphabet.size()];
    SCOPED_TRACE(input);
    ASSERT_EQ(match(input), SQLITE_ROW) << sqlite3_errmsg(db_);
  }
}

}  // namespace
}  // namespace roomchat::store

#include "api/http_util.h"

#include <gtest/gtest.h>

namespace roomchat::api {
namespace {

TEST(HttpUtil, ErrorCodesMapToTheContractsStatuses) {
  EXPECT_EQ(statusOf("invalid_name"), net::http::status::bad_request);
  EXPECT_EQ(statusOf("unauthenticated"), net::http::status::unauthorized);
  EXPECT_EQ(statusOf("bad_origin"), net::http::status::forbidden);
  EXPECT_EQ(statusOf("not_found"), net::http::status::not_found);
  EXPECT_EQ(statusOf("username_taken"), net::http::status::conflict);
  EXPECT_EQ(statusOf("rate_limited"), net::http::status::too_many_requests);
  EXPECT_EQ(statusOf("unsupported_media_type"), net::http::status::unsupported_media_type);
  EXPECT_EQ(statusOf("anything else"), net::http::status::internal_server_error);
}

TEST(HttpUtil, QueryIsDecodedAndTheFirstRepeatWins) {
  auto q = parseQuery("a=1&b=x%20y+z&a=2&&c");
  EXPECT_EQ(q["a"], "1");
  EXPECT_EQ(q["b"], "x y z");
  EXPECT_EQ(q["c"], "");
}

TEST(HttpUtil, TheQueryIsWhatFollowsTheFirstQuestionMark) {
  EXPECT_EQ(queryOf("/api/rooms/abc/ws?tab=t1&x=1"), "tab=t1&x=1");
  EXPECT_EQ(queryOf("/a?b?c"), "b?c");
  EXPECT_EQ(queryOf("/a?"), "");
  // No '?': there is no query, and the path is not one.
  EXPECT_EQ(queryOf("/api/rooms/abc/ws"), "");
  EXPECT_EQ(queryOf("/tab=t1"), "");
  EXPECT_TRUE(parseQuery(queryOf("/api/rooms/abc/ws")).empty());
}

TEST(HttpUtil, OnlyApplicationJsonIsJson) {
  for (const char* json : {"application/json", "application/json; charset=utf-8",
                           "Application/JSON;charset=UTF-8", "  application/json  ",
                           "application/json ; charset=utf-8"})
    EXPECT_TRUE(isJsonContentType(json)) << json;
  for (const char* other : {"", "text/plain", "application/jsonx", "application/json-patch+json",
                            "text/json", "application/x-www-form-urlencoded", "json",
                            "application/json,text/plain", "multipart/form-data"})
    EXPECT_FALSE(isJsonContentType(other)) << other;
}

TEST(HttpUtil, IntParamsAreStrict) {
  auto ok = intParam({{"limit", "25"}}, "limit", 1, 100);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(**ok, 25);
  EXPECT_FALSE(intParam({}, "limit", 1, 100)->has_value());
  for (const char* bad : {"0", "101", "abc", "1.5", "", " 5", "5 ", "-1", "99999999999999999999"}) {
    auto r = intParam({{"limit", bad}}, "limit", 1, 100);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_limit");
  }
}

TEST(HttpUtil, BodiesMustBeJsonObjects) {
  EXPECT_TRUE(parseJsonBody(R"({"a":1})").ok());
  EXPECT_FALSE(parseJsonBody("[1]").ok());
  EXPECT_FALSE(parseJsonBody("{").ok());
  EXPECT_FALSE(parseJsonBody("").ok());
}

}  // namespace
}  // namespace roomchat::api

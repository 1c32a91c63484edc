// The server starts, answers /healthz and the providers route, and answers
// unknown routes with the error shape.
#include "support/fixture.h"

namespace roomchat::test {
namespace {

class Smoke : public ServerTest {};

TEST_F(Smoke, HealthzAnswers200WhileServing) {
  auto res = anonymous().get("/healthz");
  EXPECT_EQ(res.status, 200) << res.describe();
}

TEST_F(Smoke, ProvidersListPasswordLoginAndAnOidcArray) {
  auto res = anonymous().get("/api/auth/providers");
  ASSERT_EQ(res.status, 200) << res.describe();
  EXPECT_EQ(res.json.value("password", false), true) << res.body;
  ASSERT_TRUE(res.json.contains("oidc")) << res.body;
  EXPECT_TRUE(res.json["oidc"].is_array()) << res.body;
}

TEST_F(Smoke, UnknownApiRoutesAre404WithTheErrorShape) {
  auto res = anonymous().get("/api/no/such/route");
  EXPECT_EQ(res.status, 404) << res.describe();
  EXPECT_TRUE(res.isErrorShape()) << res.body;
}

}  // namespace
}  // namespace roomchat::test

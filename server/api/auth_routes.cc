// API.md §1: accounts and sessions.
#include <regex>

#include "api/router.h"
#include "base/ids.h"
#include "proto/server_frames.h"

namespace roomchat::api {

namespace http = net::http;
using http::verb;

namespace {

constexpr size_t kMaxIdsPerLookup = 100;

bool validUsername(const std::string& u) {
  static const std::regex re("[a-z0-9_.-]{3,32}");
  return std::regex_match(u, re);
}

Result<std::string> validDisplayName(const std::optional<std::string>& raw) {
  if (!raw) return makeError("invalid_display_name", "displayName is required");
  std::string name = proto::trimText(*raw);
  auto length = proto::utf8Length(name);
  if (!length || *length < 1 || *length > 64)
    return makeError("invalid_display_name", "displayName must be 1 to 64 characters");
  if (auto fault = proto::nameFault(name))
    return makeError("invalid_display_name", "displayName " + *fault);
  return name;
}

net::Response tooMany(int seconds) {
  auto res = errorResponse("rate_limited", "too many attempts; try again later");
  res.set(http::field::retry_after, std::to_string(seconds));
  return res;
}

// Starts a session for `user`: the cookie carries a random token, the
// database only its hash.
net::Response withNewSession(Services& s, const model::User& user, http::status status) {
  auto cookie = newSessionCookie(s, user.id);
  if (!cookie.ok()) return errorResponse(cookie.error());
  auto res = jsonResponse(status, Json{{"user", proto::toJson(user)}});
  res.set(http::field::set_cookie, *cookie);
  return res;
}

// Verifying against a fixed hash when the user does not exist keeps the
// answer's timing the same as for a wrong password.
const std::string& decoyHash(const auth::PasswordCost& cost) {
  static const std::string hash = auth::hashPassword("decoy password", cost);
  return hash;
}

net::Response signup(Services& s, Call& c) {
  if (int wait = s.signupPerIp.retryAfterSeconds(c.peer.ip, nowMs())) return tooMany(wait);
  auto body = parseJsonBody(c.request.body());
  if (!body.ok()) return errorResponse(body.error());
  auto username = stringField(*body, "username");
  auto password = stringField(*body, "password");
  auto displayName = stringField(*body, "displayName");
  if (!username.ok() || !*username || !validUsername(**username))
    return errorResponse("invalid_username", "username must be 3 to 32 of a-z 0-9 _ . -");
  auto pwLength = password.ok() && *password ? proto::utf8Length(**password) : std::nullopt;
  if (!pwLength || *pwLength < 8 || *pwLength > 256)
    return errorResponse("invalid_password", "password must be 8 to 256 characters");
  auto name = validDisplayName(displayName.ok() ? *displayName : std::nullopt);
  if (!name.ok()) return errorResponse(name.error());

  model::User user{randomId(), **username, *name, std::nullopt};
  std::string hash = auth::hashPassword(**password, s.passwordCost);
  if (hash.empty()) return errorResponse("internal", "could not hash the password");
  auto created = s.meta.createUser(user, hash);
  if (!created.ok()) return errorResponse(created.error());
  return withNewSession(s, *created, http::status::created);
}

net::Response login(Services& s, Call& c) {
  auto body = parseJsonBody(c.request.body());
  if (!body.ok()) return errorResponse(body.error());
  auto username = stringField(*body, "username");
  auto password = stringField(*body, "password");
  if (!username.ok() || !*username || !password.ok() || !*password)
    return errorResponse("bad_request", "username and password are required");
  const int64_t now = nowMs();
  if (int wait = s.loginPerIp.retryAfterSeconds(c.peer.ip, now)) return tooMany(wait);
  if (int wait = s.loginPerUser.retryAfterSeconds(**username, now)) return tooMany(wait);

  // A lookup that fails is not an unknown user: saying "wrong password"
  // would be a lie the user cannot act on.
  auto found = s.meta.userByUsername(**username);
  if (!found.ok()) return errorResponse(found.error());
  const std::optional<store::UserRecord>& record = *found;
  const std::string& hash = record && !record->passwordHash.empty() ? record->passwordHash
                                                                     : decoyHash(s.passwordCost);
  if (!auth::verifyPassword(hash, **password) || !record || record->passwordHash.empty())
    return errorResponse("bad_credentials", "wrong username or password");
  return withNewSession(s, record->user, http::status::ok);
}

// Answers 204 only once the session is revoked: on a storage failure the
// cookie is kept and the answer is 503, so the client does not believe a
// session that still works has ended.
net::Response logout(Services& s, Call& c) {
  auto session = sessionOf(s, c.request);
  if (!session.ok()) return errorResponse(session.error());
  if (*session) {
    const std::string& hash = (*session)->tokenHash;
    if (Status st = s.meta.deleteSession(hash); !st.ok()) return errorResponse(st.error());
    s.connections.closeSession(hash, room::kCloseSessionEnded, "signed out");
  }
  auto res = noContent();
  res.set(http::field::set_cookie, auth::clearedSessionCookie(s.origins.secure()));
  return res;
}

net::Response patchMe(Services& s, Call& c) {
  auto body = parseJsonBody(c.request.body());
  if (!body.ok()) return errorResponse(body.error());
  std::optional<std::string> displayName;
  if (body->contains("displayName")) {
    auto raw = stringField(*body, "displayName");
    auto name = validDisplayName(raw.ok() ? *raw : std::nullopt);
    if (!name.ok()) return errorResponse(name.error());
    displayName = *name;
  }
  std::optional<std::string> avatar;
  if (body->contains("avatar")) {
    const auto& v = (*body)["avatar"];
    if (v.is_null()) avatar = "";  // removes the avatar
    else if (v.is_string() && proto::isBlobKey(v.get<std::string>())) avatar = v.get<std::string>();
    else return errorResponse("invalid_avatar", "avatar must be a blob key or null");
  }
  auto user = s.meta.updateUser(c.session->user.id, displayName, avatar);
  if (!user.ok()) return errorResponse(user.error());
  return jsonResponse(http::status::ok, Json{{"user", proto::toJson(*user)}});
}

net::Response users(Services& s, Call& c) {
  std::vector<std::string> ids;
  std::string_view list = c.query.count("ids") ? std::string_view(c.query["ids"]) : "";
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string id(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (!isValidId(id)) return errorResponse("invalid_ids", "ids must be valid user ids");
    ids.push_back(std::move(id));
  }
  if (ids.empty() || ids.size() > kMaxIdsPerLookup)
    return errorResponse("invalid_ids", "give 1 to 100 comma-separated ids");
  auto found = s.meta.usersByIds(ids);
  if (!found.ok()) return errorResponse(found.error());
  Json items = Json::array();
  for (const auto& u : *found) items.push_back(proto::toJson(u));
  return jsonResponse(http::status::ok, Json{{"items", items}});
}

}  // namespace

Result<std::string> newSessionCookie(Services& s, const std::string& userId) {
  std::string token = randomToken();
  const int64_t now = nowMs();
  const int64_t ttlMs = int64_t{s.limits.sessionDays} * 86400 * 1000;
  if (Status st = s.meta.createSession(sha256Hex(token), userId, now, now + ttlMs); !st.ok())
    return st.error();
  return auth::sessionCookie(token, s.origins.secure(), long{s.limits.sessionDays} * 86400);
}

void addAuthRoutes(Router& r, Services& s) {
  r.add(verb::post, "/api/auth/signup", [&s](Call& c) { return signup(s, c); }, false);
  r.add(verb::post, "/api/auth/login", [&s](Call& c) { return login(s, c); }, false);
  r.add(verb::post, "/api/auth/logout", [&s](Call& c) { return logout(s, c); }, false);
  r.add(verb::get, "/api/auth/session", [](Call& c) {
    return jsonResponse(http::status::ok, Json{{"user", proto::toJson(c.session->user)}});
  });
  r.add(verb::patch, "/api/me", [&s](Call& c) { return patchMe(s, c); });
  r.add(verb::get, "/api/users", [&s](Call& c) { return users(s, c); });
}

}  // namespace roomchat::api

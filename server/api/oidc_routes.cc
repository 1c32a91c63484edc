// API.md §1: sign-in through OpenID Connect providers (auth/oidc.h does the
// protocol), and a user's linked identities (settings).
//
// The browser side: `start` binds the pending login to the browser with a
// short-lived HttpOnly cookie (roomchat_oidc, Path=/api/auth/oidc/, 10 min)
// and redirects to the provider; `callback` answers with a redirect too:
// to the saved same-origin path with a session cookie on success, to
// /login?error=<code> (or /settings?error=<code> when linking) on any refusal,
// so a browser never lands on a JSON error page for a provider's answer. Only
// a failing meta store answers JSON (503), like every other route.
#include <spdlog/spdlog.h>

#include <cctype>

#include "api/router.h"
#include "base/ids.h"
#include "proto/client_frames.h"
#include "proto/server_frames.h"

namespace roomchat::api {

namespace http = net::http;
using http::verb;

namespace {

constexpr std::string_view kBindingCookie = "roomchat_oidc";
constexpr long kBindingSeconds = 600;

std::string bindingCookie(const std::string& token, bool secure, long maxAge) {
  return std::string(kBindingCookie) + "=" + token + "; Max-Age=" + std::to_string(maxAge) +
         "; Path=/api/auth/oidc/; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "");
}

net::Response redirectTo(const std::string& location) {
  net::Response res{http::status::found, 11};
  res.set(http::field::location, location);
  res.set(http::field::cache_control, "no-store");
  res.prepare_payload();
  return res;
}

// Where a refused sign-in lands: the login page, or settings when linking.
// `code` is one of a fixed set, never text from the provider.
net::Response refused(const std::string& code, bool linking) {
  return redirectTo((linking ? "/settings?error=" : "/login?error=") + code);
}

std::string callbackUri(Services& s, const std::string& provider) {
  return s.origins.publicOrigin() + "/api/auth/oidc/" + provider + "/callback";
}

std::string bindingOf(const net::Request& request) {
  auto header = request.find(http::field::cookie);
  if (header == request.end()) return {};
  auto value = auth::cookieValue(header->value(), kBindingCookie);
  return value && value->size() == 43 && isValidId(*value) ? *value : std::string();
}

// The display name the provider gives, made valid; nullopt when none is.
std::optional<std::string> displayNameOf(const auth::IdTokenClaims& c) {
  for (const std::string* raw : {&c.name, &c.preferredUsername}) {
    std::string name = proto::trimText(*raw);
    std::string cut;
    size_t chars = 0;
    for (size_t i = 0; i < name.size() && chars < 64; ++chars) {
      size_t len = 1;
      const auto lead = static_cast<unsigned char>(name[i]);
      if (lead >= 0xf0) len = 4;
      else if (lead >= 0xe0) len = 3;
      else if (lead >= 0xc0) len = 2;
      cut += name.substr(i, len);
      i += len;
    }
    cut = proto::trimText(cut);
    auto length = proto::utf8Length(cut);
    if (length && *length >= 1 && !proto::nameFault(cut)) return cut;
  }
  return std::nullopt;
}

// Usernames to try for a new user, in order: from preferred_username, the
// e-mail's local part or the name, then with digits, then random suffixes.
std::vector<std::string> usernameCandidates(const auth::IdTokenClaims& c) {
  std::string source = !c.preferredUsername.empty() ? c.preferredUsername
                       : !c.email.empty()           ? c.email.substr(0, c.email.find('@'))
                                                    : c.name;
  std::string base;
  for (unsigned char ch : source) {
    char lower = static_cast<char>(std::tolower(ch));
    if (std::isalnum(static_cast<unsigned char>(lower)) && ch < 0x80) base += lower;
    else if (lower == '_' || lower == '.' || lower == '-') base += lower;
    else if (lower == ' ') base += '_';
    if (base.size() == 24) break;
  }
  if (base.size() < 3) base = "user";
  std::vector<std::string> out{base};
  for (int i = 2; i <= 9; ++i) out.push_back(base + std::to_string(i));
  for (int i = 0; i < 5; ++i) out.push_back(base + "-" + randomId().substr(0, 6));
  return out;
}

// The user of a verified identity: found (display name refreshed) or created.
Result<model::User> signInUser(Services& s, const std::string& provider,
                               const auth::IdTokenClaims& c) {
  auto name = displayNameOf(c);
  auto found = s.meta.userByIdentity(provider, c.subject);
  if (!found.ok()) return found.error();
  if (*found) {
    if (!name || (*found)->displayName == *name) return **found;
    return s.meta.updateUser((*found)->id, name, std::nullopt);
  }
  for (const std::string& username : usernameCandidates(c)) {
    model::User user{randomId(), username, name.value_or(username), std::nullopt};
    auto created = s.meta.createUserWithIdentity(user, store::Identity{provider, c.subject, nowMs()});
    if (created.ok()) return created;
    if (created.error().code == "conflict") {  // a concurrent first sign-in won
      auto again = s.meta.userByIdentity(provider, c.subject);
      if (!again.ok()) return again.error();
      if (*again) return **again;
    }
    if (created.error().code != "username_taken") return created.error();
  }
  return makeError("conflict", "no free username");
}

net::Response providers(Services& s) {
  Json list = Json::array();
  for (const auto& p : s.oidc.providers())
    list.push_back({{"id", p->config().id}, {"name", p->config().name}});
  return jsonResponse(http::status::ok, Json{{"password", true}, {"oidc", list}});
}

net::Response start(Services& s, Call& c) {
  auth::OidcProvider* provider = s.oidc.provider(c.params[0]);
  if (!provider) return errorResponse("not_found", "no such sign-in provider");
  const bool linking = c.query.count("link") && c.query["link"] == "1";
  auth::PendingLogin login;
  login.provider = provider->config().id;
  login.redirect = c.query.count("redirect") ? c.query["redirect"] : linking ? "/settings" : "/";
  if (!auth::isSafeRedirectPath(login.redirect))
    return errorResponse("invalid_redirect", "redirect must be a path on this site");
  // A start may make an account, and each holds memory for 10 minutes: it
  // counts as a signup of this address.
  if (!linking)
    if (int wait = s.signupPerIp.retryAfterSeconds(c.peer.ip, nowMs())) {
      auto res = errorResponse("rate_limited", "too many sign-ins from this address; try later");
      res.set(http::field::retry_after, std::to_string(wait));
      return res;
    }
  if (linking) {
    auto session = sessionOf(s, c.request);
    if (!session.ok()) return errorResponse(session.error());
    if (!*session) return errorResponse("unauthenticated", "sign in to link a provider");
    login.linkUserId = (*session)->user.id;
  }
  if (Status st = provider->discover(); !st.ok()) {
    spdlog::warn("oidc {}: {}", login.provider, st.error().message);
    return refused("provider_unavailable", linking);
  }
  // One binding per browser: a second tab's sign-in keeps the first one's.
  std::string binding = bindingOf(c.request);
  if (binding.empty()) binding = randomToken();
  login.browserHash = sha256Hex(binding);
  login.verifier = randomToken();
  login.nonce = randomToken();
  const std::string verifier = login.verifier, nonce = login.nonce;
  auto state = s.oidc.addPending(std::move(login), nowMs());
  if (!state.ok()) return errorResponse(state.error());
  auto url = provider->authorizeUrl(*state, nonce, verifier, callbackUri(s, c.params[0]));
  if (!url.ok()) return refused("provider_unavailable", linking);
  auto res = redirectTo(*url);
  res.set(http::field::set_cookie, bindingCookie(binding, s.origins.secure(), kBindingSeconds));
  return res;
}

std::string refusalCode(const Error& e) {
  if (e.code == "invalid_token" || e.code == "provider_unavailable") return e.code;
  return "provider_error";
}

net::Response callback(Services& s, Call& c) {
  auth::OidcProvider* provider = s.oidc.provider(c.params[0]);
  if (!provider) return errorResponse("not_found", "no such sign-in provider");
  const std::string id = provider->config().id;
  const std::string binding = bindingOf(c.request);
  auto login = s.oidc.takePending(c.query["state"], binding.empty() ? "" : sha256Hex(binding),
                                  nowMs());
  if (!login.ok() || login->provider != id) {
    spdlog::info("oidc {}: callback refused: {}", id,
                 login.ok() ? "state of another provider" : login.error().message);
    return refused("invalid_state", false);
  }
  const bool linking = !login->linkUserId.empty();
  if (c.query.count("error"))
    return refused(c.query["error"] == "access_denied" ? "access_denied" : "provider_error",
                   linking);
  if (c.query["code"].empty()) return refused("provider_error", linking);
  auto claims = provider->redeem(c.query["code"], *login, callbackUri(s, id), nowMs());
  if (!claims.ok()) {
    spdlog::warn("oidc {}: sign-in refused: {}", id, claims.error().message);
    return refused(refusalCode(claims.error()), linking);
  }
  if (linking) {
    Status st = s.meta.linkIdentity(login->linkUserId, store::Identity{id, claims->subject, nowMs()});
    if (!st.ok() && st.error().code == "conflict") return refused("identity_in_use", true);
    if (!st.ok()) return errorResponse(st.error());
    return redirectTo(login->redirect);
  }
  auto user = signInUser(s, id, *claims);
  if (!user.ok()) return errorResponse(user.error());
  auto cookie = newSessionCookie(s, user->id);
  if (!cookie.ok()) return errorResponse(cookie.error());
  auto res = redirectTo(login->redirect);
  res.set(http::field::set_cookie, *cookie);
  return res;
}

net::Response identities(Services& s, Call& c) {
  auto list = s.meta.identities(c.session->user.id);
  if (!list.ok()) return errorResponse(list.error());
  auto record = s.meta.userByUsername(c.session->user.username);
  if (!record.ok()) return errorResponse(record.error());
  Json items = Json::array();
  for (const auto& i : *list) {
    const auth::OidcProvider* p = s.oidc.provider(i.provider);
    items.push_back({{"provider", i.provider},
                     {"name", p ? p->config().name : i.provider},
                     {"linkedAt", i.createdAt}});
  }
  const bool hasPassword = *record && !(*record)->passwordHash.empty();
  return jsonResponse(http::status::ok, Json{{"items", items}, {"hasPassword", hasPassword}});
}

net::Response unlink(Services& s, Call& c) {
  auto removed = s.meta.unlinkIdentity(c.session->user.id, c.params[0]);
  if (!removed.ok()) return errorResponse(removed.error());
  if (!*removed) return errorResponse("not_found", "that provider is not linked");
  return noContent();
}

}  // namespace

void addOidcRoutes(Router& r, Services& s) {
  r.add(verb::get, "/api/auth/providers", [&s](Call&) { return providers(s); }, false);
  r.add(verb::get, "/api/auth/oidc/:provider/start", [&s](Call& c) { return start(s, c); }, false);
  r.add(verb::get, "/api/auth/oidc/:provider/callback", [&s](Call& c) { return callback(s, c); },
        false);
  r.add(verb::get, "/api/me/identities", [&s](Call& c) { return identities(s, c); });
  r.add(verb::delete_, "/api/me/identities/:provider", [&s](Call& c) { return unlink(s, c); });
}

}  // namespace roomchat::api

#include "support/http_client.h"

#include <algorithm>
#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace roomchat::test {
namespace {

constexpr std::string_view kSessionCookie = "roomchat_session";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::vector<std::string> HttpResponse::headerValues(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) out.push_back(v);
  }
  return out;
}

bool HttpResponse::hasHeader(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& kv) { return iequals(kv.first, name); });
}

std::string HttpResponse::errorCode() const {
  if (json.is_object() && json.contains("error") && json["error"].is_object() &&
      json["error"].contains("code") && json["error"]["code"].is_string()) {
    return json["error"]["code"].get<std::string>();
  }
  return {};
}

bool HttpResponse::isErrorShape() const {
  if (!json.is_object() || json.size() != 1 || !json.contains("error")) return false;
  const auto& e = json["error"];
  return e.is_object() && e.contains("code") && e["code"].is_string() &&
         !e["code"].get<std::string>().empty() && e.contains("message") &&
         e["message"].is_string();
}

std::string HttpResponse::describe() const {
  if (status == 0) return "no response: " + transportError;
  std::string b = body.size() > 600 ? body.substr(0, 600) + "..." : body;
  return std::to_string(status) + " " + b;
}

HttpClient::HttpClient(int port, std::string host) : port_(port), host_(std::move(host)) {}

std::string HttpClient::cookieHeader() const {
  if (!session_) return {};
  return std::string(kSessionCookie) + "=" + *session_;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 const std::optional<std::string>& body,
                                 const Headers& extraHeaders, std::string_view contentType) {
  HttpResponse out;
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;

  auto runOne = [&]() {
    ioc.restart();
    ioc.run();
  };

  tcp::endpoint ep(asio::ip::make_address(host_), static_cast<unsigned short>(port_));
  stream.expires_after(timeout);
  stream.async_connect(ep, [&](beast::error_code e) { ec = e; });
  runOne();
  if (ec) {
    out.transportError = "connect: " + ec.message();
    return out;
  }

  http::request<http::string_body> req;
  req.method_string(std::string(method));
  req.target(std::string(target));
  req.version(11);
  req.set(http::field::host, host_ + ":" + std::to_string(port_));
  req.set(http::field::user_agent, "roomchat-integration-tests");
  req.keep_alive(false);
  bool hasOrigin = false, hasCookie = false;
  for (const auto& [k, v] : extraHeaders) {
    if (iequals(k, "Origin")) hasOrigin = true;
    if (iequals(k, "Cookie")) hasCookie = true;
    req.insert(k, v);
  }
  if (!hasOrigin && origin_) req.set(http::field::origin, *origin_);
  if (!hasCookie && session_) req.set(http::field::cookie, cookieHeader());
  if (body) {
    req.set(http::field::content_type, std::string(contentType));
    req.body() = *body;
  }
  req.prepare_payload();

  stream.expires_after(timeout);
  http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
  runOne();
  // A server may answer early (e.g. 413) and close while the body is still
  // being sent: a failed write is followed by an attempt to read that answer.
  std::string writeError = ec ? "write: " + ec.message() : "";

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  stream.expires_after(timeout);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  runOne();
  if (ec) {
    out.transportError = writeError.empty() ? "read: " + ec.message()
                                            : writeError + ", then read: " + ec.message();
    return out;
  }
  auto res = parser.release();
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  out.body = std::move(res.body());
  out.json = nlohmann::json::parse(out.body, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  absorbCookies(out);
  return out;
}

void HttpClient::absorbCookies(const HttpResponse& res) {
  for (const auto& sc : res.headerValues("Set-Cookie")) {
    auto semi = sc.find(';');
    std::string pair = trim(std::string_view(sc).substr(0, semi));
    auto eq = pair.find('=');
    if (eq == std::string::npos) continue;
    if (trim(pair.substr(0, eq)) != kSessionCookie) continue;
    std::string value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    std::string attrs = semi == std::string::npos ? "" : sc.substr(semi);
    std::string lower = attrs;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    bool expired = value.empty() || lower.find("max-age=0") != std::string::npos ||
                   lower.find("max-age=-") != std::string::npos ||
                   lower.find("1970") != std::string::npos;
    if (expired) {
      session_.reset();
    } else {
      session_ = value;
    }
  }
}

HttpResponse HttpClient::get(std::string_view target, const Headers& extra) {
  return request("GET", target, std::nullopt, extra);
}

HttpResponse HttpClient::del(std::string_view target, const Headers& extra) {
  return request("DELETE", target, std::nullopt, extra);
}

HttpResponse HttpClient::post(std::string_view target, const nlohmann::json& body,
                              const Headers& extra) {
  return request("POST", target, body.dump(), extra);
}

HttpResponse HttpClient::postEmpty(std::string_view target, const Headers& extra) {
  return request("POST", target, std::nullopt, extra);
}

HttpResponse HttpClient::put(std::string_view target, const Headers& extra) {
  return request("PUT", target, std::nullopt, extra);
}

HttpResponse HttpClient::patch(std::string_view target, const nlohmann::json& body,
                               const Headers& extra) {
  return request("PATCH", target, body.dump(), extra);
}

std::string urlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace roomchat::test

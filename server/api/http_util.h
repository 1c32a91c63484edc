// Small helpers shared by the API routes: JSON answers, the contract's error
// shape with its status, query-string parsing and strict parameter checks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "model/types.h"
#include "net/http.h"

namespace roomchat::api {

using Json = nlohmann::json;

// HTTP status of a contract error code ("invalid_name" → 400, "not_found" → 404, ...).
net::http::status statusOf(std::string_view code);

net::Response jsonResponse(net::http::status status, const Json& body);
net::Response errorResponse(const Error& error);
net::Response errorResponse(std::string code, std::string message);
net::Response noContent();

// The query of a request target: what follows its first '?' ("" without one).
std::string_view queryOf(std::string_view target);

// True for a Content-Type of application/json, in any case, with or without
// parameters (charset).
bool isJsonContentType(std::string_view value);

// Splits "a=1&b=x%20y+z" into decoded pairs (the first of a repeated key
// wins; '+' is a space). Percent-decoding is net::decodePath's.
std::map<std::string, std::string> parseQuery(std::string_view query);

// Parses a JSON object body; Error{"bad_request"} when it is not one.
Result<Json> parseJsonBody(std::string_view body);

// An optional integer query parameter within [min, max]; Error
// {"invalid_<name>"} when present but malformed or out of range.
Result<std::optional<int64_t>> intParam(const std::map<std::string, std::string>& query,
                                        const std::string& name, int64_t min, int64_t max);

// ?cursor=&limit= of a keyset list: Error{"invalid_limit"} out of 1..100,
// Error{"invalid_cursor"} for a cursor that does not decode.
struct ListParams {
  std::optional<model::Keyset> after;
  int limit = 20;
};
Result<ListParams> keysetListParams(const std::map<std::string, std::string>& query,
                                    int64_t defaultLimit);

// A string field of a JSON body. Error{"invalid_<name>"} when present with
// another type; nullopt when absent.
Result<std::optional<std::string>> stringField(const Json& body, const std::string& name);

}  // namespace roomchat::api

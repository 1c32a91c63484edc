// Internal to proto: the two guards every JSON text in or out of proto goes
// through. nlohmann's parser is iterative, but dump(), copies and comparisons
// recurse, so a payload's nesting is bounded before it is ever parsed; and
// dump() throws on invalid UTF-8 unless told to replace it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace roomchat::proto {

// Deepest array/object nesting accepted anywhere (the frame object is depth 1).
inline constexpr size_t kMaxJsonDepth = 32;

// False when `text` nests arrays/objects deeper than maxDepth. Exact for valid
// JSON; an upper bound for anything else, which the parser rejects anyway.
bool nestingWithin(std::string_view text, size_t maxDepth = kMaxJsonDepth);

// Compact serialization that never throws: invalid UTF-8 becomes U+FFFD.
std::string dumpSafe(const nlohmann::json& value);

}  // namespace roomchat::proto

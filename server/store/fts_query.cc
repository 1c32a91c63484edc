#include "store/fts_query.h"

namespace roomchat::store {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Appends "word"* for the word starting at input[i]; answers where it ends.
size_t appendTerm(std::string_view input, size_t i, std::string& out) {
  out += '"';
  for (; i < input.size() && !isSpace(input[i]); ++i) {
    if (input[i] == '"') out += '"';
    out += input[i];
  }
  out += "\"*";
  return i;
}

}  // namespace

std::string ftsQuery(std::string_view input) {
  std::string out;
  size_t i = 0;
  while (true) {
    while (i < input.size() && isSpace(input[i])) ++i;
    if (i == input.size()) return out;
    if (!out.empty()) out += ' ';
    i = appendTerm(input, i, out);
  }
}

}  // namespace roomchat::store

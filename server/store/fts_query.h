// ftsQuery turns what a user typed into the search box into an FTS5 MATCH
// expression that FTS5 can never read as syntax: every whitespace-separated
// word becomes a quoted prefix term, "word"*, with its double quotes doubled,
// and the terms are ANDed. Operators (AND, OR, NOT, NEAR), '-', '*', '^',
// parentheses and column filters thus arrive as plain text, and the tokenizer
// splits each word exactly as it split the indexed text (so "epsilon-zeta"
// matches the phrase "epsilon zeta"). A word with no letters or digits yields
// a term with no tokens, which FTS5 ignores. Empty or blank input answers "".
#pragma once

#include <string>
#include <string_view>

namespace roomchat::store {

std::string ftsQuery(std::string_view input);

}  // namespace roomchat::store

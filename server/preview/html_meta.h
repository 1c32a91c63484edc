// Reads a page's preview metadata from its HTML, with gumbo (an HTML5
// parser: the tree is the one a browser would build, however broken the
// markup). The rules are the original service's:
//   title        og:title, else the text of a <title> inside <head>
//   description  og:description, else <meta name="description">
//   image        og:image, resolved against the page's final URL
// For every og:* property the first value in the document wins. Text is
// white-space collapsed, trimmed and capped (kMaxTitleChars,
// kMaxDescriptionChars, counted in code points, never cutting one). An image
// that does not resolve to an http(s) URL passing checkUrl is dropped: the
// client puts it in an <img src>.
//
// Only the first kMaxParsedTags start tags are parsed (see there), and
// parsing allocates from an arena freed at once: gumbo frees its tree
// recursively, which a page of a few hundred thousand nested elements would
// turn into a stack overflow. Pure function, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace roomchat::preview {

inline constexpr size_t kMaxTitleChars = 300;
inline constexpr size_t kMaxDescriptionChars = 1000;
// Only the page up to its 8192nd start tag is parsed: gumbo's time grows with
// the square of the nesting depth, and a hostile page can nest 200,000 deep.
inline constexpr size_t kMaxParsedTags = 8192;

struct PageMeta {
  std::string title;        // "" when the page names none
  std::string description;  // "" when none
  std::optional<std::string> image;
};

PageMeta parseHtmlMeta(std::string_view html, std::string_view finalUrl);

// Runs of white space (and control characters) become one space; the result
// is trimmed and cut to at most maxChars code points.
std::string cleanText(std::string_view raw, size_t maxChars);

}  // namespace roomchat::preview

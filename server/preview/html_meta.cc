#include "preview/html_meta.h"

#include <gumbo.h>

#include <cctype>
#include <cstddef>
#include <map>
#include <memory>
#include <vector>

#include "preview/url_check.h"

namespace roomchat::preview {
namespace {

// A bump allocator for one parse: gumbo's frees are no-ops and the whole tree
// goes with the arena, so gumbo_destroy_output (recursive) is never called.
class Arena {
 public:
  static void* allocate(void* self, size_t n) { return static_cast<Arena*>(self)->take(n); }
  static void release(void*, void*) {}

 private:
  static constexpr size_t kBlockBytes = 256 * 1024;
  static constexpr size_t kAlign = alignof(std::max_align_t);

  void* take(size_t n) {
    n = (n + kAlign - 1) / kAlign * kAlign;
    if (n > kBlockBytes / 4) return newBlock(n);  // large: a block of its own
    if (used_ + n > kBlockBytes || blocks_.empty()) {
      current_ = newBlock(kBlockBytes);
      used_ = 0;
    }
    void* p = current_ + used_;
    used_ += n;
    return p;
  }
  std::byte* newBlock(size_t n) {
    blocks_.push_back(std::make_unique<std::byte[]>(n));
    return blocks_.back().get();
  }

  std::vector<std::unique_ptr<std::byte[]>> blocks_;
  std::byte* current_ = nullptr;
  size_t used_ = 0;
};

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* attribute(const GumboElement& e, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a ? a->value : nullptr;
}

std::string textOf(const GumboElement& e) {
  std::string out;
  for (unsigned i = 0; i < e.children.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(e.children.data[i]);
    if (child->type == GUMBO_NODE_TEXT || child->type == GUMBO_NODE_WHITESPACE)
      out += child->v.text.text;
  }
  return out;
}

// What the walk collects; the first value of each key wins.
struct Found {
  std::map<std::string, std::string> og;  // "og:title" → content
  std::optional<std::string> description;
  std::optional<std::string> headTitle;
};

void visitMeta(const GumboElement& e, Found& found) {
  const char* content = attribute(e, "content");
  if (!content) return;
  if (const char* property = attribute(e, "property"); property && startsWithNoCase(property, "og:"))
    found.og.emplace(lower(property), content);
  if (const char* name = attribute(e, "name"); name && lower(name) == "description" &&
                                                !found.description)
    found.description = content;
}

// Iterative, as deep documents must not cost stack.
void walk(const GumboNode* root, Found& found) {
  std::vector<std::pair<const GumboNode*, bool>> stack{{root, false}};  // node, inside <head>
  while (!stack.empty()) {
    auto [node, inHead] = stack.back();
    stack.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) continue;
    const GumboVector* children = &node->v.document.children;
    if (node->type == GUMBO_NODE_ELEMENT) {
      const GumboElement& e = node->v.element;
      children = &e.children;
      inHead = inHead || e.tag == GUMBO_TAG_HEAD;
      if (e.tag == GUMBO_TAG_META) visitMeta(e, found);
      if (e.tag == GUMBO_TAG_TITLE && inHead && !found.headTitle) found.headTitle = textOf(e);
    }
    // Reversed, so that the document order is the visiting order.
    for (unsigned i = children->length; i-- > 0;)
      stack.emplace_back(static_cast<const GumboNode*>(children->data[i]), inHead);
  }
}

std::optional<std::string> imageUrl(const Found& found, std::string_view finalUrl) {
  auto it = found.og.find("og:image");
  if (it == found.og.end()) return std::nullopt;
  const std::string ref = cleanText(it->second, kMaxUrlLength);
  auto resolved = resolveReference(finalUrl, ref);
  if (!resolved) return std::nullopt;
  auto checked = checkUrl(*resolved);
  return checked.ok() ? std::optional(checked->url) : std::nullopt;
}

// The part of a page gumbo is given: at most kMaxParsedTags start tags.
// Gumbo checks "is an element in scope" by walking the open elements, so a
// page of n nested elements costs n² steps (a 1 MiB page of <div>s: minutes).
// The metadata lives in <head>, well within the cap.
std::string_view parsedPrefix(std::string_view html) {
  size_t tags = 0;
  for (size_t i = 0; i + 1 < html.size(); ++i) {
    if (html[i] != '<' || !std::isalpha(static_cast<unsigned char>(html[i + 1]))) continue;
    if (++tags > kMaxParsedTags) return html.substr(0, i);
  }
  return html;
}

// Bytes in the UTF-8 sequence that `lead` starts (1 for a stray byte).
size_t sequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::string cleanText(std::string_view raw, size_t maxChars) {
  std::string out;
  size_t chars = 0;
  bool pendingSpace = false;
  for (size_t i = 0; i < raw.size() && chars < maxChars;) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c <= 0x20 || c == 0x7F) {
      pendingSpace = !out.empty();
      ++i;
      continue;
    }
    if (pendingSpace) {
      if (chars + 2 > maxChars) break;  // never end on the space
      out += ' ';
      pendingSpace = false;
      ++chars;
    }
    const size_t n = std::min(sequenceLength(c), raw.size() - i);
    out.append(raw.substr(i, n));
    i += n;
    ++chars;
  }
  return out;
}

PageMeta parseHtmlMeta(std::string_view html, std::string_view finalUrl) {
  Arena arena;
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &Arena::allocate;
  options.deallocator = &Arena::release;
  options.userdata = &arena;
  options.max_errors = 0;  // parse errors are not needed: do not record them
  const std::string_view parsed = parsedPrefix(html);
  GumboOutput* output = gumbo_parse_with_options(&options, parsed.data(), parsed.size());
  Found found;
  walk(output->document, found);
  // No gumbo_destroy_output: the arena frees everything on return.

  PageMeta meta;
  auto og = [&](const char* key) {
    auto it = found.og.find(key);
    return it == found.og.end() ? std::optional<std::string>() : std::optional(it->second);
  };
  // An empty og value falls back as a missing one does.
  meta.title = cleanText(og("og:title").value_or(""), kMaxTitleChars);
  if (meta.title.empty()) meta.title = cleanText(found.headTitle.value_or(""), kMaxTitleChars);
  meta.description = cleanText(og("og:description").value_or(""), kMaxDescriptionChars);
  if (meta.description.empty())
    meta.description = cleanText(found.description.value_or(""), kMaxDescriptionChars);
  meta.image = imageUrl(found, finalUrl);
  return meta;
}

}  // namespace roomchat::preview

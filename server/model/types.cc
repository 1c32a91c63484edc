#include "model/types.h"

namespace roomchat::model {

const char* toString(Visibility v) {
  switch (v) {
    case Visibility::kPublic: return "public";
    case Visibility::kUnlisted: return "unlisted";
    case Visibility::kPrivate: return "private";
  }
  return "unlisted";
}

std::optional<Visibility> parseVisibility(std::string_view s) {
  if (s == "public") return Visibility::kPublic;
  if (s == "unlisted") return Visibility::kUnlisted;
  if (s == "private") return Visibility::kPrivate;
  return std::nullopt;
}

const char* toString(Role r) {
  switch (r) {
    case Role::kOwner: return "owner";
    case Role::kMember: return "member";
    case Role::kGuest: return "guest";
    case Role::kNone: return "none";
  }
  return "none";
}

const char* toString(AuthorKind k) {
  switch (k) {
    case AuthorKind::kUser: return "user";
    case AuthorKind::kSystem: return "system";
    case AuthorKind::kBot: return "bot";
  }
  return "user";
}

const char* toString(MessageKind k) { return k == MessageKind::kImage ? "image" : "text"; }

std::optional<MessageKind> parseMessageKind(std::string_view s) {
  if (s == "text") return MessageKind::kText;
  if (s == "image") return MessageKind::kImage;
  return std::nullopt;
}

std::optional<AuthorKind> parseAuthorKind(std::string_view s) {
  if (s == "user") return AuthorKind::kUser;
  if (s == "system") return AuthorKind::kSystem;
  if (s == "bot") return AuthorKind::kBot;
  return std::nullopt;
}

}  // namespace roomchat::model

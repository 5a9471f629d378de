// A compiled GBNF grammar (the grammar format of llama.cpp): rules flattened into one element
// array, character classes as sorted code-point ranges, and the per-position shortest-completion
// lengths that let a sampler steer to a valid end when the token budget runs out.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::grammar {

inline constexpr uint32_t kMaxCodePoint = 0x10FFFF;

struct CharRange {
  uint32_t lo = 0;
  uint32_t hi = 0;  // inclusive
};

enum class ElemType : uint8_t { End, Char, Rule };

// One entry of a flattened alternative. Char: `value` indexes the class table; Rule: `value` is a
// rule id; End closes an alternative.
struct Element {
  ElemType type = ElemType::End;
  uint32_t value = 0;
};

class Grammar {
 public:
  // Parses GBNF text. Throws airlock::Error "grammar line L col C: problem" for syntax errors,
  // undefined rules, left recursion, rules that can never finish, or a missing root rule.
  static std::shared_ptr<const Grammar> parse(std::string_view gbnf, std::string_view root = "root");

  const std::vector<Element>& elements() const { return elements_; }
  // Start positions (into elements()) of each alternative of a rule.
  const std::vector<uint32_t>& alternatives(uint32_t rule) const { return rule_alts_[rule]; }
  uint32_t root() const { return root_; }
  size_t rule_count() const { return rule_alts_.size(); }
  const std::string& rule_name(uint32_t rule) const { return rule_names_[rule]; }

  bool class_contains(uint32_t cls, uint32_t cp) const;
  bool class_intersects(uint32_t cls, uint32_t lo, uint32_t hi) const;
  // Fewest UTF-8 bytes of any code point in the class.
  uint32_t class_min_bytes(uint32_t cls) const { return class_min_bytes_[cls]; }
  // Fewest bytes that finish the alternative from `pos` (the element at pos included).
  uint64_t min_bytes_from(uint32_t pos) const { return suffix_min_[pos]; }

  // Used by the parser; not part of the user-facing API.
  struct Builder;

 private:
  Grammar() = default;
  void finish(Builder& b, std::string_view root);
  void compute_min_lengths();
  void check_left_recursion() const;

  std::vector<Element> elements_;
  std::vector<std::vector<uint32_t>> rule_alts_;
  std::vector<std::string> rule_names_;
  std::vector<std::vector<CharRange>> classes_;
  std::vector<uint32_t> class_min_bytes_;
  std::vector<uint64_t> rule_min_;
  std::vector<uint64_t> suffix_min_;
  uint32_t root_ = 0;
};

// Length of the UTF-8 encoding of a code point.
inline uint32_t utf8_length(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

}  // namespace airlock::grammar

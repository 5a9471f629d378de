// The mutable form of a grammar while it is parsed or generated: named rules, each a list of
// alternatives (element sequences), and a class table. Grammar::finish flattens it.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/grammar.h"

namespace airlock::grammar {

struct Grammar::Builder {
  using Sequence = std::vector<Element>;

  std::vector<std::string> names;
  std::vector<std::vector<Sequence>> alts;
  std::vector<bool> defined;
  std::vector<size_t> first_use;  // source offset of the first reference, for error messages
  std::unordered_map<std::string, uint32_t> ids;
  std::vector<std::vector<CharRange>> classes;

  // Id of a named rule, creating an undefined placeholder on first reference.
  uint32_t rule_id(const std::string& name, size_t use_offset);
  // A fresh rule named after `base` (groups and repetitions), defined by the caller.
  uint32_t anonymous(const std::string& base);
  // Adds a class; ranges are sorted and merged, and complemented over all code points if negated.
  uint32_t add_class(std::vector<CharRange> ranges, bool negated);
  Element char_element(uint32_t cp) { return {ElemType::Char, add_class({{cp, cp}}, false)}; }
};

}  // namespace airlock::grammar

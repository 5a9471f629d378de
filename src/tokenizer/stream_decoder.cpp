#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace airlock::tokenizer {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool special)
    : tok_(tokenizer), special_(special) {}

std::string StreamDecoder::push(int32_t id) {
  pending_ += tok_.token_to_piece(id, special_);
  const size_t hold = utf8_incomplete_tail(pending_);
  std::string ready =
      utf8_replace_invalid(std::string_view(pending_).substr(0, pending_.size() - hold));
  pending_.erase(0, pending_.size() - hold);
  return ready;
}

std::string StreamDecoder::flush() {
  std::string rest = utf8_replace_invalid(pending_);
  pending_.clear();
  return rest;
}

}  // namespace airlock::tokenizer

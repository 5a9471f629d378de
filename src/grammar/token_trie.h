// The vocabulary as a byte trie, built once per model and shared by every constrained request.
// Nodes are stored in depth-first order with the index just past each subtree, so the masking walk
// is a forward scan that skips a whole subtree the moment its prefix cannot continue the output.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace airlock::grammar {

class TokenTrie {
 public:
  struct Node {
    uint8_t byte = 0;
    uint16_t depth = 0;     // 1 for a token's first byte
    uint32_t skip = 0;      // index of the first node after this subtree
    uint32_t tok_begin = 0;  // tokens whose piece ends here: token_ids()[tok_begin, tok_end)
    uint32_t tok_end = 0;
  };

  // pieces[id] holds token id's raw bytes. end_tokens (EOS/EOT) are allowed only once the output
  // is complete; control tokens and empty pieces are never allowed. Throws airlock::Error for
  // out-of-range ids or pieces longer than 65535 bytes.
  TokenTrie(const std::vector<std::string>& pieces, const std::vector<int32_t>& end_tokens,
            const std::vector<int32_t>& control_tokens = {});

  size_t vocab_size() const { return pieces_.size(); }
  const std::string& piece(int32_t id) const { return pieces_[id]; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<int32_t>& token_ids() const { return token_ids_; }
  const std::vector<int32_t>& end_tokens() const { return end_tokens_; }
  bool is_end(int32_t id) const { return id >= 0 && static_cast<size_t>(id) < is_end_.size() && is_end_[id]; }
  // False for end and control tokens and empty pieces: those never stand for output text.
  bool is_text(int32_t id) const { return id >= 0 && static_cast<size_t>(id) < is_text_.size() && is_text_[id]; }
  size_t max_depth() const { return max_depth_; }

 private:
  std::vector<std::string> pieces_;
  std::vector<Node> nodes_;
  std::vector<int32_t> token_ids_;
  std::vector<int32_t> end_tokens_;
  std::vector<bool> is_end_;
  std::vector<bool> is_text_;
  size_t max_depth_ = 0;
};

}  // namespace airlock::grammar

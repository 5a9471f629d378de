#include "vocab_pieces.h"

#include <map>

#include "airlock/error.h"
#include "gguf/gguf.h"

namespace airlock::grammar::testing {
namespace {

// GPT-2 maps every byte to a printable code point: printable Latin-1 bytes to themselves, the rest
// to U+0100 upwards in byte order. This builds the inverse.
std::map<uint32_t, uint8_t> unicode_to_byte() {
  std::map<uint32_t, uint8_t> inv;
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    inv[printable ? b : next++] = static_cast<uint8_t>(b);
  }
  return inv;
}

std::vector<uint32_t> code_points(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    auto b0 = static_cast<uint8_t>(s[i]);
    size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : 4;
    uint32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
    for (size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

}  // namespace

VocabPieces load_vocab_pieces(const std::filesystem::path& path) {
  auto file = gguf::File::open(path);
  const gguf::Value* tokens = file->find("tokenizer.ggml.tokens");
  const gguf::Value* types = file->find("tokenizer.ggml.token_type");
  if (!tokens) throw Error(path.string() + ": no tokenizer.ggml.tokens");
  std::string model = file->get_string("tokenizer.ggml.model").value_or("");
  auto inv = unicode_to_byte();
  VocabPieces v;
  const auto& list = tokens->as_array();
  for (size_t id = 0; id < list.size(); ++id) {
    const std::string& text = list[id].as_string();
    int64_t type = types ? types->as_array().at(id).as_int() : 1;
    if (type == 3 || type == 5) v.control_tokens.push_back(static_cast<int32_t>(id));
    std::string bytes;
    if (model == "gpt2" && type != 3 && type != 4) {
      for (uint32_t cp : code_points(text)) {
        auto it = inv.find(cp);
        if (it == inv.end()) throw Error(path.string() + ": token " + std::to_string(id) + " is not byte-level");
        bytes += static_cast<char>(it->second);
      }
    } else if (model == "llama" && type == 6 && text.size() == 6) {
      bytes = static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16));
    } else if (model == "llama") {
      for (size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 3, "\xe2\x96\x81") == 0) {
          bytes += ' ';
          i += 2;
        } else {
          bytes += text[i];
        }
      }
    } else {
      bytes = text;
    }
    v.pieces.push_back(std::move(bytes));
  }
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"})
    if (auto id = file->get_int(key)) v.end_tokens.push_back(static_cast<int32_t>(*id));
  return v;
}

}  // namespace airlock::grammar::testing

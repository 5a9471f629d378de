// libFuzzer target for the tokenizers. The first byte picks what is fuzzed:
//   0-2: encode the rest as text with a real vocab (SentencePiece, byte-level BPE, WordPiece) read
//        once from the fixtures, then decode the ids and stream them through a StreamDecoder;
//   3:   the rest is a GGUF image whose tokenizer metadata builds the Tokenizer;
//   4-6: the rest is read as token ids (2 bytes each) decoded with the real vocabs.
// Bit 3/4 of the first byte set add_special/parse_special. Without fixtures the vocab modes return
// at once. Anything but a clean airlock::Error is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "airlock/error.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace {

using airlock::tokenizer::DecodeOptions;
using airlock::tokenizer::StreamDecoder;
using airlock::tokenizer::Tokenizer;

std::vector<std::unique_ptr<Tokenizer>> load_vocabs() {
  const char* env = std::getenv("AIRLOCK_FIXTURES");
  const std::filesystem::path dir = std::filesystem::path(env && *env ? env : AIRLOCK_DEFAULT_FIXTURES) / "vocab";
  std::vector<std::unique_ptr<Tokenizer>> out;
  for (const char* name : {"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-bert-bge.gguf"}) {
    if (!std::filesystem::exists(dir / name)) return {};
    out.push_back(Tokenizer::from_gguf(*airlock::gguf::File::open(dir / name)));
  }
  return out;
}

// Everything a caller may do with ids: decode both ways, per-piece lookups, and streaming.
void exercise(const Tokenizer& tok, const std::vector<int32_t>& ids) {
  volatile size_t sink = tok.decode(ids).size() + tok.decode(ids, DecodeOptions{true, false}).size();
  StreamDecoder stream(tok);
  std::string streamed;
  for (int32_t id : ids) {
    sink = sink + tok.token_to_piece(id, false).size() + tok.token_text(id).size() + tok.is_eog(id);
    streamed += stream.push(id);
  }
  streamed += stream.flush();
  (void)sink;
}

void fuzz_text(const Tokenizer& tok, std::string_view text, bool add_special, bool parse_special) {
  std::vector<int32_t> ids = tok.encode(text, add_special, parse_special);
  for (int32_t id : ids)
    if (id < 0 || id >= tok.n_vocab()) __builtin_trap();
  exercise(tok, ids);
}

void fuzz_ids(const Tokenizer& tok, std::string_view bytes) {
  std::vector<int32_t> ids;
  for (size_t k = 0; k + 1 < bytes.size(); k += 2) {
    const auto id = static_cast<int32_t>(static_cast<uint8_t>(bytes[k]) | static_cast<uint8_t>(bytes[k + 1]) << 8);
    ids.push_back(id % tok.n_vocab());
  }
  exercise(tok, ids);
}

void fuzz_gguf(const uint8_t* data, size_t size) {
  auto tok = Tokenizer::from_gguf(*airlock::gguf::File::parse(data, size, "fuzz.gguf"));
  fuzz_text(*tok, "Hello wörld <s> [CLS] \xF0\x9F\x98\x80 \xFF 12345", true, true);
  std::vector<int32_t> ids;
  for (int32_t id = 0; id < tok->n_vocab() && id < 512; ++id) ids.push_back(id);
  exercise(*tok, ids);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::unique_ptr<Tokenizer>> vocabs = load_vocabs();
  if (size == 0) return 0;
  const uint8_t mode = data[0] & 7;
  const bool add_special = data[0] & 8, parse_special = data[0] & 16;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    if (mode == 3) fuzz_gguf(data + 1, size - 1);
    else if (vocabs.empty() || mode == 7) return 0;
    else if (mode < 3) fuzz_text(*vocabs[mode], rest, add_special, parse_special);
    else fuzz_ids(*vocabs[mode - 4], rest);
  } catch (const airlock::Error&) {
  }
  return 0;
}

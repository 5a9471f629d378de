// Text <-> token ids for GGUF models: SentencePiece BPE ("llama"), byte-level BPE ("gpt2") and
// WordPiece ("bert"), everything read from the file's tokenizer.ggml.* metadata. Tokenisation
// follows the reference implementation (llama.cpp) token for token.
//
// Thread safety: a Tokenizer is immutable after from_gguf(); all const methods may be called
// concurrently. A StreamDecoder belongs to one stream.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::gguf {
class File;
}

namespace airlock::tokenizer {

struct Vocab;

struct DecodeOptions {
  // Drop a leading BOS and trailing EOS when the model adds them.
  bool remove_special = false;
  // Render CONTROL/UNKNOWN tokens as their text; when false they decode to nothing.
  bool unparse_special = true;
};

class Tokenizer {
 public:
  // Reads and validates the vocabulary; throws airlock::Error (one line naming the file and the
  // key) on missing or malformed metadata. The File may be closed afterwards.
  static std::unique_ptr<Tokenizer> from_gguf(const gguf::File& file);
  ~Tokenizer();

  // add_special: BOS/EOS (WordPiece: [CLS] ... [SEP]) as the metadata asks.
  // parse_special: recognise the text of CONTROL tokens (e.g. "<|eot_id|>") in `text`; leave it
  // false for user-supplied text. USER_DEFINED tokens are always recognised, as in the reference.
  // Any bytes are accepted. Invalid UTF-8 never throws: SentencePiece encodes such bytes with
  // <0xNN> byte tokens, byte-level BPE first replaces each invalid byte by U+FFFD (as the
  // reference does), WordPiece drops them.
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes a token stands for in text (SentencePiece U+2581 -> space, <0xNN> -> that byte,
  // GPT-2 byte characters -> bytes). CONTROL/UNKNOWN tokens give their text, or "" when
  // special is false. Throws airlock::Error for an id outside [0, n_vocab).
  std::string token_to_piece(int32_t id, bool special = true) const;

  // Concatenated pieces, as the reference's detokenize: when the model prefixes a space to
  // text (SentencePiece), the first token's leading space is removed unless a BOS was
  // dropped by remove_special; vocabs that ask for it get " ," " ." " 's" etc. cleaned up. The
  // result is raw bytes and may hold invalid UTF-8 (use StreamDecoder for display text).
  std::string decode(std::span<const int32_t> ids, DecodeOptions options = {}) const;

  int32_t n_vocab() const;
  int32_t bos() const;  // -1 when the model has none; [CLS] for WordPiece
  int32_t eos() const;
  int32_t eot() const;
  int32_t unk() const;
  int32_t sep() const;
  int32_t pad() const;
  bool add_bos() const;
  bool add_eos() const;
  // End of generation: eos, eot, eom and the usual end-of-turn markers the vocab contains.
  bool is_eog(int32_t id) const;
  bool is_control(int32_t id) const;

  // token_to_piece(id) for every token, cached (what the grammar engine matches against).
  const std::string& token_text(int32_t id) const;
  // The token's string exactly as stored in the vocab.
  const std::string& vocab_text(int32_t id) const;

  std::string_view model() const;  // tokenizer.ggml.model
  std::string_view pre() const;    // tokenizer.ggml.pre, "default" when absent

 private:
  Tokenizer();
  void check_id(int32_t id) const;
  std::string make_piece(int32_t id) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Turns a stream of generated tokens into valid UTF-8 text chunk by chunk: bytes of a
// character split across tokens (emoji, CJK with byte fallback) are held back until the
// character is complete, so no chunk ever ends in half a character. Bytes that can never
// form a character are emitted as U+FFFD, one per maximal invalid subsequence (the Unicode
// "maximal subpart" practice, as Python's errors="replace"). No leading space is stripped:
// a stream continues text.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool special = true);

  // The text that became complete with this token (possibly empty).
  std::string push(int32_t id);
  // Whatever is still held back (an incomplete sequence at the end of the stream) as U+FFFD;
  // the decoder is empty afterwards.
  std::string flush();

 private:
  const Tokenizer& tok_;
  bool special_;
  std::string pending_;
};

}  // namespace airlock::tokenizer

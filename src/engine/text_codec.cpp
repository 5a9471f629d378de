#include "engine/text_codec.h"

#include "tokenizer/tokenizer.h"

namespace airlock::engine {

struct TextCodec::Impl {
  std::unique_ptr<tokenizer::Tokenizer> tok;
};

TextCodec::TextCodec(const gguf::File& file) : impl_(std::make_unique<Impl>()) {
  impl_->tok = tokenizer::Tokenizer::from_gguf(file);
}

TextCodec::~TextCodec() = default;

std::vector<int32_t> TextCodec::encode(std::string_view text, bool add_special, bool parse_special) const {
  return impl_->tok->encode(text, add_special, parse_special);
}

std::string TextCodec::decode(std::span<const int32_t> tokens) const { return impl_->tok->decode(tokens); }

bool TextCodec::is_end(int32_t token) const { return impl_->tok->is_eog(token); }
int32_t TextCodec::bos() const { return impl_->tok->bos(); }
int32_t TextCodec::eos() const { return impl_->tok->eos(); }

TokenText TextCodec::stream() const { return token_text(*impl_->tok); }

TokenText token_text(const tokenizer::Tokenizer& tok) {
  // The decoder is shared by the callbacks and lives as long as any of them. Control tokens a
  // model emits mid-text (a stray BOS) are not shown, as llama.cpp's CLI and Ollama do.
  auto decoder = std::make_shared<tokenizer::StreamDecoder>(tok, /*special=*/false);
  const tokenizer::Tokenizer* t = &tok;
  return {.is_end = [t](int32_t id) { return t->is_eog(id); },
          .piece = [decoder](int32_t id) { return decoder->push(id); },
          .finish = [decoder] { return decoder->flush(); }};
}

VocabPieces TextCodec::vocab_pieces() const { return engine::vocab_pieces(*impl_->tok); }
const tokenizer::Tokenizer& TextCodec::tokenizer() const { return *impl_->tok; }

VocabPieces vocab_pieces(const tokenizer::Tokenizer& tok) {
  VocabPieces v;
  v.pieces.reserve(static_cast<size_t>(tok.n_vocab()));
  for (int32_t id = 0; id < tok.n_vocab(); ++id) {
    v.pieces.push_back(tok.token_text(id));
    if (tok.is_eog(id)) v.end_tokens.push_back(id);
    else if (tok.is_control(id)) v.control_tokens.push_back(id);
  }
  return v;
}

}  // namespace airlock::engine

#include "tokenizer/tokenizer.h"

#include <airlock/error.h>

#include <algorithm>
#include <cstdio>

#include "gguf/gguf.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_unicode.h"
#include "tokenizer/special_split.h"
#include "tokenizer/spm.h"
#include "tokenizer/vocab.h"
#include "tokenizer/wordpiece.h"

namespace airlock::tokenizer {

struct Tokenizer::Impl {
  Vocab vocab;
  std::unique_ptr<SpmTokenizer> spm;
  std::unique_ptr<BpeTokenizer> bpe;
  std::unique_ptr<WordPieceTokenizer> wpm;
  std::vector<std::string> pieces;  // token_to_piece(id, true) of every token
};

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const gguf::File& file) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  Impl& im = *t->impl_;
  im.vocab = load_vocab(file);
  switch (im.vocab.kind) {
    case ModelKind::SPM:
      im.spm = std::make_unique<SpmTokenizer>(im.vocab);
      break;
    case ModelKind::BPE:
      im.bpe = std::make_unique<BpeTokenizer>(im.vocab, file);
      break;
    case ModelKind::WPM:
      im.wpm = std::make_unique<WordPieceTokenizer>(im.vocab);
      break;
  }
  im.pieces.reserve(im.vocab.text.size());
  for (int32_t id = 0; id < im.vocab.size(); ++id) im.pieces.push_back(t->make_piece(id));
  return t;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  const Vocab& v = impl_->vocab;
  std::vector<int32_t> out;
  const std::vector<Fragment> frags = split_special(v, text, parse_special);
  switch (v.kind) {
    case ModelKind::SPM: {
      if (add_special && v.add_bos) out.push_back(v.bos);
      // SentencePiece sees a space before the text and after every special token.
      bool after_special = true;
      for (const Fragment& f : frags) {
        if (f.token >= 0) {
          out.push_back(f.token);
          after_special = true;
          continue;
        }
        std::string piece = v.add_space_prefix && after_special ? " " : "";
        piece += f.text;
        impl_->spm->encode(escape_spaces(piece), out);
        after_special = false;
      }
      if (add_special && v.add_eos) out.push_back(v.eos);
      break;
    }
    case ModelKind::BPE:
      if (add_special && v.add_bos) out.push_back(v.bos);
      for (const Fragment& f : frags) {
        if (f.token >= 0)
          out.push_back(f.token);
        else
          impl_->bpe->encode(f.text, out);
      }
      if (add_special && v.add_eos) out.push_back(v.eos);
      break;
    case ModelKind::WPM:
      if (add_special && v.bos >= 0) out.push_back(v.bos);
      for (const Fragment& f : frags) {
        if (f.token >= 0)
          out.push_back(f.token);
        else
          impl_->wpm->encode(f.text, out);
      }
      if (add_special && v.sep >= 0) out.push_back(v.sep);
      break;
  }
  return out;
}

void Tokenizer::check_id(int32_t id) const {
  if (!impl_->vocab.valid(id))
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                std::to_string(impl_->vocab.size()) + ")");
}

std::string Tokenizer::make_piece(int32_t id) const {
  const Vocab& v = impl_->vocab;
  const std::string& text = v.text[id];
  const uint32_t attr = v.attr[id];
  if (attr & (kAttrControl | kAttrUnknown | kAttrUserDefined)) return text;
  switch (v.kind) {
    case ModelKind::SPM:
    case ModelKind::WPM:
      if (attr & kAttrByte) {
        // "<0xNN>"; anything else is a malformed byte token and decodes to nothing.
        unsigned byte = 0;
        if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>' &&
            std::sscanf(text.c_str() + 3, "%2x", &byte) == 1)
          return std::string(1, static_cast<char>(byte));
        return {};
      }
      if (attr & kAttrNormal) {
        std::string out;
        for (size_t i = 0; i < text.size(); ++i) {
          if (text.compare(i, 3, "\xe2\x96\x81") == 0) {
            out += ' ';
            i += 2;
          } else {
            out += text[i];
          }
        }
        return out;
      }
      return {};
    case ModelKind::BPE:
      if (attr & kAttrNormal) return unicode_to_bytes(text);
      return {};
  }
  return {};
}

std::string Tokenizer::token_to_piece(int32_t id, bool special) const {
  check_id(id);
  if (!special && (impl_->vocab.attr[id] & (kAttrControl | kAttrUnknown))) return {};
  return impl_->pieces[id];
}

const std::string& Tokenizer::token_text(int32_t id) const {
  check_id(id);
  return impl_->pieces[id];
}

const std::string& Tokenizer::vocab_text(int32_t id) const {
  check_id(id);
  return impl_->vocab.text[id];
}

namespace {

// The reference's clean-up of tokenizer-inserted spaces: " ?" " !" " ." " ," lose the space,
// a lone " ' " becomes "'", and " 's" " 'm" " 're" " 've" lose the space.
std::string clean_spaces(const std::string& in) {
  std::string a;
  for (size_t i = 0; i < in.size(); ++i) {
    const char x = in[i];
    if (i > 0 && in[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) a.pop_back();
    a += x;
  }
  std::string b;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i];
    if (i > 0 && x == '\'' && i + 1 < a.size() && a[i - 1] == ' ' && a[i + 1] == ' ') {
      b.pop_back();
      b += x;
      ++i;  // drop the space after it
      continue;
    }
    b += x;
  }
  std::string c;
  for (size_t i = 0; i < b.size(); ++i) {
    const char x = b[i];
    if (i > 0 && b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
      const char x1 = b[i + 1];
      const char x2 = i + 2 < b.size() ? b[i + 2] : '\0';
      if (x1 == 's' || x1 == 'm' || (x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e'))
        c.pop_back();
    }
    c += x;
  }
  return c;
}

}  // namespace

std::string Tokenizer::decode(std::span<const int32_t> ids, DecodeOptions opt) const {
  const Vocab& v = impl_->vocab;
  for (int32_t id : ids) check_id(id);
  bool remove_space = v.add_space_prefix;
  if (opt.remove_special && v.add_bos && !ids.empty() && ids.front() == v.bos) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (opt.remove_special && v.add_eos && !ids.empty() && ids.back() == v.eos)
    ids = ids.first(ids.size() - 1);
  std::string out;
  for (int32_t id : ids) {
    std::string_view piece = impl_->pieces[id];
    if (!opt.unparse_special && (v.attr[id] & (kAttrControl | kAttrUnknown))) piece = {};
    if (remove_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    remove_space = false;
    out += piece;
  }
  return v.clean_spaces ? clean_spaces(out) : out;
}

int32_t Tokenizer::n_vocab() const { return impl_->vocab.size(); }
int32_t Tokenizer::bos() const { return impl_->vocab.bos; }
int32_t Tokenizer::eos() const { return impl_->vocab.eos; }
int32_t Tokenizer::eot() const { return impl_->vocab.eot; }
int32_t Tokenizer::unk() const { return impl_->vocab.unk; }
int32_t Tokenizer::sep() const { return impl_->vocab.sep; }
int32_t Tokenizer::pad() const { return impl_->vocab.pad; }
bool Tokenizer::add_bos() const { return impl_->vocab.add_bos; }
bool Tokenizer::add_eos() const { return impl_->vocab.add_eos; }
bool Tokenizer::is_eog(int32_t id) const {
  return std::binary_search(impl_->vocab.eog.begin(), impl_->vocab.eog.end(), id);
}
bool Tokenizer::is_control(int32_t id) const {
  return impl_->vocab.valid(id) && (impl_->vocab.attr[id] & kAttrControl);
}
std::string_view Tokenizer::model() const { return impl_->vocab.model; }
std::string_view Tokenizer::pre() const { return impl_->vocab.pre; }

}  // namespace airlock::tokenizer

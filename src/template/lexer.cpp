#include "template/lexer.h"

#include <airlock/error.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/utf8.h"
#include "template/strings.h"

namespace airlock::tmpl {
namespace {

[[noreturn]] void fail(int line, const std::string& msg) {
  throw Error("template line " + std::to_string(line) + ": " + msg);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Lexer {
 public:
  Lexer(const std::string& src, const LexOptions& opt) : src_(src), opt_(opt) {}

  std::vector<Token> run() {
    // What the previous tag's end asks of the following text: strip all leading whitespace
    // (`-%}`), or drop one newline (trim_blocks after a block/comment tag).
    bool strip_next = false, trim_next = false;
    bool line_starting = true;
    while (pos_ < src_.size()) {
      size_t tag = find_tag(pos_);
      std::string text = src_.substr(pos_, tag - pos_);
      int text_line = line_;
      line_ += count_newlines(pos_, tag);
      if (strip_next) {
        size_t k = 0;
        while (k < text.size() && is_space(text[k])) ++k;
        line_starting = k > 0 && text[k - 1] == '\n';
        text.erase(0, k);
      } else if (trim_next && !text.empty() && text[0] == '\n') {
        text.erase(0, 1);
        line_starting = true;
      }
      if (tag == src_.size()) {
        emit_text(text, text_line);
        pos_ = tag;
        break;
      }
      char kind = src_[tag + 1];
      char ctl = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (ctl == '-') {
        size_t k = text.size();
        while (k > 0 && is_space(text[k - 1])) --k;
        text.resize(k);
      } else if (ctl != '+' && opt_.lstrip_blocks && kind != '{') {
        size_t l_pos = text.rfind('\n');
        l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
        if (l_pos > 0 || line_starting) {
          bool only_ws = true;
          for (size_t k = l_pos; k < text.size(); ++k)
            if (text[k] != ' ' && text[k] != '\t' && text[k] != '\r' && text[k] != '\f' && text[k] != '\v')
              only_ws = false;
          if (only_ws) text.resize(l_pos);
        }
      }
      emit_text(text, text_line);
      pos_ = tag + 2 + ((ctl == '-' || ctl == '+') ? 1 : 0);
      line_ += count_newlines(tag, pos_);
      if (kind == '#') {
        size_t end = src_.find("#}", pos_);
        if (end == std::string::npos) fail(line_, "unterminated comment");
        bool minus = end > pos_ && src_[end - 1] == '-';
        bool plus = end > pos_ && src_[end - 1] == '+';
        line_ += count_newlines(pos_, end);
        pos_ = end + 2;
        strip_next = minus;
        trim_next = !minus && !plus && opt_.trim_blocks;
      } else {
        bool block = kind == '%';
        push(block ? Tok::BlockBegin : Tok::VarBegin, "");
        char end_ctl = lex_tag(block);
        strip_next = end_ctl == '-';
        trim_next = block && end_ctl != '+' && end_ctl != '-' && opt_.trim_blocks;
      }
      line_starting = false;
    }
    push(Tok::Eof, "");
    return std::move(out_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t k = from; k + 1 < src_.size(); ++k)
      if (src_[k] == '{' && (src_[k + 1] == '{' || src_[k + 1] == '%' || src_[k + 1] == '#')) return k;
    return src_.size();
  }

  int count_newlines(size_t a, size_t b) const {
    int n = 0;
    for (size_t k = a; k < b && k < src_.size(); ++k) n += src_[k] == '\n';
    return n;
  }

  void emit_text(const std::string& text, int line) {
    if (text.empty()) return;
    Token t;
    t.type = Tok::Text;
    t.text = text;
    t.line = line;
    out_.push_back(std::move(t));
  }

  void push(Tok type, std::string text) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    t.line = line_;
    out_.push_back(std::move(t));
  }

  // Tokenises the inside of a {{ }} or {% %} tag up to and including its end marker; returns the
  // whitespace-control character before the marker ('-', '+' or '\0').
  char lex_tag(bool block) {
    const char* close = block ? "%}" : "}}";
    brackets_.clear();
    while (true) {
      while (pos_ < src_.size() && is_space(src_[pos_])) {
        line_ += src_[pos_] == '\n';
        ++pos_;
      }
      if (pos_ >= src_.size()) fail(line_, block ? "unterminated '{%' tag" : "unterminated '{{' tag");
      // As in Jinja, `}}` closes the tag only outside brackets: {{ {'a': {'b': 1}} }} is valid.
      if (!brackets_.empty()) {
        lex_one();
        continue;
      }
      if (src_.compare(pos_, 2, close) == 0) {
        pos_ += 2;
        push(block ? Tok::BlockEnd : Tok::VarEnd, "");
        return '\0';
      }
      if ((src_[pos_] == '-' || (block && src_[pos_] == '+')) && src_.compare(pos_ + 1, 2, close) == 0) {
        char c = src_[pos_];
        pos_ += 3;
        push(block ? Tok::BlockEnd : Tok::VarEnd, "");
        return c;
      }
      lex_one();
    }
  }

  void lex_one() {
    char c = src_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t b = pos_;
      while (pos_ < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) ++pos_;
      push(Tok::Name, src_.substr(b, pos_ - b));
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      lex_number();
      return;
    }
    if (c == '\'' || c == '"') {
      lex_string(c);
      return;
    }
    static const char* two[] = {"**", "//", "==", "!=", "<=", ">="};
    for (const char* op : two)
      if (src_.compare(pos_, 2, op) == 0) {
        pos_ += 2;
        push(Tok::Op, op);
        return;
      }
    if (std::strchr("+-*/%~<>=()[]{},.:|", c)) {
      ++pos_;
      if (c == '(' || c == '[' || c == '{') {
        if (brackets_.size() >= 1000) fail(line_, "brackets nested too deeply");
        brackets_.push_back(c);
      } else if (c == ')' || c == ']' || c == '}') {
        char open = c == ')' ? '(' : c == ']' ? '[' : '{';
        if (brackets_.empty() || brackets_.back() != open) fail(line_, std::string("unexpected '") + c + "'");
        brackets_.pop_back();
      }
      push(Tok::Op, std::string(1, c));
      return;
    }
    fail(line_, std::string("unexpected character '") + c + "' in tag");
  }

  void lex_number() {
    size_t b = pos_;
    bool is_float = false;
    auto digits = [&] {
      while (pos_ < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) ++pos_;
    };
    digits();
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))) {
      is_float = true;
      ++pos_;
      digits();
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t save = pos_++;
      if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-')) ++pos_;
      if (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) {
        is_float = true;
        digits();
      } else {
        pos_ = save;
      }
    }
    std::string num;
    for (size_t k = b; k < pos_; ++k)
      if (src_[k] != '_') num += src_[k];
    Token t;
    t.line = line_;
    t.text = num;
    if (is_float) {
      t.type = Tok::Float;
      t.f = std::strtod(num.c_str(), nullptr);
    } else {
      t.type = Tok::Int;
      errno = 0;
      t.i = std::strtoll(num.c_str(), nullptr, 10);
      if (errno == ERANGE) fail(line_, "integer literal " + num + " is out of range");
    }
    out_.push_back(std::move(t));
  }

  void lex_string(char quote) {
    int start_line = line_;
    ++pos_;
    std::string s;
    while (true) {
      if (pos_ >= src_.size()) fail(start_line, "unterminated string literal");
      char c = src_[pos_++];
      if (c == quote) break;
      if (c == '\n') ++line_;
      if (c != '\\') {
        s += c;
        continue;
      }
      if (pos_ >= src_.size()) fail(start_line, "unterminated string literal");
      char e = src_[pos_++];
      switch (e) {
        case 'n': s += '\n'; break;
        case 't': s += '\t'; break;
        case 'r': s += '\r'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'v': s += '\v'; break;
        case '0': s += '\0'; break;
        case '\\': s += '\\'; break;
        case '\'': s += '\''; break;
        case '"': s += '"'; break;
        case '\n': ++line_; break;  // backslash-newline continues the line
        case 'x':
        case 'u':
        case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (pos_ + n > src_.size()) fail(line_, "truncated \\" + std::string(1, e) + " escape");
          uint32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            char h = src_[pos_ + k];
            if (!std::isxdigit(static_cast<unsigned char>(h))) fail(line_, "bad \\" + std::string(1, e) + " escape");
            cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          if (cp > 0x10FFFF) fail(line_, "escape beyond U+10FFFF");
          pos_ += n;
          append_utf8(s, cp);
          break;
        }
        default:
          s += '\\';
          s += e;
      }
    }
    Token t;
    t.type = Tok::String;
    t.text = std::move(s);
    t.line = start_line;
    out_.push_back(std::move(t));
  }

  const std::string& src_;
  LexOptions opt_;
  size_t pos_ = 0;
  int line_ = 1;
  std::vector<Token> out_;
  std::vector<char> brackets_;  // open brackets inside the current tag
};

}  // namespace

std::vector<Token> lex(const std::string& source, const LexOptions& opt) {
  // Jinja normalises \r\n and \r to \n and drops one trailing newline (keep_trailing_newline off).
  std::string src;
  src.reserve(source.size());
  for (size_t k = 0; k < source.size(); ++k) {
    if (source[k] == '\r') {
      src += '\n';
      if (k + 1 < source.size() && source[k + 1] == '\n') ++k;
    } else {
      src += source[k];
    }
  }
  if (!src.empty() && src.back() == '\n') src.pop_back();
  return Lexer(src, opt).run();
}

}  // namespace airlock::tmpl

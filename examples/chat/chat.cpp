// A chat on a GGUF model with libairlock. Each line read from stdin is a user turn; the whole
// conversation is rendered and generated on one Session, whose KV cache keeps what earlier turns
// already evaluated, and the answer streams to stdout as it is generated.
//   chat MODEL.gguf                 interactive; an empty line or the end of input quits
//   chat MODEL.gguf --once "Hi"     one question, one answer
#include <airlock/airlock.h>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Generates the assistant's next turn, streaming it to stdout, and returns its text.
std::string answer(const airlock::Model& model, airlock::Session& session,
                   const std::vector<airlock::ChatMessage>& messages) {
  airlock::GenerateOptions opts;
  opts.num_predict = 512;  // bounds a model that never ends its turn
  // The model's own chat template (ChatML when it has none), BOS added once.
  const auto tokens = model.tokenize_prompt(model.render_chat(messages));
  const auto result = session.generate(tokens, opts, [](std::string_view piece) {
    std::cout << piece << std::flush;
    return true;
  });
  std::cout << "\n";
  return result.text;
}

}  // namespace

int main(int argc, char** argv) {
  const bool once = argc == 4 && std::string_view(argv[2]) == "--once";
  if (argc != 2 && !once) {
    std::cerr << "usage: chat MODEL.gguf [--once QUESTION]\n";
    return 2;
  }
  try {
    const auto model = airlock::Model::load(argv[1]);
    const auto session = model->new_session();
    std::vector<airlock::ChatMessage> messages{{"system", "You are a helpful assistant."}};
    if (once) {
      messages.push_back({"user", argv[3]});
      answer(*model, *session, messages);
      return 0;
    }
    std::string line;
    while (std::cout << "> " << std::flush && std::getline(std::cin, line) && !line.empty()) {
      messages.push_back({"user", line});
      messages.push_back({"assistant", answer(*model, *session, messages)});
    }
  } catch (const airlock::Error& e) {
    std::cerr << "chat: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

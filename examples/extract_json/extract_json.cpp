// Structured extraction with libairlock: the answer is constrained by a JSON Schema
// (GenerateOptions::format), so only tokens that keep it valid for the schema are sampled. The
// result is parsed before it is printed.
//   extract_json MODEL.gguf SCHEMA.json "text to extract from"
#include <airlock/airlock.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: extract_json MODEL.gguf SCHEMA.json TEXT\n";
    return 2;
  }
  std::ifstream file(argv[2]);
  std::stringstream schema;
  schema << file.rdbuf();
  if (!file) {
    std::cerr << "extract_json: cannot read " << argv[2] << "\n";
    return 1;
  }
  try {
    const auto model = airlock::Model::load(argv[1]);
    airlock::GenerateOptions opts;
    opts.format = schema.str();
    opts.sampling.temperature = 0;  // extraction wants the most likely answer, not variety
    // A cut answer is still valid: it is closed on the shortest path (done_reason "length").
    opts.num_predict = 256;
    model->compile_constraint("", opts.format);  // a bad schema fails here, before generating

    const std::string prompt = std::string("Extract the data from this text as JSON.\nText: ") +
                               argv[3] + "\nJSON: ";
    const auto result = model->new_session()->generate(prompt, opts, [](std::string_view) {
      return true;
    });
    std::cout << nlohmann::json::parse(result.text).dump(2) << "\n";
    if (result.done_reason == "length") std::cerr << "extract_json: answer cut at 256 tokens\n";
  } catch (const airlock::Error& e) {
    std::cerr << "extract_json: " << e.what() << "\n";
    return 1;
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "extract_json: the answer is not JSON: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

#include "schema_corpus.h"

#include <fstream>

#include "airlock/error.h"

namespace airlock::testing {

std::vector<std::string> load_schema_corpus() {
  std::ifstream in(AIRLOCK_SCHEMA_CORPUS);
  if (!in) throw Error(std::string(AIRLOCK_SCHEMA_CORPUS) + ": cannot read");
  std::vector<std::string> schemas;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) schemas.push_back(line);
  return schemas;
}

}  // namespace airlock::testing

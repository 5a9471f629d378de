// `--validate` for import and bundle import: a store::ValidateHook that loads the candidate with
// the engine and runs it briefly before its tag is switched, so a model the engine cannot run
// never replaces a working version.
#pragma once
#include "store/store.h"

namespace airlock::cli {

// Generation models: greedy-generates a few tokens from a short prompt; embedding models: embeds
// a sentence. Throws airlock::Error "NAME: validation failed: REASON" when loading or running
// fails or the output is not finite.
store::ValidateHook engine_validator();

}  // namespace airlock::cli

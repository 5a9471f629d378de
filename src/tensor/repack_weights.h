// Packed copies of a model's matrices, made once at load (see repack.h for the layouts).
#pragma once
#include <memory>
#include <span>

#include "tensor/cpu_path.h"
#include "tensor/matmul.h"

namespace airlock {

class ThreadPool;

// Packs every view whose type has a layout for `path` and that has at least kRepackRows rows into
// one 64-byte aligned buffer, and points the view's packed fields into it. Runs on `pool` (null:
// the calling thread). Returns the buffer (keep it alive as long as the views), or null when no
// view was packed.
std::shared_ptr<const void> pack_weights(std::span<WeightView* const> views, CpuPath path, ThreadPool* pool);

}  // namespace airlock

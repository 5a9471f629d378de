#include "store/quantize.h"

#include <airlock/error.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "gguf/file_type.h"
#include "gguf/gguf.h"
#include "gguf/writer.h"
#include "store/imatrix.h"
#include "tensor/cpu_path.h"
#include "tensor/quant_plan.h"
#include "tensor/thread_pool.h"
#include "tensor/type_traits.h"

namespace airlock::store {

namespace {
// Query heads per kv head, which the Q2_K rules look at; 1 when the metadata does not say.
int64_t gqa_of(const gguf::File& f) {
  const std::string arch = f.architecture();
  auto heads = f.get_int(arch + ".attention.head_count");
  auto kv_heads = f.get_int(arch + ".attention.head_count_kv");
  if (!heads || !kv_heads || *kv_heads <= 0 || *heads < *kv_heads) return 1;
  return *heads / *kv_heads;
}

// The importance-matrix row for a tensor that is being converted, or nullptr to quantize it
// without one, following llama-quantize: no entry, or a type whose quantizer takes none.
const float* importances_for(const ImportanceMatrix* im, const gguf::TensorInfo& t, TensorType to) {
  if (!im) return nullptr;
  const auto it = im->entries.find(t.name);
  if (it == im->entries.end()) return nullptr;
  // One importance per column, per expert for stacked expert matrices.
  if (it->second.size() != static_cast<size_t>(t.ne[0] * t.ne[2])) {
    if (t.name == "token_embd.weight") return nullptr;
    throw Error("quantize: the importance matrix has " + std::to_string(it->second.size()) + " values for " +
                t.name + ", which needs " + std::to_string(t.ne[0] * t.ne[2]) +
                "; was it computed for another model?");
  }
  return from_float_weighted(to) ? it->second.data() : nullptr;
}

void record_imatrix(const ImportanceMatrix& im, const std::filesystem::path& file, std::vector<gguf::KeyValue>& meta) {
  meta.push_back({"quantize.imatrix.file", gguf::Value::of_string(file.string())});
  if (!im.dataset.empty()) meta.push_back({"quantize.imatrix.dataset", gguf::Value::of_string(im.dataset)});
  meta.push_back({"quantize.imatrix.entries_count", gguf::Value::of_i32(static_cast<int32_t>(im.entries.size()))});
  meta.push_back({"quantize.imatrix.chunks_count", gguf::Value::of_i32(im.chunks)});
}

}  // namespace

void quantize_gguf(const std::filesystem::path& src, const std::filesystem::path& dst, std::string_view file_type,
                   const QuantizeOptions& options) {
  const FileType* ft = nullptr;
  try {
    ft = &find_file_type(file_type);
  } catch (const Error& e) {
    throw Error(std::string("quantize: ") + e.what());
  }
  std::optional<ImportanceMatrix> imatrix;
  if (!options.imatrix.empty()) imatrix = load_imatrix(options.imatrix);
  const ImportanceMatrix* im = imatrix ? &*imatrix : nullptr;
  auto f = gguf::File::open(src);
  std::vector<TensorShape> shapes;
  for (const auto& t : f->tensors()) {
    if (t.n_dims >= 2 && type_traits(t.type).quantized)
      throw Error(src.string() + ": tensor " + t.name + " is already " + type_name(t.type) +
                  "; quantize from an F16/F32 model");
    shapes.push_back({t.name, t.ne, t.n_dims, t.type});
  }
  const std::vector<TensorType> types = plan_types(*ft, shapes, gqa_of(*f), im != nullptr);
  std::vector<const float*> importances(types.size(), nullptr);
  size_t to_convert = 0;
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i] == shapes[i].type) continue;  // copied as it is
    ++to_convert;
    if (!type_traits(types[i]).from_float && !from_float_weighted(types[i]))
      throw Error("quantize: airlock cannot write " + std::string(type_name(types[i])) + " tensors, which " +
                  ft->name + " needs");
    // Integer tensors (i8..i64) have no float values to quantize.
    if (!type_traits(shapes[i].type).to_float)
      throw Error(src.string() + ": tensor " + shapes[i].name + " is " + type_name(shapes[i].type) +
                  ", which cannot be converted to " + type_name(types[i]));
    importances[i] = importances_for(im, f->tensors()[i], types[i]);
    // As llama-quantize: the 2-bit types are not written without importances.
    if (needs_importances(*ft, shapes[i].name, types[i]) && !importances[i])
      throw Error("quantize: " + ft->name + " needs an importance matrix (--imatrix) with an entry for " +
                  shapes[i].name + ", which becomes " + type_name(types[i]));
  }

  std::vector<gguf::KeyValue> meta;
  for (const auto& kv : f->metadata())
    if (kv.key != "general.file_type" && kv.key.rfind("split.", 0) != 0 && kv.key != "general.quantization_version")
      meta.push_back(kv);
  meta.push_back({"general.quantization_version", gguf::Value::of_u32(2)});
  meta.push_back({"general.file_type", gguf::Value::of_u32(ft->ftype_id)});
  if (im) record_imatrix(*im, options.imatrix, meta);

  ThreadPool pool(options.threads);
  const CpuPath path = active_cpu_path();  // SIMD conversions give the same floats and blocks, faster
  std::vector<gguf::TensorToWrite> out;
  size_t converted = 0;
  for (size_t i = 0; i < f->tensors().size(); ++i) {
    const gguf::TensorInfo& t = f->tensors()[i];
    gguf::TensorToWrite w;
    w.name = t.name;
    w.dims.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
    w.type = types[i];
    if (w.type == t.type) {
      w.data = std::span<const uint8_t>(t.data, t.nbytes);
    } else {
      const gguf::TensorInfo* ti = &t;
      TensorType to = w.type;
      const float* qw = importances[i];
      w.fill = [ti, to, qw, path, &pool, &options, &converted, to_convert](const gguf::ByteSink& sink) {
        const ToFloatFn to_float = to_float_kernel(type_traits(ti->type), path);
        const FromFloatFn from_float = from_float_kernel(type_traits(to), path);
        const FromFloatWeightedFn weighted = from_float_weighted(to);
        const int64_t row = ti->ne[0];
        const size_t in_row = *row_bytes(ti->type, row), out_row = *row_bytes(to, row);
        const int64_t batch = std::max<int64_t>(1, (4 << 20) / row);  // about 16 MB of floats at a time
        std::vector<float> floats(static_cast<size_t>(batch * row));
        std::vector<uint8_t> bytes(static_cast<size_t>(batch) * out_row);
        for (int64_t r = 0; r < ti->rows(); r += batch) {
          const int64_t n = std::min(batch, ti->rows() - r);
          // Rows are independent, so how the pool splits them does not change the bytes.
          pool.parallel_for(n, [&](int64_t begin, int64_t end) {
            float* f = floats.data() + begin * row;
            to_float(ti->data + static_cast<size_t>(r + begin) * in_row, f, (end - begin) * row);
            if (!qw) {
              from_float(f, bytes.data() + static_cast<size_t>(begin) * out_row, (end - begin) * row);
              return;
            }
            for (int64_t k = begin; k < end; ++k) {
              // Rows of expert e follow those of expert e - 1 (a 4-D tensor repeats the experts).
              const int64_t expert = ((r + k) / ti->ne[1]) % ti->ne[2];
              weighted(f + (k - begin) * row, bytes.data() + static_cast<size_t>(k) * out_row, row, qw + expert * row);
            }
          });
          sink(bytes.data(), static_cast<size_t>(n) * out_row);
        }
        if (options.progress) options.progress(++converted, to_convert);
      };
    }
    out.push_back(std::move(w));
  }
  gguf::write_file(dst, meta, out);
}

}  // namespace airlock::store

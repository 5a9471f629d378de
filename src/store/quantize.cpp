#include "store/quantize.h"

#include <airlock/error.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "gguf/file_type.h"
#include "gguf/gguf.h"
#include "gguf/writer.h"
#include "tensor/type_traits.h"

namespace airlock::store {

namespace {
struct Plan {
  int64_t file_type = -1;
  TensorType base = TensorType::F32;
  TensorType output = TensorType::F32;
};

Plan plan_for(std::string_view name) {
  std::string up(name);
  for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Plan p;
  for (int64_t id = 0; id < 64 && p.file_type < 0; ++id)
    if (gguf::file_type_name(id) == up) p.file_type = id;
  if (p.file_type < 0) throw Error("create --quantize: unknown type '" + std::string(name) + "'");
  // The base type is the file type's name up to its size suffix: Q4_K_M -> q4_K, Q8_0 -> q8_0.
  std::string base = up;
  if (base.size() > 2 && base[base.size() - 2] == '_' && std::string("SML").find(base.back()) != std::string::npos &&
      base.find("_K_") != std::string::npos)
    base.resize(base.size() - 2);
  const TypeTraits* t = find_type_traits(base);
  if (!t || !t->quantized || !t->from_float || !t->to_float)
    throw Error("create --quantize: airlock cannot write " + up + " yet");
  p.base = t->type;
  bool k_quant = t->block_size == 256;
  p.output = k_quant && p.base != TensorType::Q6_K && type_traits(TensorType::Q6_K).from_float ? TensorType::Q6_K : p.base;
  return p;
}

TensorType target_for(const gguf::TensorInfo& t, const Plan& p, bool is_output) {
  bool weight_matrix = t.n_dims >= 2 && t.name.size() >= 6 && t.name.compare(t.name.size() - 6, 6, "weight") == 0;
  if (!weight_matrix) return t.type;
  TensorType want = is_output ? p.output : p.base;
  if (t.ne[0] % type_traits(want).block_size == 0) return want;
  if (t.ne[0] % type_traits(TensorType::Q8_0).block_size == 0) return TensorType::Q8_0;
  return t.type;
}
}  // namespace

void quantize_gguf(const std::filesystem::path& src, const std::filesystem::path& dst, std::string_view file_type) {
  Plan plan = plan_for(file_type);
  auto f = gguf::File::open(src);
  for (const auto& t : f->tensors())
    if (t.n_dims >= 2 && type_traits(t.type).quantized)
      throw Error(src.string() + ": tensor " + t.name + " is already " + type_name(t.type) +
                  "; quantize from an F16/F32 model");
  bool has_output = f->tensor("output.weight") != nullptr;

  std::vector<gguf::KeyValue> meta;
  for (const auto& kv : f->metadata())
    if (kv.key != "general.file_type" && kv.key.rfind("split.", 0) != 0 && kv.key != "general.quantization_version")
      meta.push_back(kv);
  meta.push_back({"general.quantization_version", gguf::Value::of_u32(2)});
  meta.push_back({"general.file_type", gguf::Value::of_u32(static_cast<uint32_t>(plan.file_type))});

  std::vector<gguf::TensorToWrite> out;
  for (const auto& t : f->tensors()) {
    gguf::TensorToWrite w;
    w.name = t.name;
    w.dims.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
    bool is_output = t.name == "output.weight" || (!has_output && t.name == "token_embd.weight");
    w.type = target_for(t, plan, is_output);
    if (w.type == t.type) {
      w.data = std::span<const uint8_t>(t.data, t.nbytes);
    } else {
      const gguf::TensorInfo* ti = &t;
      TensorType to = w.type;
      w.fill = [ti, to](const gguf::ByteSink& sink) {
        const TypeTraits& from_t = type_traits(ti->type);
        const TypeTraits& to_t = type_traits(to);
        int64_t row = ti->ne[0];
        size_t in_row = *row_bytes(ti->type, row), out_row = *row_bytes(to, row);
        int64_t batch = std::max<int64_t>(1, (1 << 20) / row);  // about 4 MB of floats at a time
        std::vector<float> floats(static_cast<size_t>(batch * row));
        std::vector<uint8_t> bytes(static_cast<size_t>(batch) * out_row);
        for (int64_t r = 0; r < ti->rows(); r += batch) {
          int64_t n = std::min(batch, ti->rows() - r);
          from_t.to_float(ti->data + static_cast<size_t>(r) * in_row, floats.data(), n * row);
          to_t.from_float(floats.data(), bytes.data(), n * row);
          sink(bytes.data(), static_cast<size_t>(n) * out_row);
        }
      };
    }
    out.push_back(std::move(w));
  }
  gguf::write_file(dst, meta, out);
}

}  // namespace airlock::store

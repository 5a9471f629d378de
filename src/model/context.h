// Per-user state for running a Model: the KV cache of its sequences and the scratch buffers of the
// forward pass (allocated once, for the largest batch). One Context is used by one thread at a
// time; several Contexts may share one Model.
#pragma once
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "model/attention.h"
#include "model/batch.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace airlock {
class ThreadPool;
}

namespace airlock::model {

struct ContextParams {
  int64_t n_ctx = 4096;  // positions per sequence; capped at the model's training context
  int n_seq = 1;         // sequences (KV slots)
  int64_t n_batch = 512; // most entries in one forward()
  TensorType kv_type = TensorType::F16;  // KV cache storage (F16, Q8_0, F32, ...)
};

class Context {
 public:
  // pool may be null (single-threaded). Throws airlock::Error for impossible sizes.
  Context(const Model& model, const ContextParams& params, ThreadPool* pool);

  // Runs one batch. Entries of a sequence must not leave gaps: each pos is at most the sequence's
  // current length (a smaller pos overwrites from there: the sequence is cut back to it). Returns one
  // row per entry with output set, in batch order: n_vocab logits for decoders, the final hidden
  // state (n_embd) for encoders. Valid until the next call. Throws airlock::Error for a bad entry
  // (token id, sequence id, position past n_ctx: "context full").
  std::span<const float> forward(const Batch& batch);

  int64_t output_width() const;
  // Positions stored for a sequence.
  int64_t seq_len(int seq) const { return seq_len_.at(static_cast<size_t>(seq)); }
  // Forgets a sequence's positions from `from` on (0: all).
  void truncate(int seq, int64_t from);
  // Prefix sharing: sequence dst, which holds `from` positions equal to src's first `from`, takes
  // src's positions [from, to) as its own (a causal model's KV rows of a position depend only on
  // the tokens up to it, so they are what evaluating the same tokens in dst would give). dst ends
  // with `to` positions. Throws airlock::Error for a bad sequence id or range.
  void copy_prefix(int src, int dst, int64_t from, int64_t to);

  // Context shift: drops positions [n_keep, n_keep + n_discard) of a sequence, moves the later ones
  // down by n_discard and re-rotates their keys to the new positions, as if the remaining tokens
  // had been evaluated there (their values keep what the dropped tokens contributed, as in the
  // reference engine). Throws airlock::Error for an architecture without rope positions (learned
  // position embeddings, encoders) or a range past the sequence.
  void shift(int seq, int64_t n_keep, int64_t n_discard);

  int64_t n_ctx() const { return kv_.n_ctx(); }
  int64_t n_batch() const { return n_batch_; }
  const KvCache& kv_cache() const { return kv_; }
  const Model& model() const { return model_; }

 private:
  void validate(const Batch& batch);
  void embed_inputs(const Batch& batch);
  void attention_layer(const Batch& batch, int64_t il);
  void ffn_layer(int64_t il, int64_t n_tokens);
  void attend_all(const Batch& batch, int64_t il);
  // Combines the split-K parts of every task into att_.
  void merge_split_parts(int64_t parts);
  void produce_outputs(const Batch& batch);

  const Model& model_;
  const Hparams& hp_;
  ThreadPool* pool_;
  int64_t n_batch_;
  KvCache kv_;
  std::vector<int64_t> seq_len_;
  std::vector<int64_t> batch_seq_len_;  // per sequence, its length after this batch (encoders)

  // Scratch, [n_batch x width] each.
  std::vector<float> x_, cur_, q_, k_, v_, att_, tmp_, gate_, up_, rope_;
  // Per attention worker: its scratch and the queries of its current task.
  struct Worker {
    BlockAttention attention;
    std::vector<AttentionQuery> queries;
  };
  std::vector<Worker> workers_;
  std::vector<int64_t> order_;                      // batch indices grouped by sequence
  std::vector<std::pair<int64_t, int64_t>> chunks_;  // [begin, end) of order_ per task row
  // Split-K: per (task, part, query) its unnormalised output (head_dim_v) and softmax state.
  std::vector<float> part_out_;
  std::vector<SoftmaxState> part_state_;
  std::vector<float> out_hidden_, out_;
};

}  // namespace airlock::model

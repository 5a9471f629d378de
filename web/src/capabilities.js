// What each model of the store can do, from /api/show's `capabilities`: a generation model has
// "completion", an encoder only "embedding". One request per model, so callers show the plain
// list from /api/tags first and narrow it when this answers.
import { getJson } from './api.js';

export async function capabilities(names) {
  const shown = await Promise.all(names.map((model) => getJson('/api/show', { method: 'POST', body: { model } })
    .then((s) => [model, s.capabilities || []], () => [model, []])));
  return Object.fromEntries(shown);
}

export const isEmbeddingOnly = (caps) => caps.length > 0 && caps.every((c) => c === 'embedding');

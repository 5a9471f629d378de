// Per-conversation settings: system prompt, sampling options sent as `options`, and the JSON Schema
// sent as `format` (structured output).
const NUMBERS = [
  ['temperature', 'Temperature', 0.05, 0, 2],
  ['top_p', 'Top p', 0.05, 0, 1],
  ['top_k', 'Top k', 1, 0, 1000],
  ['num_predict', 'Max tokens (num_predict)', 1, -1, 131072],
  ['seed', 'Seed', 1, undefined, undefined],
];

export function Settings({ conv, update }) {
  const setOption = (key, text) => {
    const options = { ...conv.options };
    if (text === '') delete options[key];
    else options[key] = Number(text);
    update({ options });
  };
  return (
    <div id="settings" class="settings">
      <label for="system">System prompt</label>
      <textarea id="system" rows={2} value={conv.system} onInput={(e) => update({ system: e.target.value })} />
      <fieldset class="numbers">
        <legend>Sampling (empty: the model's default)</legend>
        {NUMBERS.map(([key, label, step, min, max]) => (
          <label>
            {label}
            <input type="number" name={key} step={step} min={min} max={max} value={conv.options[key] ?? ''}
                   onInput={(e) => setOption(key, e.target.value)} />
          </label>
        ))}
      </fieldset>
      <label for="schema">Structured output: JSON Schema (empty: free text)</label>
      <textarea id="schema" rows={4} spellcheck={false} class="mono" value={conv.schema}
                placeholder='{"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}'
                onInput={(e) => update({ schema: e.target.value })} />
    </div>
  );
}

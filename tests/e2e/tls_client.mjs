// Run by tls.test.mjs with NODE_EXTRA_CA_CERTS set (Node reads it only at start): one chat
// completion, whole and streamed, through the openai client over HTTPS; prints the result as JSON.
import OpenAI from 'openai';

const openai = new OpenAI({ baseURL: process.argv[2] + '/v1', apiKey: 'unused', maxRetries: 0 });
const messages = [{ role: 'user', content: 'Tell me a story' }];
try {
  const whole = await openai.chat.completions.create({ model: 'stories', messages, temperature: 0, max_tokens: 8 });
  let streamed = '';
  const stream = await openai.chat.completions.create({ model: 'stories', messages, temperature: 0, max_tokens: 8, stream: true });
  for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
  console.log(JSON.stringify({ ok: true, whole: whole.choices[0].message.content, streamed }));
} catch (e) {
  // The TLS reason sits at the end of the cause chain (APIConnectionError -> fetch failed -> ...).
  const reasons = [];
  for (let c = e; c; c = c.cause) reasons.push(c.code ?? c.message);
  console.log(JSON.stringify({ ok: false, error: reasons.join(' <- ') }));
}

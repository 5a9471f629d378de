// Validates generated outputs against their schemas with ajv (+ ajv-formats), a JSON Schema
// implementation independent of airlock's compiler and of the C++ test's validator.
// usage: node validate.mjs schemas.jsonl outputs.jsonl   (outputs: {"schema": index, "output": text})
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const [schemaFile, outputFile] = process.argv.slice(2);
const lines = (f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '');
// strict: false because generated schemas carry keywords ajv's draft-07 mode only tolerates
// ($defs next to definitions, nullable); $refs are resolved as JSON pointers either way.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validators = lines(schemaFile).map((l) => ajv.compile(JSON.parse(l)));

// Every schema's root is an object, array or number: a bare string must fail, or ajv is not
// really checking and a pass below would mean nothing.
validators.forEach((check, i) => {
  if (check('garbage')) {
    console.error(`schema ${i}: ajv accepts a bare string`);
    process.exit(1);
  }
});

let total = 0;
let valid = 0;
for (const line of lines(outputFile)) {
  const { schema, output } = JSON.parse(line);
  total += 1;
  let value;
  try {
    value = JSON.parse(output);
  } catch (e) {
    console.error(`schema ${schema}: not JSON: ${output}`);
    continue;
  }
  const check = validators[schema];
  if (check(value)) valid += 1;
  else console.error(`schema ${schema}: ${ajv.errorsText(check.errors)}: ${output}`);
}
console.log(`ajv: ${valid} of ${total} outputs valid across ${validators.length} schemas`);
process.exit(total >= 500 && valid === total ? 0 : 1);

// Checks a value against a JSON Schema: the keywords structured output uses (type, enum, const,
// properties, required, additionalProperties, items, lengths, bounds, pattern, anyOf/oneOf/allOf,
// local $ref). Returns a list of "path: problem" strings, empty when the value conforms.
function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function resolve(root, ref) {
  if (!ref.startsWith('#/')) return {};
  return ref.slice(2).split('/').reduce((s, k) => (s ? s[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), root) || {};
}

export function validate(schema, value, root = schema, path = '$') {
  if (schema === true || schema === undefined) return [];
  if (schema === false) return [`${path}: not allowed`];
  if (schema.$ref) return validate(resolve(root, schema.$ref), value, root, path);
  const errors = [];
  const t = typeOf(value);
  if (schema.type) {
    const types = [].concat(schema.type);
    if (!types.some((x) => x === t || (x === 'number' && t === 'integer'))) errors.push(`${path}: expected ${types.join(' or ')}, got ${t}`);
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) errors.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) errors.push(`${path}: must be ${JSON.stringify(schema.const)}`);
  if (t === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
  }
  if (t === 'number' || t === 'integer') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) errors.push(`${path}: not above ${schema.exclusiveMinimum}`);
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) errors.push(`${path}: not below ${schema.exclusiveMaximum}`);
  }
  if (t === 'array') {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    const prefix = schema.prefixItems || [];
    value.forEach((v, i) => errors.push(...validate(i < prefix.length ? prefix[i] : schema.items, v, root, `${path}[${i}]`)));
  }
  if (t === 'object') {
    const props = schema.properties || {};
    for (const k of schema.required || []) if (!(k in value)) errors.push(`${path}: missing "${k}"`);
    for (const [k, v] of Object.entries(value)) {
      if (k in props) errors.push(...validate(props[k], v, root, `${path}.${k}`));
      else if (schema.additionalProperties !== undefined) errors.push(...validate(schema.additionalProperties, v, root, `${path}.${k}`));
    }
  }
  for (const s of schema.allOf || []) errors.push(...validate(s, value, root, path));
  if (schema.anyOf && !schema.anyOf.some((s) => validate(s, value, root, path).length === 0)) errors.push(`${path}: matches none of anyOf`);
  if (schema.oneOf && schema.oneOf.filter((s) => validate(s, value, root, path).length === 0).length !== 1) errors.push(`${path}: must match exactly one of oneOf`);
  return errors;
}

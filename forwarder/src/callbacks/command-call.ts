// CommandCall: turns a platform command
//   {"data":[{"name":"a.b.c.key","value":"v"}]}
// into the device format
//   {"b":{"dl":{"key":"v"}},"h":{"rt":"a|b|c"}}
// "name" must have exactly three dots (four non-empty parts). Several items
// are merged into one "dl" object when they share the same "a.b.c" route; the
// C forwarder silently used only the first item.

const NAME_PARTS = 4;
const ROUTE_SEPARATOR = '|';

interface CommandItem {
  name: string;
  value: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseItem(item: unknown, index: number): CommandItem | string {
  if (!isObject(item)) return `data[${index}] must be an object with "name" and "value"`;
  const { name, value } = item;
  if (typeof name !== 'string') return `data[${index}].name must be a string like "a.b.c.key"`;
  if (typeof value !== 'string') return `data[${index}].value must be a string`;
  return { name, value };
}

/** The converted payload, or a string saying why the payload cannot be converted. */
export function commandCall(payload: Buffer): Buffer | string {
  let input: unknown;
  try {
    input = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return `payload is not valid JSON: ${(error as Error).message}`;
  }
  if (!isObject(input) || !Array.isArray(input.data) || input.data.length === 0) {
    return 'payload must be an object with a non-empty "data" array';
  }
  let route: string | null = null;
  const dl = new Map<string, string>();
  for (let i = 0; i < input.data.length; i++) {
    const item = parseItem(input.data[i], i);
    if (typeof item === 'string') return item;
    const parts = item.name.split('.');
    if (parts.length !== NAME_PARTS || parts.some((p) => p.length === 0)) {
      return `data[${i}].name "${item.name}" must have exactly three dots and four non-empty parts ("a.b.c.key")`;
    }
    const itemRoute = parts.slice(0, NAME_PARTS - 1).join(ROUTE_SEPARATOR);
    if (route !== null && itemRoute !== route) {
      return `data[${i}].name "${item.name}" addresses route "${itemRoute}" but data[0] addresses "${route}"; one message can carry one route`;
    }
    route = itemRoute;
    dl.set(parts[NAME_PARTS - 1] as string, item.value);
  }
  // Built by hand so keys such as "__proto__" stay plain keys and the order is fixed.
  const entries = [...dl].map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  return Buffer.from(`{"b":{"dl":{${entries.join(',')}}},"h":{"rt":${JSON.stringify(route)}}}`);
}

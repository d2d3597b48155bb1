// Turns zod issues into ConfigErrors with the field path, what is allowed,
// what was given, and a "did you mean" for unknown fields.

import { z } from 'zod';
import { type ConfigError, type PathSegment, formatPath, show, valueAt } from './errors.js';
import { didYouMean } from './suggest.js';

/** `unknown field; did you mean "x"? (allowed: a, b)` */
export function unknownFieldMessage(key: string, known: readonly string[]): string {
  return `unknown field${didYouMean(key, known)} (allowed: ${known.join(', ')})`;
}

/** The schema node at a path (through defaults, optionals, nullables and arrays). */
function schemaAt(schema: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let node: z.ZodType | undefined = schema;
  for (let i = 0; i <= path.length && node !== undefined; i++) {
    while (node instanceof z.ZodDefault || node instanceof z.ZodOptional || node instanceof z.ZodNullable) {
      node = node.unwrap() as z.ZodType;
    }
    if (i === path.length) break;
    const segment = path[i];
    if (node instanceof z.ZodArray && typeof segment === 'number') node = node.element as z.ZodType;
    else if (node instanceof z.ZodObject && typeof segment === 'string')
      node = node.shape[segment] as z.ZodType | undefined;
    else node = undefined;
  }
  return node;
}

function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  const node = schemaAt(schema, path);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

export function issuesToErrors(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], input: unknown): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, path);
      for (const key of issue.keys) {
        errors.push({
          path: formatPath([...path, key]),
          message: unknownFieldMessage(key, known),
        });
      }
      continue;
    }
    const value = valueAt(input, path);
    errors.push({
      path: formatPath(path),
      message: value === undefined ? `is required: ${issue.message}` : `must be ${issue.message} (got ${show(value)})`,
    });
  }
  return errors;
}

/** Request validation with zod: a failure is `invalid_request` naming the first bad field. */
import type { z } from 'zod';
import { NatterError } from '@natter/protocol';

export function parse<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.length ? `${where}.${issue.path.join('.')}` : where;
  throw new NatterError('invalid_request', `${path}: ${issue?.message ?? 'invalid'}`);
}

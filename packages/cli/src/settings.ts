/**
 * `natter serve`'s options: one per setting of the server's configuration schema, named after the
 * environment variable (`--data-dir` is DATA_DIR), described from the schema itself (type, range,
 * allowed values, default) so that `natter serve --help` lists every setting and cannot fall
 * behind config.ts. A value given as an option wins over the environment and NATTER_CONFIG.
 */
import { Option } from 'commander';
import { z } from 'zod';
import { configSchema } from '@natter/server/config';

/** Never shown, even as a default. */
const SECRETS = new Set(['ADMIN_API_KEY', 'JWT_SECRET', 'METRICS_TOKEN']);

export interface Setting {
  /** The environment variable, e.g. DATA_DIR. */
  name: string;
  option: Option;
}

interface JsonSchema {
  type?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  anyOf?: JsonSchema[];
}

function describe(name: string, field: z.ZodType): string {
  const js = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  let what: string;
  if (js.enum) what = js.enum.join(' | ');
  else if (js.anyOf?.some((s) => s.type === 'boolean')) what = 'true | false';
  else if (js.type === 'integer') what = `integer ${js.minimum ?? ''}–${js.maximum ?? ''}`;
  else if (js.pattern) what = `text matching ${js.pattern}`;
  else if (js.minLength && js.minLength > 1) what = `text, at least ${js.minLength} characters`;
  else what = 'text';
  const d = field.safeParse(undefined);
  const shown = !d.success || d.data === undefined ? 'unset' : SECRETS.has(name) ? 'hidden' : JSON.stringify(d.data);
  return `${name}: ${what} (default ${shown})`;
}

/** Every setting, in the schema's order. */
export function settings(): Setting[] {
  return Object.entries(configSchema.shape).map(([name, field]) => ({
    name,
    option: new Option(`--${name.toLowerCase().replace(/_/g, '-')} <value>`, describe(name, field as z.ZodType)),
  }));
}

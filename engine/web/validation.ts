// Schema validation for the web routes: request bodies are checked as sent (no type coercion, unknown
// properties refused, never silently dropped); URL parameters and query strings, which are text by
// nature, may be coerced to the declared number or boolean. allErrors stays off (a DoS vector in ajv).
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

const BASE: Options = { useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false };

function make(coerce: boolean): Ajv {
  const ajv = new Ajv({ ...BASE, coerceTypes: coerce ? 'array' : false });
  addFormats.default(ajv);
  return ajv;
}

export function installValidation(app: FastifyInstance): void {
  const strict = make(false);
  const lenient = make(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema as FastifySchema & object));
}

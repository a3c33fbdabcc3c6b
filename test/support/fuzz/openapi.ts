/** The parts of an OpenAPI 3 document the fuzzer reads: operations, their parameters and body schemas. */

export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  nullable?: boolean;
  $ref?: string;
}

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** `POST /v1/admin/retailers/{id}/stores` */
  key: string;
  method: string;
  /** the path template, `{name}` for path parameters */
  template: string;
  params: Param[];
  /** the JSON body's schema, resolved; undefined when the operation reads no body */
  body?: Schema;
  /** false for the operations without a security requirement (@Public) */
  secured: boolean;
  mutating: boolean;
  /** a method the document does not declare for this path: must be refused (404/405) */
  undeclared?: boolean;
}

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, {
    parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
    requestBody?: { content: Record<string, { schema: Schema }> };
    security?: unknown[];
  }>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** A schema with `$ref` and single-element `allOf` replaced by what they point to (shallow; call again for children). */
export function resolve(doc: OpenApiDoc, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 20; i++) {
    if (s.$ref) {
      const name = s.$ref.replace('#/components/schemas/', '');
      const target = doc.components.schemas[name];
      if (!target) throw new Error(`unresolved ${s.$ref}`);
      s = { ...target, ...(s.example !== undefined ? { example: s.example } : {}) };
    } else if (s.allOf?.length === 1) {
      const { allOf, ...rest } = s;
      s = { ...resolve(doc, allOf[0]), ...rest };
    } else {
      return s;
    }
  }
  throw new Error('schema reference cycle');
}

/** For each path, one method it does not declare (PATCH, else DELETE), to be refused as not found. */
export function undeclaredOperations(ops: Operation[]): Operation[] {
  const out: Operation[] = [];
  for (const template of [...new Set(ops.map((o) => o.template))]) {
    const declared = new Set(ops.filter((o) => o.template === template).map((o) => o.method));
    const method = declared.has('PATCH') ? 'DELETE' : 'PATCH';
    const like = ops.find((o) => o.template === template)!;
    out.push({ key: `${method} ${template} (undeclared)`, method, template, params: like.params.filter((p) => p.in === 'path'), secured: like.secured, mutating: true, undeclared: true });
  }
  return out;
}

/** Every path+method pair of the document, in document order. */
export function operations(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params: Param[] = (op.parameters ?? []).map((p) => ({
        name: p.name, in: p.in as Param['in'], required: !!p.required, schema: resolve(doc, p.schema),
      }));
      const content = op.requestBody?.content;
      const body = content ? resolve(doc, Object.values(content)[0]?.schema) : undefined;
      ops.push({
        key: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        params,
        body,
        secured: !!op.security?.length,
        mutating: method !== 'get',
      });
    }
  }
  return ops;
}

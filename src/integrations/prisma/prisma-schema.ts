/**
 * Prisma models as tables: `readPrismaSchema('prisma/schema.prisma')` reads
 * the schema with Prisma's own reader (@prisma/get-dmmf, offline, no
 * engine), so `@@map`, `@map` and `@@schema` resolve as Prisma resolves
 * them; `model('Document')` is a table for table(...), whose expression
 * callbacks take the model's field names and render their column names.
 * An unknown model or field is an error naming it and the schema file.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PgAccessError } from '../../errors.js';
import { quoteIdent } from '../../render/sql/quote.js';
import type { TypedTableObject } from '../../declare/declarations.js';

export const PRISMA_MODEL = Symbol.for('pg-access:PrismaModel');

interface DmmfField {
  readonly name: string;
  readonly dbName?: string | null;
  readonly kind: string;
}
interface DmmfModel {
  readonly name: string;
  readonly dbName?: string | null;
  readonly schema?: string | null;
  readonly fields: readonly DmmfField[];
}

/** A model of a Prisma schema, for table(...). `F` (optional) types its field names, e.g. Prisma.DocumentScalarFieldEnum. */
export interface PrismaModel<F extends string = string> extends TypedTableObject<{ readonly [K in F]: string }> {
  readonly [PRISMA_MODEL]: true;
  readonly model: string;
  readonly schemaFile: string;
  readonly table: { readonly schema: string; readonly name: string };
  /** Field name → quoted column name; a relation field or a name not in the model throws, naming it and the file. */
  readonly columns: { readonly [K in F]: string };
}

/** `M` (optional) types the model names, e.g. `keyof typeof Prisma.ModelName` from a generated client. */
export interface PrismaSchema<M extends string = string> {
  readonly file: string;
  readonly models: readonly string[];
  /** The model named `name` (as in the schema, e.g. 'Document'); an unknown one throws, listing the models. */
  model<F extends string = string>(name: M): PrismaModel<F>;
}

export async function readPrismaSchema<M extends string = string>(path: string): Promise<PrismaSchema<M>> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new PgAccessError('PRISMA_SCHEMA_UNREADABLE', `Could not read the Prisma schema ${file}: ${(cause as Error).message}.`);
  }
  let getDMMF: (options: { datamodel: string }) => unknown;
  try {
    ({ getDMMF } = (await import('@prisma/get-dmmf')) as { getDMMF: typeof getDMMF });
  } catch (cause) {
    throw new PgAccessError('TABLE_SOURCE_UNAVAILABLE', `Reading ${file} needs @prisma/get-dmmf, Prisma's schema reader, which could not be loaded (${(cause as Error).message}). Install it: npm i -D @prisma/get-dmmf.`);
  }
  const document = getDMMF({ datamodel: withoutConnectionUrls(text) }) as { datamodel?: { models: DmmfModel[] }; type?: string; reason?: string; error?: Error };
  if (!document.datamodel) {
    throw new PgAccessError('PRISMA_SCHEMA_INVALID', `Prisma could not read ${file}: ${readerMessage(document.error?.message ?? document.reason ?? 'unknown error')}`);
  }
  const byName = new Map(document.datamodel.models.map((m) => [m.name, m]));
  return {
    file,
    models: [...byName.keys()],
    model<F extends string = string>(name: M): PrismaModel<F> {
      const m = byName.get(name);
      if (!m) throw new PgAccessError('PRISMA_MODEL_UNKNOWN', `${file} has no model ${JSON.stringify(name)}; its models are ${[...byName.keys()].join(', ') || 'none'}.`);
      return prismaModel<F>(m, file);
    },
  };
}

/**
 * A Prisma 6 schema names its connection in the datasource (url, directUrl,
 * shadowDatabaseUrl), which the 7.x reader rejects (Prisma 7 moved them to
 * prisma.config.ts). Models do not depend on them: the reader gets the
 * schema without those lines of datasource blocks, and everything else as
 * written.
 */
function withoutConnectionUrls(text: string): string {
  return text.replace(/(^\s*datasource\s+\w+\s*\{)([^}]*)(\})/gm, (_whole, open: string, body: string, close: string) =>
    open + body.replace(/^\s*(url|directUrl|shadowDatabaseUrl)\s*=.*$/gm, '') + close,
  );
}

/** The reader's message without its terminal colours and JSON wrapping. */
function readerMessage(raw: string): string {
  let text = raw;
  try {
    const parsed = JSON.parse(raw) as { message?: string };
    if (typeof parsed.message === 'string') text = parsed.message;
  } catch {
    // not JSON: as it is
  }
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function prismaModel<F extends string>(m: DmmfModel, file: string): PrismaModel<F> {
  const fields = new Map(m.fields.map((f) => [f.name, f]));
  const columns = new Proxy(
    {},
    {
      get(_target, key) {
        if (typeof key !== 'string') return undefined;
        const field = fields.get(key);
        if (!field) throw new Error(`model ${m.name} in ${file} has no field ${JSON.stringify(key)}; its fields are ${[...fields.keys()].join(', ')}`);
        if (field.kind === 'object') throw new Error(`${m.name}.${key} in ${file} is a relation, not a column; name the foreign-key field instead`);
        return quoteIdent(field.dbName ?? field.name);
      },
    },
  ) as PrismaModel<F>['columns'];
  // Without @@schema, Prisma uses the connection's schema: public unless the URL says otherwise.
  return Object.freeze({ [PRISMA_MODEL]: true as const, model: m.name, schemaFile: file, table: { schema: m.schema ?? 'public', name: m.dbName ?? m.name }, columns, '~pgAccessColumns': columns });
}

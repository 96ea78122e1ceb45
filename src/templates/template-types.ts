/**
 * The types templates are written with, exported for templates users
 * write themselves: what a template is applied to, and the keys of its
 * columns, typed from the table wherever the front end types them.
 */
import type { PolicyCommandInput, TableDeclaration, TableInput, TypedTableObject } from '../declare/declarations.js';

/** A column object of a front end that types its tables (a Drizzle column): it has a database name and a column type. */
interface ColumnObjectLike {
  readonly columnType: string;
  readonly name: string;
}

/**
 * The keys naming a column of T, the table a template is applied to:
 * a Drizzle table's column properties, a Prisma model's fields, a Kysely
 * row type's keys (through table<DB, 'name'>('name')); any string for a
 * plain 'schema.table' name, checked against the database when planning.
 */
export type ColumnKey<T> = 0 extends 1 & T
  ? string
  : T extends string
    ? string
    : T extends TypedTableObject<infer C>
      ? keyof C & string
      : T extends TableDeclaration<infer U>
        ? ColumnKey<U>
        : T extends { readonly [key: string]: string }
          ? keyof T & string
          : { [K in keyof T & string]: T[K] extends ColumnObjectLike ? K : never }[keyof T & string];

/** What a template is applied to: a table as table(...) takes it, or a table(...) declaration (whose options are kept). */
export type TemplateTarget<T> = T | TableDeclaration<T>;

/** A row-level command, as a template's `commands` lists them. */
export type RowCommand = Exclude<PolicyCommandInput, 'ALL'>;

export const ROW_COMMANDS: readonly RowCommand[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

/**
 * Who the request is, read once per query: a setting the application sets
 * per transaction (`set_config('app.user_id', $1, true)`), or a function
 * (Supabase's `auth.uid()`). `type` casts it to the column's type
 * ('uuid', 'bigint'); left out, it is compared as text.
 */
export type SessionValue =
  | { readonly setting: string; readonly fn?: undefined; readonly type?: string }
  | { readonly fn: string; readonly setting?: undefined; readonly type?: string };

export type { TableInput };

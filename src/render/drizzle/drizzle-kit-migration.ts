/**
 * drizzle-kit migrations: the plan becomes one more entry in a drizzle-kit
 * `out` folder, exactly as `drizzle-kit generate --custom` would lay it out,
 * so `drizzle-kit migrate` applies it and a later `drizzle-kit generate`
 * keeps diffing from the right snapshot.
 *
 *   <out>/0003_docs_access.sql           statements split by `--> statement-breakpoint`
 *   <out>/0003_docs_access.down.sql      the downgrade, never read by drizzle-kit
 *   <out>/meta/0003_snapshot.json        the previous snapshot, new id, prevId = its id
 *   <out>/meta/_journal.json             + { idx: 3, version: '7', when, tag, breakpoints: true }
 *
 * How drizzle-kit 0.31 / drizzle-orm 0.45 read this (node_modules/drizzle-orm/migrator.js,
 * pg-core/dialect.js `migrate`, drizzle-kit bin.cjs `writeResult`, `prepareOutFolder`):
 * - the migrator reads only `<tag>.sql` for each journal entry, so any other
 *   file in the folder (our `.down.sql`) is ignored;
 * - it runs every pending migration in ONE transaction, so the file has no
 *   BEGIN/COMMIT;
 * - a migration is pending only if its `when` is greater than the
 *   `created_at` of the last applied one: `when` must grow along the journal,
 *   or the migration is silently skipped;
 * - `generate` takes the lexically last `meta/*` file (not starting with `_`)
 *   as the previous schema, and aborts when two snapshots share a prevId; a
 *   custom migration copies the previous snapshot with a new id.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PgAccessError } from '../../errors.js';
import { sqlComment, transactionScript } from '../migration/migration-text.js';
import type { MigrationInput, MigrationWriter } from '../migration/migration-writer.js';

/** drizzle-orm's migrator splits each file on exactly this text. */
const BREAKPOINT = '--> statement-breakpoint';
/** The snapshot version drizzle-kit 0.31 writes for PostgreSQL; older ones need `drizzle-kit up`. */
const SNAPSHOT_VERSION = '7';
/** drizzle-kit's `originUUID`: the prevId of the first snapshot. */
const ORIGIN_ID = '00000000-0000-0000-0000-000000000000';
/** UUIDv5 namespace for snapshot ids (fixed, so the same migration gets the same id). */
const SNAPSHOT_ID_NAMESPACE = 'ae48a7e4-4009-4ac4-bc5c-b0c222eb76e6';

export interface DrizzleJournalEntry {
  readonly idx: number;
  readonly version: string;
  readonly when: number;
  readonly tag: string;
  readonly breakpoints: boolean;
}

export interface DrizzleJournal {
  readonly version: string;
  readonly dialect: string;
  readonly entries: readonly DrizzleJournalEntry[];
}

type Snapshot = Record<string, unknown> & { id: string; prevId?: string; version?: string; dialect?: string };

/**
 * What drizzle-kit writes as the snapshot of a custom migration in a folder
 * with no snapshot yet (drizzle-kit's `dryPg` after parsing): the empty schema.
 */
function emptySnapshot(): Snapshot {
  return {
    id: ORIGIN_ID,
    prevId: '',
    version: SNAPSHOT_VERSION,
    dialect: 'postgresql',
    tables: {},
    enums: {},
    schemas: {},
    views: {},
    sequences: {},
    roles: {},
    policies: {},
    _meta: { columns: {}, schemas: {}, tables: {} },
  };
}

/** Adds the migration as the next entry of a drizzle-kit `out` folder (created with its journal if new). */
export const drizzleKitWriter: MigrationWriter = {
  format: 'drizzle',
  summary: "the next entry of a drizzle-kit out folder (<idx>_<name>.sql, its snapshot, the journal), run by drizzle-kit migrate; the downgrade beside it",
  async files(migration, folder) {
    const { name, now } = migration;
    for (const statement of [...migration.up.statements, ...migration.down.statements]) {
      if (statement.includes(BREAKPOINT)) {
        throw new PgAccessError(
          'UNSUPPORTED_IN_DRIZZLE_MIGRATION',
          `A statement contains "${BREAKPOINT}", which drizzle-kit's migrator would split in the middle (it splits files on that text without reading SQL). Rename the object, or write the migration in the 'sql' format.`,
          [statement],
        );
      }
    }
    const journalPath = join(folder.path, 'meta', '_journal.json');
    const snapshots = (await folder.list('meta')).filter((n) => !n.startsWith('_') && n.endsWith('.json'));
    const journal = readJournal(journalPath, await folder.read('meta/_journal.json')) ?? newJournal(journalPath, snapshots);

    const last = journal.entries[journal.entries.length - 1];
    const idx = last ? last.idx + 1 : 0;
    const prefix = String(idx).padStart(4, '0');
    const tag = `${prefix}_${name}`;
    // The migrator applies a migration only if `when` > the greatest created_at applied so far.
    const when = Math.max(now.getTime(), ...journal.entries.map((e) => e.when + 1));

    const lastSnapshot = snapshots[snapshots.length - 1];
    const previous = lastSnapshot ? readSnapshot(join(folder.path, 'meta', lastSnapshot), await folder.read(`meta/${lastSnapshot}`)) : emptySnapshot();
    const downFile = `${tag}.down.sql`;
    const upSql = renderUp(migration, tag, downFile, when);
    const downSql = transactionScript(
      [
        `Generated by pg-access: the downgrade of the drizzle-kit migration ${tag}.sql (planned ${now.toISOString()}).`,
        'drizzle-kit has no down migrations and never runs this file: it reads only the tags listed in meta/_journal.json.',
        `To roll back by hand: run this file (psql -v ON_ERROR_STOP=1 -f ${downFile}), then delete the row with`,
        `created_at = ${when} from drizzle's migrations table (drizzle.__drizzle_migrations unless configured otherwise),`,
        'and remove the migration (drizzle-kit drop) if it should not be applied again.',
        '',
        ...migration.down.notes,
      ],
      migration.down.statements,
    );
    const snapshot = customSnapshot(previous, snapshotId(`${previous.id}\n${tag}\n${upSql}`));
    const entry: DrizzleJournalEntry = { idx, version: snapshot.version ?? SNAPSHOT_VERSION, when, tag, breakpoints: true };
    return [
      { path: `${tag}.sql`, text: upSql },
      { path: downFile, text: downSql },
      { path: `meta/${prefix}_snapshot.json`, text: JSON.stringify(snapshot, null, 2) },
      // The journal goes last: until it names the tag, drizzle-kit does not see the migration.
      { path: 'meta/_journal.json', text: JSON.stringify({ ...journal, entries: [...journal.entries, entry] }, null, 2), index: true },
    ];
  },
};

function renderUp(migration: MigrationInput, tag: string, downFile: string, when: number): string {
  const header = sqlComment([
    'Generated by pg-access: row-level security policies, grants and schemas. Review before applying.',
    `drizzle-kit migration ${tag}, planned ${migration.now.toISOString()} (journal when = ${when}).`,
    'drizzle-kit migrate runs all pending migrations in one transaction, so this file has no BEGIN/COMMIT.',
    `Downgrade: drizzle-kit has no down migrations; the inverse is ${downFile} next to this file,`,
    'which drizzle-kit never runs (it reads only the tags listed in meta/_journal.json).',
    'It was planned against the database as it was then: apply it to a database in that state.',
    '',
    ...migration.up.notes,
  ]);
  // drizzle-kit's own layout: `stmt;\n` joined by `--> statement-breakpoint\n`. The header
  // shares the first chunk with the first statement, so no chunk is only a comment.
  return `${header}\n${migration.up.statements.map((s) => `${s};\n`).join(`${BREAKPOINT}\n`)}`;
}

/**
 * drizzle-kit's custom snapshot (preparePgMigrationSnapshot + writeResult):
 * the previous snapshot unchanged — a custom migration does not change what
 * drizzle-kit models — with a new id, prevId = the previous id, and an empty
 * `_meta` (the renames of this migration: none).
 */
function customSnapshot(previous: Snapshot, id: string): Snapshot {
  const { id: previousId, prevId: _prevId, ...rest } = previous;
  return { id, prevId: previousId, ...rest, _meta: { columns: {}, schemas: {}, tables: {} } };
}

/**
 * A UUIDv5 (RFC 9562, SHA-1) of the migration, instead of drizzle-kit's
 * random UUID, so the same plan written at the same instant gives the same
 * files. Distinct migrations differ in prevId or tag, so ids stay unique.
 */
function snapshotId(name: string): string {
  const namespace = Buffer.from(SNAPSHOT_ID_NAMESPACE.replace(/-/g, ''), 'hex');
  const bytes = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function readSnapshot(path: string, text: string | undefined): Snapshot {
  let snapshot: Snapshot;
  try {
    snapshot = JSON.parse(text ?? '') as Snapshot;
  } catch (error) {
    throw new PgAccessError('DRIZZLE_FOLDER_INVALID', `Could not read the drizzle-kit snapshot ${path}: ${(error as Error).message}.`);
  }
  if (typeof snapshot !== 'object' || snapshot === null || typeof snapshot.id !== 'string') {
    throw new PgAccessError('DRIZZLE_FOLDER_INVALID', `The drizzle-kit snapshot ${path} has no id; is this a drizzle-kit migrations folder?`);
  }
  if (snapshot.dialect !== 'postgresql') {
    throw new PgAccessError('DRIZZLE_FOLDER_INVALID', `The drizzle-kit snapshot ${path} is for dialect ${JSON.stringify(snapshot.dialect)}; pg-access writes PostgreSQL migrations.`);
  }
  if (snapshot.version !== SNAPSHOT_VERSION) {
    throw new PgAccessError('DRIZZLE_FOLDER_OUTDATED', `The drizzle-kit snapshot ${path} has version ${JSON.stringify(snapshot.version)}, not ${SNAPSHOT_VERSION}. Run \`drizzle-kit up\` first, then write the migration again.`);
  }
  return snapshot;
}

function readJournal(path: string, text: string | undefined): DrizzleJournal | undefined {
  if (text === undefined) return undefined;
  let journal: DrizzleJournal;
  try {
    journal = JSON.parse(text) as DrizzleJournal;
  } catch (error) {
    throw new PgAccessError('DRIZZLE_FOLDER_INVALID', `The drizzle-kit journal ${path} is not valid JSON: ${(error as Error).message}.`);
  }
  if (!journal || !Array.isArray(journal.entries)) {
    throw new PgAccessError('DRIZZLE_FOLDER_INVALID', `The drizzle-kit journal ${path} has no entries list; is this a drizzle-kit migrations folder?`);
  }
  if (journal.dialect !== 'postgresql') {
    throw new PgAccessError('DRIZZLE_FOLDER_INVALID', `The drizzle-kit journal ${path} is for dialect ${JSON.stringify(journal.dialect)}; pg-access writes PostgreSQL migrations.`);
  }
  for (const entry of journal.entries) {
    if (!Number.isInteger(entry?.idx) || typeof entry.when !== 'number' || typeof entry.tag !== 'string') {
      throw new PgAccessError('DRIZZLE_FOLDER_INVALID', `The drizzle-kit journal ${path} has an entry without idx, when and tag: ${JSON.stringify(entry)}.`);
    }
  }
  return journal;
}

/** drizzle-kit's `dryJournal`, for a new folder. Snapshots without a journal mean a damaged folder: refuse rather than guess. */
function newJournal(path: string, snapshots: readonly string[]): DrizzleJournal {
  if (snapshots.length > 0) {
    throw new PgAccessError('DRIZZLE_FOLDER_INVALID', `${path} is missing but meta/ holds snapshots (${snapshots.join(', ')}); restore the journal before adding a migration.`);
  }
  return { version: SNAPSHOT_VERSION, dialect: 'postgresql', entries: [] };
}

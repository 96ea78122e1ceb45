/**
 * The seam between a plan and a migration tool's files. A writer gets the
 * migration (its name, instant, and each direction's statements with the
 * comment lines a reviewer reads) and what its folder holds now, and returns
 * the files to write; it touches nothing itself. commitMigration writes them:
 * every new file first, never over an existing one, then the index files the
 * tool reads (a journal), so that an interrupted write leaves no migration
 * the tool would run half-made.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { PgAccessError } from '../../errors.js';

export interface MigrationDirection {
  /** Statements in order, without trailing semicolons. */
  readonly statements: readonly string[];
  /** Lines for the file's header comment: what it does, who gains and loses access, the plan's warnings. */
  readonly notes: readonly string[];
}

export interface MigrationInput {
  /** Safe for file names and class names' tails (migrationName). */
  readonly name: string;
  readonly now: Date;
  readonly up: MigrationDirection;
  readonly down: MigrationDirection;
}

/** What the migrations folder holds, read-only; paths are relative to it. */
export interface MigrationFolder {
  readonly path: string;
  /** Names in the folder (or a sub-folder); [] when it does not exist. */
  list(sub?: string): Promise<string[]>;
  /** A file's text, or undefined when it does not exist. */
  read(file: string): Promise<string | undefined>;
}

export interface MigrationFile {
  /** Relative to the migrations folder. */
  readonly path: string;
  readonly text: string;
  /** A file the tool reads to find migrations (a journal): replaced, and written after every new file. */
  readonly index?: true;
}

export interface MigrationWriter {
  /** The --format name. */
  readonly format: string;
  /** What it writes, for --help and errors. */
  readonly summary: string;
  files(migration: MigrationInput, folder: MigrationFolder): Promise<readonly MigrationFile[]>;
}

export function migrationFolder(path: string): MigrationFolder {
  const root = resolve(path);
  return {
    path: root,
    async list(sub) {
      try {
        return (await readdir(sub === undefined ? root : inside(root, sub))).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    async read(file) {
      try {
        return await readFile(inside(root, file), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}

/** Writes a writer's files under `outDir`; returns their absolute paths, in the writer's order. */
export async function commitMigration(outDir: string, files: readonly MigrationFile[]): Promise<string[]> {
  const root = resolve(outDir);
  const placed = files.map((f) => ({ ...f, absolute: inside(root, f.path) }));
  // Checked for every file before writing any: a refusal leaves nothing half-written.
  for (const f of placed) if (!f.index && (await exists(f.absolute))) throw alreadyExists(f.absolute);
  for (const f of placed) await mkdir(dirname(f.absolute), { recursive: true });
  for (const f of placed.filter((x) => !x.index)) {
    try {
      await writeFile(f.absolute, f.text, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyExists(f.absolute);
      throw error;
    }
  }
  // Last, and whole or not at all: the tool sees the migration once its index names it.
  for (const f of placed.filter((x) => x.index)) {
    const temporary = `${f.absolute}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, f.text, { flag: 'wx' });
    await rename(temporary, f.absolute);
  }
  return placed.map((f) => f.absolute);
}

function inside(root: string, path: string): string {
  const absolute = resolve(root, path);
  const rel = relative(root, absolute);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new PgAccessError('INVALID_MIGRATION_PATH', `A migration writer asked for ${JSON.stringify(path)}, outside the migrations folder ${root}.`);
  }
  return join(root, rel);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function alreadyExists(path: string): PgAccessError {
  return new PgAccessError('MIGRATION_EXISTS', `${path} already exists; pg-access never overwrites a migration. Choose another name, or delete it if it was never applied.`);
}

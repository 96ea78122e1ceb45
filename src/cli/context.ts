import type { AccessDeclaration } from '../index.js';
import { findConfigFile, loadAccess, loadConfig, type LoadedConfig } from './config.js';
import { resolveConnection, type ConnectionTarget } from './connection.js';
import type { Terminal } from './terminal.js';

/** What a command runs in: the process's folder, environment and output streams (replaceable in tests). */
export interface CliContext {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: Terminal;
  readonly stderr: Terminal;
}

/** Options every database command takes. */
export interface ProjectOptions {
  readonly config?: string;
  readonly url?: string;
  /** --allow-drop-roles: drop roles pg-access created that the declaration no longer lists. */
  readonly allowDropRoles?: boolean;
}

export interface Project {
  readonly config: LoadedConfig;
  readonly access: AccessDeclaration;
  readonly connection: ConnectionTarget;
}

/** Config, then the access module (declaration errors show before any connection is tried), then where to connect. */
export async function openProject(ctx: CliContext, options: ProjectOptions): Promise<Project> {
  const config = await loadConfig(findConfigFile(ctx.cwd, options.config));
  const access = await loadAccess(config);
  const connection = resolveConnection(options.url, config.config, ctx.env);
  return { config, access, connection };
}

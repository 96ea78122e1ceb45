import type { AccessDeclaration, ExtraConnection } from '../index.js';
import { collectGarbage } from './collect-garbage.js';
import { findConfigFile, loadAccess, loadConfig, type LoadedConfig } from './config.js';
import { openExtraConnection, resolveConnection, type ConnectionTarget } from './connection.js';
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
  /** --lock-timeout: milliseconds to wait for any lock; overrides the config's lockTimeoutMs. */
  readonly lockTimeout?: number;
}

export interface Project {
  readonly config: LoadedConfig;
  readonly access: AccessDeclaration;
  readonly connection: ConnectionTarget;
  /** The options every command passes to plan/apply/check: --lock-timeout (else the config's lockTimeoutMs) and --allow-drop-roles. */
  readonly planOptions: { readonly lockTimeoutMs?: number; readonly allowDropRoles: boolean; readonly extraConnection: () => Promise<ExtraConnection>; readonly afterRead: () => void };
}

/** Config, then the access module (declaration errors show before any connection is tried), then where to connect. */
export async function openProject(ctx: CliContext, options: ProjectOptions): Promise<Project> {
  const config = await loadConfig(findConfigFile(ctx.cwd, options.config));
  const access = await loadAccess(config);
  const connection = resolveConnection(options.url, config.config, ctx.env);
  const lockTimeoutMs = options.lockTimeout ?? config.config.lockTimeoutMs;
  return {
    config,
    access,
    connection,
    planOptions: {
      ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }),
      allowDropRoles: options.allowDropRoles === true,
      // The catalog read of a large declaration reads its policies on two connections at once.
      extraConnection: () => openExtraConnection(connection),
      afterRead: collectGarbage,
    },
  };
}

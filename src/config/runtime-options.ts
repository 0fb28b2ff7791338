import { resolve } from 'node:path';
import { z } from 'zod';
import { MailroomError } from '../errors.ts';

/** How this process runs (not a mail setting): where it listens, stores data and logs. */
export interface RuntimeOptions {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  configPath: string;
  adminPassword: string | undefined;
  secretKey: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  worker: { batchSize: number; lanes: number; leaseMs: number; idleMs: number };
  /**
   * The reverse proxies in front of Mailroom, whose X-Forwarded-For is believed (fastify's
   * trustProxy: addresses or CIDR ranges, comma-separated). Without it, every request seems to
   * come from the proxy, and the per-address limits would count all users together.
   */
  trustProxy: string[];
}

const envSchema = z.object({
  MAILROOM_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  MAILROOM_HOST: z.string().min(1).default('127.0.0.1'),
  MAILROOM_DATA_DIR: z.string().min(1).default('./data'),
  MAILROOM_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://').optional(),
  MAILROOM_CONFIG: z.string().min(1).default('./config/config.json'),
  MAILROOM_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  MAILROOM_SECRET_KEY: z.string().optional(),
  MAILROOM_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAILROOM_WORKER_BATCH: z.coerce.number().int().min(1).max(5000).default(200),
  MAILROOM_WORKER_LANES: z.coerce.number().int().min(1).max(16).default(2),
  MAILROOM_OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(120),
  MAILROOM_WORKER_IDLE_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  MAILROOM_TRUST_PROXY: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((p) => p.trim()).filter((p) => p !== ''))
    .refine((list) => list.every((p) => /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(p)), 'must be IP addresses or CIDR ranges separated by commas, e.g. 127.0.0.1,10.0.0.0/8'),
});

/** The MAILROOM_ variables that are how Mailroom runs, not settings (the rest must be setting keys). */
export const runtimeEnvNames: ReadonlySet<string> = new Set(Object.keys(envSchema.shape));

export function readRuntimeOptions(env: NodeJS.ProcessEnv, cwd: string): RuntimeOptions {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new MailroomError('config_env_invalid', `${name}: ${issue?.message ?? 'invalid'}`, { details: { variable: name } });
  }
  const e = result.data;
  return {
    port: e.MAILROOM_PORT,
    host: e.MAILROOM_HOST,
    dataDir: resolve(cwd, e.MAILROOM_DATA_DIR),
    databaseUrl: e.MAILROOM_DATABASE_URL,
    configPath: resolve(cwd, e.MAILROOM_CONFIG),
    adminPassword: e.MAILROOM_ADMIN_PASSWORD,
    secretKey: e.MAILROOM_SECRET_KEY,
    logLevel: e.MAILROOM_LOG_LEVEL,
    trustProxy: e.MAILROOM_TRUST_PROXY,
    worker: { batchSize: e.MAILROOM_WORKER_BATCH, lanes: e.MAILROOM_WORKER_LANES, leaseMs: e.MAILROOM_OUTBOX_LEASE_SECONDS * 1000, idleMs: e.MAILROOM_WORKER_IDLE_MS },
  };
}

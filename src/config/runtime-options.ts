import { resolve } from 'node:path';
import { z } from 'zod';
import { MailroomError } from '../errors.ts';

/** How this process runs (not a mail setting): where it listens, stores data and logs. */
export interface RuntimeOptions {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Migrate the database at start (the default); false: refuse to start until `mailroom db:migrate` has. */
  autoMigrate: boolean;
  configPath: string;
  adminPassword: string | undefined;
  secretKey: string | undefined;
  /** undefined: the command's own (info for serve and worker, warn for the one-off commands). */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' | undefined;
  /** undefined: pretty when standard error is a terminal, json otherwise. */
  logFormat: 'pretty' | 'json' | undefined;
  worker: { batchSize: number; lanes: number; leaseMs: number; idleMs: number };
  /**
   * The reverse proxies in front of Mailroom, whose X-Forwarded-For is believed (fastify's
   * trustProxy: addresses or CIDR ranges, comma-separated). Without it, every request seems to
   * come from the proxy, and the per-address limits would count all users together.
   */
  trustProxy: string[];
  /** When set, GET /metrics answers only to `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Where `mailroom worker` serves its own /metrics and /healthz; undefined: nowhere. */
  metricsListen: { host: string; port: number } | undefined;
  /**
   * How long a client may take to send a whole request, headers and body (a body trickled a byte
   * at a time would otherwise hold a connection forever), and how long a connection may stay
   * silent, in milliseconds.
   */
  http: { requestTimeoutMs: number; idleTimeoutMs: number };
}

/** The runtime variables; their descriptions feed the generated docs/admin/config.md (npm run docs). */
export const envSchema = z.object({
  MAILROOM_PORT: z.coerce.number().int().min(0).max(65535).default(8080).describe('The TCP port the web interface and the API listen on (0: any free port).'),
  MAILROOM_HOST: z.string().min(1).default('127.0.0.1').describe('The address the web interface and the API listen on (127.0.0.1: this machine only).'),
  MAILROOM_DATA_DIR: z.string().min(1).default('./data').describe('The folder of the SQLite database and of secret.key, the key that encrypts secret settings (relative to the working directory).'),
  MAILROOM_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres://')
    .optional()
    .describe('Use this PostgreSQL database (postgres://user:password@host:5432/db) instead of SQLite in the data folder.'),
  MAILROOM_AUTO_MIGRATE: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('true')
    .transform((v) => v === 'true')
    .describe("true: every start brings the database to this version's schema. false: Mailroom refuses to start while migrations are pending, and the admin runs mailroom db:migrate once (several machines on one PostgreSQL database, or a backup first)."),
  MAILROOM_CONFIG: z.string().min(1).default('./config/config.json').describe('The config file: one JSON object of settings, which locks the keys it sets. A missing file is no error.'),
  MAILROOM_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional().describe('The password of the first user, admin, made when the database has no user yet; without it a password is generated and printed once.'),
  MAILROOM_SECRET_KEY: z.string().optional().describe('The key that encrypts secret settings, base64 of 32 bytes (openssl rand -base64 32); without it secret.key in the data folder, made at the first start. Machines sharing one database must share it.'),
  MAILROOM_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().describe('How much the log says. Without it: info for serve and worker, warn for the one-off commands (config:set, mail:test, …), whose answer is what they print.'),
  MAILROOM_LOG_FORMAT: z
    .enum(['pretty', 'json'])
    .optional()
    .describe('How log lines look: pretty (one line for a person: time, level, message, then the fields as key=value) or json (one JSON object per line, for journald, containers and log collectors). Without it: pretty when standard error is a terminal, json otherwise.'),
  MAILROOM_WORKER_BATCH: z.coerce.number().int().min(1).max(5000).default(200).describe('Mails one lane of a worker claims at once.'),
  MAILROOM_WORKER_LANES: z.coerce.number().int().min(1).max(16).default(2).describe('Lanes per worker that claim and send side by side.'),
  MAILROOM_OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(120).describe("How long a worker's claim on a mail holds, in seconds: a dead worker's mails return to the queue after it."),
  MAILROOM_WORKER_IDLE_MS: z.coerce.number().int().min(10).max(60_000).default(500).describe('Milliseconds between looks at the queue when nothing is due (a mail queued through the same process wakes the worker at once).'),
  MAILROOM_TRUST_PROXY: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    )
    .refine((list) => list.every((p) => /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(p)), 'must be IP addresses or CIDR ranges separated by commas, e.g. 127.0.0.1,10.0.0.0/8')
    .describe('The reverse proxies whose X-Forwarded-For is believed: IP addresses or CIDR ranges, comma-separated. Without it every request seems to come from the proxy.'),
  MAILROOM_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (openssl rand -hex 16)').optional().describe('When set, GET /metrics answers only with the header Authorization: Bearer and this token (Prometheus: authorization.credentials); without it /metrics is open to anyone who reaches the port.'),
  MAILROOM_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional().describe("The port on which mailroom worker serves its own /metrics and /healthz (serve has them on MAILROOM_PORT); without it a separate worker's counters are not visible."),
  MAILROOM_METRICS_HOST: z.string().min(1).default('127.0.0.1').describe('The address of the metrics port of mailroom worker (127.0.0.1: this machine only).'),
  MAILROOM_HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30).describe('Seconds a client may take to send a whole request, headers and body; a slower one gets 408 and is disconnected (a body sent a byte at a time would otherwise hold a connection forever).'),
  MAILROOM_HTTP_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(120).describe('Seconds a connection may stay silent before it is closed. Keep it longer than the slowest answer: detect and the test mail wait for the mail server (mail_smtptimeout per reply).'),
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
    autoMigrate: e.MAILROOM_AUTO_MIGRATE,
    configPath: resolve(cwd, e.MAILROOM_CONFIG),
    adminPassword: e.MAILROOM_ADMIN_PASSWORD,
    secretKey: e.MAILROOM_SECRET_KEY,
    logLevel: e.MAILROOM_LOG_LEVEL,
    logFormat: e.MAILROOM_LOG_FORMAT,
    trustProxy: e.MAILROOM_TRUST_PROXY,
    metricsToken: e.MAILROOM_METRICS_TOKEN,
    metricsListen: e.MAILROOM_METRICS_PORT === undefined ? undefined : { host: e.MAILROOM_METRICS_HOST, port: e.MAILROOM_METRICS_PORT },
    http: { requestTimeoutMs: e.MAILROOM_HTTP_REQUEST_TIMEOUT_SECONDS * 1000, idleTimeoutMs: e.MAILROOM_HTTP_IDLE_TIMEOUT_SECONDS * 1000 },
    worker: { batchSize: e.MAILROOM_WORKER_BATCH, lanes: e.MAILROOM_WORKER_LANES, leaseMs: e.MAILROOM_OUTBOX_LEASE_SECONDS * 1000, idleMs: e.MAILROOM_WORKER_IDLE_MS },
  };
}

import type { Command } from 'commander';
import type { DoctorCheck } from '../mail/doctor-service.ts';
import { setExitCode, type CommandIo } from './command-io.ts';

export function registerMailCommands(program: Command, io: CommandIo): void {
  program
    .command('mail:test')
    .description("send the test mail through the current settings (to the admin's own address unless --to)")
    .option('--to <address>', 'where to send it')
    .option('--debug', 'print the SMTP conversation (credentials replaced by ***)')
    .option('--json', 'machine-readable output')
    .action(async (options: { to?: string; debug?: boolean; json?: boolean }, command: Command) => {
      const ctx = await io.context();
      const report = await ctx.mailTest.sendTestMail({ to: options.to, debug: options.debug ? true : undefined });
      if (!report.ok) setExitCode(command, 1);
      if (options.json) return io.out(JSON.stringify(report, null, 2));
      if (report.transcript) io.out(`${report.transcript}\n`);
      if (report.ok) {
        io.out(`Test mail sent to ${report.to} (mode ${report.mode}, via ${report.via}): ${report.response}`);
      } else {
        for (const attempt of report.attempts.filter((a) => a.error)) io.deps.stderr.write(`  ${attempt.host}: ${attempt.error?.code}\n`);
        io.deps.stderr.write(`mailroom: the test mail was not sent: ${report.error?.message} [${report.error?.code}]\n`);
      }
    });

  program
    .command('mail:detect')
    .description('probe a mail server (banner, STARTTLS, implicit TLS, AUTH methods, certificate) and print settings that work')
    .argument('<host>', "HOST or HOST:PORT (without a port: 587, 465, 25 and 2525), or a failover list 'HOST1;HOST2:PORT' (each server probed, the list kept)")
    .option('--json', 'machine-readable output')
    .action(async (host: string, options: { json?: boolean }, command: Command) => {
      const { detect } = await io.context();
      const report = await detect.detect(host);
      if (!report.recommended) setExitCode(command, 1);
      io.out(options.json ? JSON.stringify(report, null, 2) : detect.format(report));
    });

  program
    .command('doctor')
    .description('check the configuration, the database and the mail server, and say what to fix')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const checks: DoctorCheck[] = await (await io.context()).doctor.run();
      if (checks.some((c) => c.status === 'fail')) setExitCode(command, 1);
      if (options.json) return io.out(JSON.stringify(checks, null, 2));
      const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
      for (const c of checks) io.out(`${mark[c.status]}  ${c.name}: ${c.message}`);
    });
}

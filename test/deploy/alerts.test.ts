import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordBackup, storeLabel } from '../../src/doctor/backup-record';
import { tempDir } from '../support/engine';

/**
 * Alerts without extra servers (issue 23): OnFailure= in the units starts hotline-notify@.service,
 * which runs deploy/hotline-notify.sh, which pipes the message into the operator's ALERT_COMMAND;
 * hotline-doctor.timer runs `doctor --alert`, which fails (and so alerts) on a backup-age or disk
 * warning. Here the script and the doctor run for real; only the journal is a stand-in (the
 * failed unit's log lines, as `journalctl -u UNIT -o cat` prints them).
 */
const ROOT = path.resolve(__dirname, '../..');
const DEPLOY = path.join(ROOT, 'deploy');
const read = (f: string) => fs.readFileSync(path.join(DEPLOY, f), 'utf8');
// node with tsx's loader, as `npm run <tool>` runs it, in one process (node_modules/.bin/tsx starts a second node for each run).
const TSX_NODE = [process.execPath, '--import', 'tsx'] as const;
const have = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** The [Unit] section of a unit file. */
const unitSection = (text: string) => text.slice(text.indexOf('[Unit]'), text.indexOf('\n[', text.indexOf('[Unit]') + 1));

describe('deploy/: alerts through the operator\'s ALERT_COMMAND', () => {
  it.each(['hotline.service', 'hotline-backup.service', 'hotline-doctor.service'])('%s sends an alert when it fails (OnFailure= in [Unit])', (file) => {
    expect(unitSection(read(file))).toMatch(/^OnFailure=hotline-notify@%n\.service$/m);
  });

  it('a crash loop ends in "failed" (and so an alert) instead of restarting unnoticed; exit 78 is not restarted', () => {
    const unit = read('hotline.service');
    expect(unitSection(unit)).toMatch(/^StartLimitIntervalSec=\d+$/m);
    expect(unitSection(unit)).toMatch(/^StartLimitBurst=\d+$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=78$/m);
  });

  it('the notifier runs the script as hotline with the settings file, and no unit holds a secret or the command itself', () => {
    const notifier = read('hotline-notify@.service');
    expect(notifier).toMatch(/^User=hotline$/m);
    expect(notifier).toMatch(/^EnvironmentFile=\/etc\/hotline\/hotline\.env$/m);
    expect(notifier).toMatch(/^ExecStart=\/bin\/sh \/opt\/hotline\/deploy\/hotline-notify\.sh %i$/m);
    for (const file of fs.readdirSync(DEPLOY).filter((f) => /\.(service|timer)$/.test(f))) {
      const settings = read(file).split('\n').filter((l) => !l.startsWith('#'));
      expect(settings.filter((l) => /ALERT_COMMAND|TOKEN|SECRET|PASSWORD|_KEY=|https?:\/\//i.test(l))).toEqual([]);
    }
    expect(read('hotline-doctor.service')).toMatch(/^ExecStart=\/usr\/bin\/node node_modules\/tsx\/dist\/cli\.mjs scripts\/doctor\.ts --alert$/m);
    expect(read('hotline-doctor.timer')).toMatch(/^OnCalendar=/m);
  });

  it('pass systemd-analyze verify, the notifier as the instance OnFailure= starts', () => {
    if (!have('systemd-analyze')) {
      if (process.env.CI === 'true') throw new Error('systemd-analyze is not installed; CI=true, so this is a failure, not a skip');
      return;
    }
    const dir = tempDir('units-');
    const instance = path.join(dir, 'hotline-notify@hotline.service.service');
    fs.copyFileSync(path.join(DEPLOY, 'hotline-notify@.service'), instance);
    const files = ['hotline.service', 'hotline-backup.service', 'hotline-doctor.service', 'hotline-doctor.timer', 'hotline-notify@.service'].map((f) => path.join(DEPLOY, f));
    const r = spawnSync('systemd-analyze', ['verify', ...files, instance], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.split('\n').filter((l) => /hotline/.test(l))).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe('the alert path, run for real', () => {
  jest.setTimeout(60_000);

  /** Runs deploy/hotline-notify.sh for a unit, with a journal stand-in holding `journal` for it. */
  function notify(unit: string, journal: string, alertCommand: string | undefined) {
    const bin = tempDir('journal-');
    const asked = path.join(bin, 'asked');
    fs.writeFileSync(path.join(bin, 'journal.txt'), journal);
    fs.writeFileSync(path.join(bin, 'journalctl'), `#!/bin/sh\necho "$@" > '${asked}'\ncat '${path.join(bin, 'journal.txt')}'\n`, { mode: 0o755 });
    const env: Record<string, string> = { PATH: `${bin}:${process.env.PATH ?? ''}` };
    if (alertCommand !== undefined) env.ALERT_COMMAND = alertCommand;
    const r = spawnSync('sh', [path.join(DEPLOY, 'hotline-notify.sh'), unit], { env, encoding: 'utf8' });
    return { ...r, asked: fs.existsSync(asked) ? fs.readFileSync(asked, 'utf8') : '' };
  }

  /** `npm run doctor -- --alert` as hotline-doctor.service runs it. */
  function doctorAlert(dataDir: string) {
    return spawnSync(TSX_NODE[0], [...TSX_NODE.slice(1), 'scripts/doctor.ts', '--alert'], {
      cwd: ROOT, encoding: 'utf8', timeout: 45_000,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'silent', BACKUP_MAX_AGE_HOURS: '26' },
    });
  }

  it('no backup: doctor --alert fails with the warning and its fix, and the alert carries them to ALERT_COMMAND', () => {
    const dataDir = tempDir('alert-data-');
    const doctor = doctorAlert(dataDir);
    expect(doctor.status).toBe(1); // the unit fails, so OnFailure= starts the notifier
    expect(doctor.stdout).toMatch(/^WARNING backup\.age: no backup has been made on this machine$/m);
    expect(doctor.stdout).toMatch(/fix: run `npm run backup/);
    expect(doctor.stdout).not.toMatch(/prompts\.|secret\.|carrier\./); // only what changes while the line runs

    const out = path.join(tempDir('alert-out-'), 'alert.txt');
    const sent = notify('hotline-doctor.service', doctor.stdout, `cat > '${out}'`);
    expect(sent.status).toBe(0);
    expect(sent.asked).toMatch(/-u hotline-doctor\.service/);
    const alert = fs.readFileSync(out, 'utf8');
    expect(alert).toMatch(/^hotline alert on \S+: hotline-doctor\.service failed at /);
    expect(alert).toContain('WARNING backup.age: no backup has been made on this machine'); // what is wrong
    expect(alert).toContain('fix: run `npm run backup'); // what to do
    expect(alert).toMatch(/What to do: .*fix:/);
  });

  it('a fresh backup of this store: doctor --alert passes, so no alert', () => {
    const dataDir = tempDir('alert-data-');
    recordBackup(dataDir, { at: new Date().toISOString(), file: '/var/backups/hotline/x.backup.gz', engine: 'embedded', store: storeLabel({ mongodbUri: '', mongodbDb: 'hotline', dataDir }) });
    const doctor = doctorAlert(dataDir);
    expect(doctor.stdout).toMatch(/^ok: backup\.age and disk\.space need nothing$/m);
    expect(doctor.status).toBe(0);
  });

  it('the service failing: the alert says calls are not answered, with its log lines and the commands to run', () => {
    const out = path.join(tempDir('alert-out-'), 'alert.txt');
    const journal = '{"level":50,"msg":"Configuration is invalid: MONGODB_URI is not a MongoDB connection string"}\n';
    const sent = notify('hotline.service', journal, `cat > '${out}'`);
    expect(sent.status).toBe(0);
    const alert = fs.readFileSync(out, 'utf8');
    expect(alert).toContain('hotline.service failed');
    expect(alert).toContain('MONGODB_URI is not a MongoDB connection string');
    expect(alert).toMatch(/NOT answering calls/);
    expect(alert).toMatch(/journalctl -u hotline/);
    expect(alert).toMatch(/78 means a setting or a readiness blocker: .*npm run doctor/);
  });

  it('the backup failing: the alert says no backup was made and how to run one now', () => {
    const out = path.join(tempDir('alert-out-'), 'alert.txt');
    expect(notify('hotline-backup.service', 'backup failed: ENOSPC: no space left on device\n', `cat > '${out}'`).status).toBe(0);
    const alert = fs.readFileSync(out, 'utf8');
    expect(alert).toContain('ENOSPC');
    expect(alert).toMatch(/no backup was made.*\n.*systemctl start hotline-backup\.service/);
  });

  it('the test alert of the README says it is a test, not that the line is down', () => {
    const out = path.join(tempDir('alert-out-'), 'alert.txt');
    expect(notify('test', '-- No entries --\n', `cat > '${out}'`).status).toBe(0);
    const alert = fs.readFileSync(out, 'utf8');
    expect(alert).toMatch(/This is a test alert/);
    expect(alert).not.toMatch(/NOT answering calls/);
  });

  it('without ALERT_COMMAND, or when it fails, the notifier fails and its log line says nobody was told', () => {
    const unset = notify('hotline.service', 'x\n', undefined);
    expect(unset.status).not.toBe(0);
    expect(unset.stderr).toMatch(/ALERT_COMMAND is not set in \/etc\/hotline\/hotline\.env: nobody was told/);
    const failing = notify('hotline.service', 'x\n', 'cat > /dev/null; exit 3');
    expect(failing.status).not.toBe(0);
    expect(failing.stderr).toMatch(/ALERT_COMMAND failed: the alert about hotline\.service was not sent/);
  });
});

/**
 * Makes sure Debian's chromium, which the web UI's browser test drives, is installed (scripts/services/chromium.sh,
 * apt-get on first use). With CI=true a browser that cannot be installed fails the run; otherwise the browser test
 * fails by itself, naming what to install. CommonJS, for the .cjs jest globalSetup.
 */
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function ensureChromium({ ci }) {
  if (process.env.TARN_CHROMIUM) return;
  const script = path.join(__dirname, '..', '..', 'scripts', 'services', 'chromium.sh');
  const done = spawnSync('bash', [script, 'install'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  if (done.status !== 0 && ci) throw new Error(`Chromium is required by the web UI's tests and could not be installed (${script} install)`);
}

module.exports = { ensureChromium };

/**
 * Makes sure the real S3, WebDAV and XRootD servers the storage tests need answer before the tests run (called
 * from jest's globalSetup). Uses the servers at TARN_TEST_S3_ENDPOINT / TARN_TEST_WEBDAV_URL when set (with
 * TARN_TEST_S3_ACCESS_KEY, TARN_TEST_S3_SECRET_KEY, TARN_TEST_WEBDAV_USER, TARN_TEST_WEBDAV_PASSWORD);
 * otherwise the local ones of scripts/services/s3.sh and webdav.sh, started if they do not answer. The two
 * XRootD servers are always the local ones of scripts/services/xrootd.sh (on TARN_TEST_XROOTD_PORT(_B) and
 * TARN_TEST_XROOTD_HTTP_PORT(_B)): tests also look at their files and logs.
 * A server that does not answer is an error, never a skip. CommonJS, for the .cjs jest globalSetup.
 */
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const SCRIPTS = path.join(__dirname, '..', '..', 'scripts', 'services');

function defaults() {
  const env = process.env;
  env.TARN_TEST_S3_ENDPOINT ||= `http://127.0.0.1:${env.TARN_TEST_S3_PORT || 9000}`;
  env.TARN_TEST_S3_ACCESS_KEY ||= 'tarn-test';
  env.TARN_TEST_S3_SECRET_KEY ||= 'tarn-test-secret';
  env.TARN_TEST_WEBDAV_URL ||= `http://127.0.0.1:${env.TARN_TEST_WEBDAV_PORT || 8090}`;
  env.TARN_TEST_WEBDAV_USER ||= 'tarn-test';
  env.TARN_TEST_WEBDAV_PASSWORD ||= 'tarn-test-secret';
  // The AWS SDK warns once per process that its 2027 releases will need Node 22; the tests run on Node 20.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
}

async function s3Answers() {
  const { S3Client, ListBucketsCommand } = require('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: process.env.TARN_TEST_S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.TARN_TEST_S3_ACCESS_KEY, secretAccessKey: process.env.TARN_TEST_S3_SECRET_KEY },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2000, socketTimeout: 5000 },
  });
  try {
    await client.send(new ListBucketsCommand({}));
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

async function webdavAnswers() {
  const axios = require('axios');
  try {
    const response = await axios.request({
      method: 'PROPFIND',
      url: `${process.env.TARN_TEST_WEBDAV_URL.replace(/\/$/, '')}/`,
      headers: { Depth: '0' },
      auth: { username: process.env.TARN_TEST_WEBDAV_USER, password: process.env.TARN_TEST_WEBDAV_PASSWORD },
      timeout: 5000,
      validateStatus: () => true,
    });
    return response.status === 207;
  } catch {
    return false;
  }
}

function xrootdAnswers() {
  const done = spawnSync('bash', [path.join(SCRIPTS, 'xrootd.sh'), 'status'], { stdio: 'ignore', timeout: 30000 });
  return Promise.resolve(done.status === 0);
}

function run(script, env) {
  return new Promise((resolve) => {
    const child = spawn('bash', [script, 'start'], { stdio: ['ignore', process.stderr, process.stderr], env: { ...process.env, ...env } });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

function local(url) {
  const { hostname, port } = new URL(url);
  return { local: ['127.0.0.1', 'localhost'].includes(hostname), port };
}

async function ensureOne({ name, url, answers, script, portVariable, ci, hint }) {
  if (await answers()) return;
  const { local: isLocal, port } = local(url);
  if (isLocal) {
    process.stderr.write(`${name} does not answer at ${url}; starting it with ${script}${ci ? ' (CI)' : ''}\n`);
    if ((await run(script, { [portVariable]: port })) && (await answers())) return;
  }
  throw new Error(
    `${name} is required by the storage tests but does not answer at ${url} with the test credentials. ` +
      (isLocal ? `Starting it with "bash ${path.relative(process.cwd(), script)} start" failed (see the output above; ${hint}).` : 'Start that server, or unset the variable to use a local one.'),
  );
}

/** @param {{ ci?: boolean }} [options] */
async function ensureStorageServers({ ci } = {}) {
  defaults();
  await Promise.all([
    ensureOne({
      name: 'The S3 server',
      url: process.env.TARN_TEST_S3_ENDPOINT,
      answers: s3Answers,
      script: path.join(SCRIPTS, 's3.sh'),
      portVariable: 'TARN_TEST_S3_PORT',
      ci,
      hint: 'it needs Java 17+ and Maven',
    }),
    ensureOne({
      name: 'The WebDAV server',
      url: process.env.TARN_TEST_WEBDAV_URL,
      answers: webdavAnswers,
      script: path.join(SCRIPTS, 'webdav.sh'),
      portVariable: 'TARN_TEST_WEBDAV_PORT',
      ci,
      hint: 'it needs rclone, installed with apt-get as root',
    }),
    ensureOne({
      name: 'The XRootD servers',
      url: `root://127.0.0.1:${process.env.TARN_TEST_XROOTD_PORT || 1094}`,
      answers: xrootdAnswers,
      script: path.join(SCRIPTS, 'xrootd.sh'),
      portVariable: 'TARN_TEST_XROOTD_PORT',
      ci,
      hint: 'it needs xrootd-server, xrootd-client and python3-xrootd, installed with apt-get as root',
    }),
  ]);
}

module.exports = { ensureStorageServers };

/**
 * `node dist/scripts/probe.js [url]`: exits 0 when the URL answers 2xx within 3 s, else 1 saying what it got. The
 * health check of Tarn's containers (the image has no curl). Default: this process's daemons' readiness,
 * http://127.0.0.1:$TARN_METRICS_PORT/health/ready.
 */
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.TARN_METRICS_PORT || 9464}/health/ready`;

fetch(url, { signal: AbortSignal.timeout(3000) }).then(
  async (response) => {
    if (response.ok) process.exit(0);
    console.error(`${url}: ${response.status} ${(await response.text()).slice(0, 500)}`);
    process.exit(1);
  },
  (error: Error) => {
    console.error(`${url}: ${error.message}`);
    process.exit(1);
  },
);

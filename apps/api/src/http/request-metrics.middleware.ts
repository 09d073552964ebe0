import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

type Labels = 'method' | 'route' | 'status';

/**
 * API requests by method, route template (`/dids/:scope/:name`, never the DID itself; `unmatched` when no route took
 * it) and status code, with their latency (Prometheus), counted when the response is finished.
 */
export function requestMetrics(registry: Registry): (req: Request, res: Response, next: NextFunction) => void {
  const requests =
    (registry.getSingleMetric('tarn_api_requests_total') as Counter<Labels> | undefined) ??
    new Counter({ name: 'tarn_api_requests_total', help: 'API requests by method, route template and status code', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency =
    (registry.getSingleMetric('tarn_api_request_duration_seconds') as Histogram<Labels> | undefined) ??
    new Histogram({
      name: 'tarn_api_request_duration_seconds',
      help: 'Time to answer an API request, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const template = (req.route as { path?: unknown } | undefined)?.path;
      const labels = {
        method: req.method,
        route: typeof template === 'string' ? `${req.baseUrl}${template}` : 'unmatched',
        status: String(res.statusCode),
      };
      requests.inc(labels);
      latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

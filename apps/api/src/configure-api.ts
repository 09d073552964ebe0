import type { INestApplication } from '@nestjs/common';
import express from 'express';
import { exactContentType } from './http/exact-content-type.middleware.js';
import { setUpOpenApi } from './http/openapi.js';
import { assertEveryRouteDeclaresAccess, routeTable } from './http/route-table.js';
import { RucioExceptionFilter } from './http/rucio-exception.filter.js';
import { createValidationPipe } from './http/validation.pipe.js';

/** Body size a bulk call may carry (e.g. thousands of replicas with their checksums). */
const BODY_LIMIT = '64mb';

/** Everything about the HTTP surface that is not a route: shared by main.ts and the tests. */
export function configureApi(app: INestApplication): void {
  const routes = routeTable(app);
  assertEveryRouteDeclaresAccess(routes);
  app.use(exactContentType);
  // The stock Rucio client sends JSON bodies without a Content-Type: parse every body as JSON.
  app.use(express.json({ type: () => true, limit: BODY_LIMIT, strict: false }));
  app.useGlobalFilters(new RucioExceptionFilter());
  app.useGlobalPipes(createValidationPipe());
  setUpOpenApi(app, routes);
}

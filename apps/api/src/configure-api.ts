import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CatalogueOutage } from '@tarn/catalogue';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { DaemonMetrics } from '@tarn/daemon';
import { exactContentType } from './http/exact-content-type.middleware.js';
import { requestMetrics } from './http/request-metrics.middleware.js';
import { JsonBodyInterceptor } from './http/json-body.interceptor.js';
import { setUpOpenApi } from './http/openapi.js';
import { readableUrl } from './http/readable-url.middleware.js';
import { assertEveryRouteDeclaresAccess, routeTable } from './http/route-table.js';
import { RucioExceptionFilter } from './http/rucio-exception.filter.js';
import { createValidationPipe, OneTextParameterPipe } from './http/validation.pipe.js';
import { defaultWebUiDir, WEB_UI_PATH, webUiMiddleware } from './web-ui/web-ui.middleware.js';

/** Everything about the HTTP surface that is not a route: shared by main.ts and the tests. */
export function configureApi(app: INestApplication): void {
  // X-Forwarded-For counts only from the proxies the operator names (login throttling and tokens use the address).
  app.getHttpAdapter().getInstance().set('trust proxy', app.get<TarnConfig>(TARN_CONFIG).trustProxy);
  const routes = routeTable(app);
  assertEveryRouteDeclaresAccess(routes);
  app.use(requestMetrics(DaemonMetrics.forProcess().registry));
  app.use(exactContentType);
  app.use(readableUrl);
  app.use(WEB_UI_PATH, webUiMiddleware(app.get<TarnConfig>(TARN_CONFIG).uiDir ?? defaultWebUiDir()));
  app.useGlobalFilters(new RucioExceptionFilter(CatalogueOutage.of(app.get(DataSource))));
  app.useGlobalInterceptors(new JsonBodyInterceptor());
  app.useGlobalPipes(new OneTextParameterPipe(), createValidationPipe());
  setUpOpenApi(app, routes);
}

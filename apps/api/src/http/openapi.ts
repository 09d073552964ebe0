import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { describeAccess } from '../auth/access.decorator.js';
import type { Route } from './route-table.js';

type Operation = OpenAPIObject['paths'][string]['get'] & object;

/** Who may call each operation, from its access declaration: in its description, its security and `x-tarn-access`. */
function describeRoutes(document: OpenAPIObject, routes: Route[]): void {
  for (const route of routes) {
    const operation = document.paths[route.path]?.[route.method.toLowerCase() as 'get'] as Operation | undefined;
    if (!operation || !route.access) continue;
    const who = `Who may call it: ${describeAccess(route.access)}`;
    operation.description = operation.description ? `${operation.description}\n\n${who}` : who;
    operation.security = route.access.kind === 'public' ? [] : [{ 'rucio-token': [] }, { bearer: [] }];
    (operation as Record<string, unknown>)['x-tarn-access'] = route.access;
  }
}

/** The OpenAPI document of every route, served at /api-docs (JSON at /api-docs/json). */
export function setUpOpenApi(app: INestApplication, routes: Route[]): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tarn')
      .setDescription('Tarn data-lake manager: catalogue, RSEs, replication rules. Rucio REST v1 compatible.')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Rucio-Auth-Token' }, 'rucio-token')
      .addBearerAuth()
      .build(),
  );
  describeRoutes(document, routes);
  SwaggerModule.setup('api-docs', app, document, { jsonDocumentUrl: 'api-docs/json' });
  return document;
}

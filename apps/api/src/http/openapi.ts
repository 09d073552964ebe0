import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject, type OperationObject, type ParameterObject, type ResponseObject } from '@nestjs/swagger';
import { describeAccess } from '../auth/access.decorator.js';
import { namedSchemas, RUCIO_ERROR } from './answers.js';
import { REQUEST_LIMITS } from './request-limits.js';
import type { Route } from './route-table.js';

function error(description: string): ResponseObject {
  return {
    description,
    headers: {
      ExceptionClass: { description: 'As ExceptionClass in the body.', schema: { type: 'string' } },
      ExceptionMessage: { description: 'As ExceptionMessage in the body (one line).', schema: { type: 'string' } },
    },
    content: { 'application/json': { schema: RUCIO_ERROR } },
  };
}

/** The errors a route may answer besides its own, from what it is: who may call it, whether it names things or reads a body. */
function errorsOf(route: Route): Record<string, ResponseObject> {
  const errors: Record<string, ResponseObject> = {};
  const invalid: string[] = [];
  if (route.access?.kind !== 'public') invalid.push('CannotAuthenticate: no token');
  if (route.readsBody) {
    invalid.push(`InvalidObject and others: the body is not what the route takes, or is nested deeper than ${REQUEST_LIMITS.depth} levels (the message names the field)`);
  }
  if (route.params.length > 0 || route.readsBody || route.method === 'GET') invalid.push('a parameter is invalid');
  errors['400'] = error(`Bad request: ${invalid.join('; ')}.`);
  if (route.access?.kind !== 'public') errors['401'] = error('CannotAuthenticate: the token is unknown or expired; AccessDenied: the account may not do this.');
  if (route.params.length > 0 || route.readsBody) errors['404'] = error('Something the request names does not exist (DataIdentifierNotFound, RSENotFound, RuleNotFound, ...).');
  if (route.method === 'POST' || route.method === 'PUT') errors['409'] = error('It exists already (Duplicate, DataIdentifierAlreadyExists, DuplicateRule...), or a quota would be exceeded.');
  if (route.readsBody) {
    errors['413'] = error(
      `The body is larger than this route takes (${route.bodyLimits.bytes / 1024 / 1024} MiB), or a list in it has more than ` +
        `${route.bodyLimits.listItems.toLocaleString('en')} items; split the work into several requests.`,
    );
  }
  errors['503'] = error('DatabaseUnavailable: the catalogue database does not answer; try again later (Retry-After).');
  return errors;
}

/** Who may call each operation (description, security, `x-tarn-access`), and the errors every operation may answer. */
function describeRoutes(document: OpenAPIObject, routes: Route[]): void {
  for (const route of routes) {
    const operation = document.paths[route.path]?.[route.method.toLowerCase() as 'get'] as OperationObject | undefined;
    if (!operation || !route.access) continue;
    const who = `Who may call it: ${describeAccess(route.access)}`;
    operation.description = operation.description ? `${operation.description}\n\n${who}` : who;
    operation.security = route.access.kind === 'public' ? [] : [{ 'rucio-token': [] }, { bearer: [] }];
    (operation as unknown as Record<string, unknown>)['x-tarn-access'] = route.access;
    // One handler may serve several paths (`:rse/protocols/:scheme[/:hostname[/:port]]`): each path documents exactly its own parameters.
    const others = (operation.parameters ?? []).filter((p) => !('in' in p) || p.in !== 'path');
    const own = new Map((operation.parameters ?? []).filter((p) => 'in' in p && p.in === 'path').map((p) => [(p as ParameterObject).name, p]));
    operation.parameters = [...route.params.map((name) => own.get(name) ?? { name, in: 'path' as const, required: true, schema: { type: 'string' as const } }), ...others];
    // Nest writes a placeholder (`200: {description: ''}`) for routes that declare no answer; the conventions test refuses those.
    for (const [status, response] of Object.entries(operation.responses)) {
      if ((response as ResponseObject).description === '' && Object.keys(operation.responses).length > 1) delete operation.responses[status];
    }
    const responses = operation.responses as Record<string, ResponseObject>;
    for (const [status, generic] of Object.entries(errorsOf(route))) {
      const own = responses[status];
      // A route's own description of an error wins; the error's shape is the same everywhere.
      responses[status] = own ? { ...generic, ...own, content: own.content ?? generic.content, headers: own.headers ?? generic.headers } : generic;
    }
  }
}

/** The OpenAPI document of every route, served at /api-docs (JSON at /api-docs/json). */
export function setUpOpenApi(app: INestApplication, routes: Route[]): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tarn')
      .setDescription(
        'Tarn data-lake manager: catalogue, RSEs, replication rules. Rucio REST v1 compatible. Every error answers ' +
          '{ExceptionClass, ExceptionMessage} (also as headers); listings are application/x-json-stream, one JSON value per line.',
      )
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Rucio-Auth-Token' }, 'rucio-token')
      .addBearerAuth()
      .build(),
  );
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...namedSchemas() } };
  describeRoutes(document, routes);
  SwaggerModule.setup('api-docs', app, document, { jsonDocumentUrl: 'api-docs/json' });
  return document;
}

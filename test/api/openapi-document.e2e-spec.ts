/**
 * The OpenAPI document at /api-docs/json describes every route of the route table, so that clients and schema-driven
 * fuzzers (schemathesis, run by test/api/schemathesis.e2e-spec.ts) reach all of them: who may call it, what it takes
 * (a schema for every body a route reads) and what it answers (a described 2xx, with a schema for any content).
 * How to document a new route: docs/api-routes.md.
 */
import request from 'supertest';
import type { OpenAPIObject, OperationObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { routeTable, type Route } from '../../apps/api/src/http/route-table.js';

describe('the OpenAPI document', () => {
  let db: TestDatabase;
  let api: TestApi;
  let document: OpenAPIObject;
  let routes: Route[];

  const operationOf = (route: Route) => document.paths[route.path]?.[route.method.toLowerCase() as 'get'] as OperationObject | undefined;
  const resolve = (schema: SchemaObject | ReferenceObject): SchemaObject | undefined =>
    '$ref' in schema ? document.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')] as SchemaObject | undefined : schema;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    routes = routeTable(api.app);
    document = (await request(api.url).get('/api-docs/json').expect(200)).body;
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('has one operation per route of the route table, and no other', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('says who may call each operation', () => {
    const problems = routes.filter((route) => {
      const operation = operationOf(route)! as OperationObject & { 'x-tarn-access'?: unknown };
      return !operation['x-tarn-access'] || !operation.description?.includes('Who may call it:') || !Array.isArray(operation.security);
    });
    expect(problems.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('describes what each operation does and answers: a summary, a described success, a schema for every content', () => {
    const problems: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const operation = operationOf(route)!;
      if (!operation.summary) problems.push(`${key}: no summary (@ApiOperation)`);
      const responses = Object.entries(operation.responses) as [string, ResponseObject][];
      // A browser's login step succeeds with a redirect (302, 303).
      if (!responses.some(([status]) => /^(2\d\d|30[23])$/.test(status)) && route.path !== '/replicas') problems.push(`${key}: no success answer (@Answers...)`);
      for (const [status, response] of responses) {
        if (!response.description) problems.push(`${key}: answer ${status} has no description`);
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (!media.schema || !resolve(media.schema)) problems.push(`${key}: answer ${status} ${type} has no schema`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents exactly the path parameters of each path', () => {
    const problems = routes.filter((route) => {
      const parameters = (operationOf(route)!.parameters ?? []) as { in: string; name: string }[];
      return JSON.stringify(parameters.filter((p) => p.in === 'path').map((p) => p.name)) !== JSON.stringify(route.params);
    });
    expect(problems.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('describes the body of every operation that reads one', () => {
    const problems: string[] = [];
    for (const route of routes.filter((r) => r.readsBody)) {
      const body = operationOf(route)!.requestBody as { content?: Record<string, { schema?: SchemaObject | ReferenceObject }> } | undefined;
      const schema = body?.content?.['application/json']?.schema;
      const resolved = schema && resolve(schema);
      const describesSomething = resolved && (resolved.properties || resolved.items || resolved.oneOf || resolved.anyOf || resolved.additionalProperties);
      if (!describesSomething) problems.push(`${route.method} ${route.path}`);
    }
    expect(problems).toEqual([]);
  });

  it('answers errors in Rucio\'s shape, the same on every operation', () => {
    for (const route of routes) {
      const responses = operationOf(route)!.responses as Record<string, ResponseObject>;
      expect(responses['503']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/RucioError' });
      if (route.access?.kind !== 'public') expect(responses['401']).toBeDefined();
    }
    expect(document.components?.schemas?.RucioError).toMatchObject({ required: ['ExceptionClass', 'ExceptionMessage'] });
  });

  it('refers only to schemas it defines', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.filter((name) => !document.components?.schemas?.[name])).toEqual([]);
  });
});

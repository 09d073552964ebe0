import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { DiscoveryService } from '@nestjs/core';
import { ACCESS_POLICY, type AccessPolicy } from '../auth/access.decorator.js';
import { type BodyLimits, bodyLimitsOf } from './request-limits.js';

/** One route of the API as Nest registered it: what the authorization matrix and the OpenAPI checks walk over. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** As in the OpenAPI document: `/dids/{scope}/{name}`. */
  path: string;
  /** Path parameters, in order. */
  params: string[];
  controller: string;
  handler: string;
  access: AccessPolicy | undefined;
  /** The handler reads a request body (@Body()). */
  readsBody: boolean;
  /** What one request may carry (REQUEST_LIMITS, @BulkBody). */
  bodyLimits: BodyLimits;
}

const METHODS: Partial<Record<RequestMethod, Route['method']>> = {
  [RequestMethod.GET]: 'GET',
  [RequestMethod.POST]: 'POST',
  [RequestMethod.PUT]: 'PUT',
  [RequestMethod.DELETE]: 'DELETE',
  [RequestMethod.PATCH]: 'PATCH',
};

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [''] : Array.isArray(value) ? value : [value]);

function join(...parts: string[]): string {
  const path = parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `{${segment.slice(1)}}` : segment))
    .join('/');
  return `/${path}`;
}

/** The handler takes the request body (@Body()). */
export function handlerReadsBody(controller: object, handler: string): boolean {
  const args: Record<string, unknown> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {};
  return Object.keys(args).some((key) => Number(key.split(':')[0]) === RouteParamtypes.BODY);
}

/** Every route of the controllers in the application, one entry per (method, path). */
export function routeTable(app: INestApplication): Route[] {
  const routes: Route[] = [];
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!controller) continue;
    const prefixes = asList(Reflect.getMetadata(PATH_METADATA, controller));
    const classAccess: AccessPolicy | undefined = Reflect.getMetadata(ACCESS_POLICY, controller);
    for (const handler of Object.getOwnPropertyNames(controller.prototype)) {
      const fn = Object.getOwnPropertyDescriptor(controller.prototype, handler)?.value;
      if (typeof fn !== 'function' || !Reflect.hasMetadata(METHOD_METADATA, fn)) continue;
      const method = METHODS[Reflect.getMetadata(METHOD_METADATA, fn) as RequestMethod];
      if (!method) throw new Error(`${controller.name}.${handler}: Tarn's API routes use GET, POST, PUT, DELETE or PATCH`);
      const access: AccessPolicy | undefined = Reflect.getMetadata(ACCESS_POLICY, fn) ?? classAccess;
      const readsBody = handlerReadsBody(controller, handler);
      const bodyLimits = bodyLimitsOf(fn);
      for (const prefix of prefixes) {
        for (const suffix of asList(Reflect.getMetadata(PATH_METADATA, fn))) {
          const path = join(prefix, suffix);
          const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
          routes.push({ method, path, params, controller: controller.name, handler, access, readsBody, bodyLimits });
        }
      }
    }
  }
  return routes.sort((a, b) => (a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path)));
}

/** Refuses to start an API with a route that declares no access policy: a forgotten declaration never ships. */
export function assertEveryRouteDeclaresAccess(routes: Route[]): void {
  const undeclared = routes.filter((route) => route.access === undefined);
  if (undeclared.length > 0) {
    throw new Error(
      `Every API route must declare who may call it; these do not: ${undeclared
        .map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`)
        .join(', ')}. Add @Access.public(), .account(), .admin(), .owner(...) or .reader() (docs/api-routes.md).`,
    );
  }
}

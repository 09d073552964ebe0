import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { exactContentType } from './http/exact-content-type.middleware.js';
import { RucioExceptionFilter } from './http/rucio-exception.filter.js';
import { createValidationPipe } from './http/validation.pipe.js';

/** Body size a bulk call may carry (e.g. thousands of replicas with their checksums). */
const BODY_LIMIT = '64mb';

/** Everything about the HTTP surface that is not a route: shared by main.ts and the tests. */
export function configureApi(app: INestApplication): void {
  app.use(exactContentType);
  // The stock Rucio client sends JSON bodies without a Content-Type: parse every body as JSON.
  app.use(express.json({ type: () => true, limit: BODY_LIMIT, strict: false }));
  app.useGlobalFilters(new RucioExceptionFilter());
  app.useGlobalPipes(createValidationPipe());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tarn')
      .setDescription('Tarn data-lake manager: catalogue, RSEs, replication rules. Rucio REST v1 compatible.')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Rucio-Auth-Token' }, 'rucio-token')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api-docs', app, document, { jsonDocumentUrl: 'api-docs/json' });
}

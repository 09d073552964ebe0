import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { NotFound } from '@tarn/domain';
import { Permissions, PROTOCOL_DOMAINS, PROTOCOL_OPERATIONS, protocolsFor, RseProtocolService, RseService } from '@tarn/core';
import type { Issuer, ProtocolDomain, ProtocolOperation, RseProtocolInput, RseProtocolView } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { assertKnownKeys, badRequest, bodyObject } from './request-body.js';
import { PROTOCOL_KEYS, RseProtocolDto } from './rse-protocol.dto.js';
import { PROTOCOL_ANSWER, protocolInput, protocolToWire, RSE_INFO_ANSWER } from './rse.wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf } from '../http/answers.js';

const BY_HOST = ':rse/protocols/:scheme/:hostname';
const BY_PORT = ':rse/protocols/:scheme/:hostname/:port';

function portParam(port: string | undefined): number | undefined {
  if (port === undefined) return undefined;
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw badRequest('InvalidObject', `Invalid port '${port}' in the path: give a whole number from 0 to 65535.`);
  }
  return Number(port);
}

function noProtocol(rse: string, what: string): NotFound {
  return new NotFound(`RSE '${rse}' has no protocol${what}. Add one (tarn rse add-protocol ${rse}, or rucio-admin rse add-protocol).`, {
    rucioClass: 'RSEProtocolNotSupported',
    details: { rse },
  });
}

/** Protocols offering the operation in the domain ('ALL': either), best first, as Rucio's get_protocols filters them. */
function offering(protocols: RseProtocolView[], operation: ProtocolOperation, domain: string): RseProtocolView[] {
  const domains = domain === 'ALL' ? PROTOCOL_DOMAINS : [domain as ProtocolDomain];
  const chosen = domains.flatMap((d) => protocolsFor(protocols, operation, d));
  return [...new Set(chosen)];
}

/** RSE access protocols (scheme, hostname, port, prefix, impl, priorities per domain and operation). */
@ApiTags('rses')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('rses')
export class RseProtocolsController {
  constructor(
    @Inject(RseService) private readonly rses: RseService,
    @Inject(RseProtocolService) private readonly protocols: RseProtocolService,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  @Access.account()
  @Get(':rse/protocols')
  @ApiOperation({ summary: "The RSE's protocols (404 RSEProtocolNotSupported when none matches)." })
  @ApiQuery({ name: 'operation', required: false, enum: PROTOCOL_OPERATIONS })
  @ApiQuery({ name: 'protocol_domain', required: false, enum: ['ALL', ...PROTOCOL_DOMAINS] })
  @ApiQuery({ name: 'default', required: false, description: 'Only the preferred protocol of the operation.' })
  @Answers.json(listOf(PROTOCOL_ANSWER), 'The protocols, best first.')
  async list(
    @CurrentIssuer() issuer: Issuer,
    @Param('rse') rse: string,
    @Query('operation') operation?: string,
    @Query('protocol_domain') domain = 'ALL',
    @Query('default') preferred?: string,
  ): Promise<unknown> {
    if (operation !== undefined && !(PROTOCOL_OPERATIONS as readonly string[]).includes(operation)) {
      throw badRequest('RSEOperationNotSupported', `Unknown protocol operation '${operation}': use ${PROTOCOL_OPERATIONS.join(', ')}.`);
    }
    if (domain !== 'ALL' && !(PROTOCOL_DOMAINS as readonly string[]).includes(domain)) {
      throw badRequest('RSEProtocolDomainNotSupported', `Unknown protocol domain '${domain}': use ALL, ${PROTOCOL_DOMAINS.join(' or ')}.`);
    }
    let protocols = await this.protocols.listProtocols(issuer, rse);
    if (operation !== undefined) {
      protocols = offering(protocols, operation as ProtocolOperation, domain);
      if (preferred?.toLowerCase() === 'true') protocols = protocols.slice(0, 1);
    }
    if (protocols.length === 0) throw noProtocol(rse, operation === undefined ? '' : ` for ${operation} in domain ${domain}`);
    return protocols.map(protocolToWire);
  }

  @Access.account()
  @Get(':rse/protocols/:scheme')
  @ApiOperation({ summary: "The RSE's settings with all its protocols (as GET /rses/<rse>)." })
  @Answers.json(RSE_INFO_ANSWER, "The RSE's settings and protocols.")
  async info(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string): Promise<unknown> {
    return this.rses.getRseInfo(issuer, rse);
  }

  @Access.admin()
  @Post(':rse/protocols/:scheme')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Add a protocol (administrators).' })
  @Answers.created()
  async add(
    @CurrentIssuer() issuer: Issuer,
    @Param('rse') rse: string,
    @Param('scheme') scheme: string,
    @Body() body: RseProtocolDto,
  ): Promise<string> {
    const fields = bodyObject<RseProtocolDto>(body, `the protocol ${scheme} of RSE '${rse}'`);
    assertKnownKeys(fields, PROTOCOL_KEYS, `Protocol ${scheme} of RSE '${rse}'`);
    await this.protocols.addProtocol(issuer, rse, { ...protocolInput(fields), scheme } as RseProtocolInput);
    return 'Created';
  }

  @Access.admin()
  @Put([':rse/protocols/:scheme', BY_HOST, BY_PORT])
  @ApiOperation({ summary: 'Change the protocols of that scheme (narrowed to a hostname and port when given; administrators).' })
  @Answers.empty()
  async update(
    @CurrentIssuer() issuer: Issuer,
    @Param('rse') rse: string,
    @Param('scheme') scheme: string,
    @Body() body: RseProtocolDto,
    @Param('hostname') hostname?: string,
    @Param('port') port?: string,
  ): Promise<void> {
    const fields = bodyObject<RseProtocolDto>(body, `the update of protocol ${scheme} of RSE '${rse}'`);
    assertKnownKeys(fields, PROTOCOL_KEYS, `Protocol ${scheme} of RSE '${rse}'`);
    const portNumber = portParam(port);
    // The service checks again; asking first makes a non-administrator hear "not allowed" rather than "no such protocol".
    this.permissions.assertAdmin(issuer, `update protocols of RSE '${rse}'`);
    const targets = (await this.protocols.listProtocols(issuer, rse)).filter(
      (p) => p.scheme === scheme && (hostname === undefined || p.hostname === hostname) && (portNumber === undefined || p.port === portNumber),
    );
    if (targets.length === 0) {
      const where = `${hostname === undefined ? '' : ` on host ${hostname}`}${portNumber === undefined ? '' : ` port ${portNumber}`}`;
      throw noProtocol(rse, ` ${scheme}${where}`);
    }
    for (const target of targets) {
      await this.protocols.updateProtocol(issuer, rse, { scheme, hostname: target.hostname, port: target.port }, protocolInput(fields));
    }
  }

  @Access.admin()
  @Delete([':rse/protocols/:scheme', BY_HOST, BY_PORT])
  @ApiOperation({ summary: 'Delete the protocols of that scheme (narrowed to a hostname and port when given; administrators).' })
  @Answers.empty()
  async remove(
    @CurrentIssuer() issuer: Issuer,
    @Param('rse') rse: string,
    @Param('scheme') scheme: string,
    @Param('hostname') hostname?: string,
    @Param('port') port?: string,
  ): Promise<void> {
    await this.protocols.deleteProtocols(issuer, rse, scheme, hostname, portParam(port));
  }
}

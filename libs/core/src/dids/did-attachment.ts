import { EntityManager } from 'typeorm';
import { DidAvailability, DidType, Duplicate, InvalidInput, NotFound, validateDid } from '@tarn/domain';
import { UpdatedDidAction } from '@tarn/catalogue';
import {
  type ContentPair,
  deleteContents,
  findContainerCycle,
  findContents,
  findParentEdges,
  insertContents,
} from '@tarn/catalogue/repositories/content.repository.js';
import { updatedDidRepository } from '@tarn/catalogue/repositories/updated-did.repository.js';
import { type DidKey, type DidKindRow, type DidRow, findDidKinds, findDids } from '@tarn/catalogue/repositories/did.repository.js';
import { appendEvents, tarnEvent, type TarnEvent } from '@tarn/events';
import type { Issuer } from '../auth/issuer.js';
import type { Permissions } from '../auth/permissions.js';
import type { AttachChild, Attachment, AttachOptions } from './did.types.js';
import { childChecks, didTypeName } from './did-validation.js';
import { YIELD_EVERY, yieldToEventLoop } from '../bounded.js';

/** Children per did.attached / did.detached event, so that a 100k-file attach never makes one huge message. */
export const EVENT_CHILDREN_CHUNK = 1000;

const keyOf = (scope: string, name: string) => `${scope}:${name}`;
const typeWord = (type: DidType) => didTypeName(type).toLowerCase();

function unsupported(message: string, details: Record<string, unknown>): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'UnsupportedOperation', details });
}

interface Edge extends ContentPair {
  child: AttachChild;
}

/** Validates and de-duplicates the requested edges (a child listed twice under one parent counts once). */
async function edgesOf(attachments: Attachment[], verb: 'attach' | 'detach'): Promise<Edge[]> {
  const seen = new Set<string>();
  const edges: Edge[] = [];
  for (const attachment of attachments) {
    validateDid(attachment);
    if (!Array.isArray(attachment.dids)) {
      throw new InvalidInput(`Nothing to ${verb} for ${keyOf(attachment.scope, attachment.name)}: give a list of DIDs.`);
    }
    for (const [index, child] of attachment.dids.entries()) {
      if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop();
      validateDid(child);
      if (child.scope === attachment.scope && child.name === attachment.name) {
        throw unsupported(`Cannot ${verb} ${keyOf(child.scope, child.name)} ${verb === 'attach' ? 'to' : 'from'} itself.`, {
          scope: child.scope,
          name: child.name,
        });
      }
      const key = `${keyOf(attachment.scope, attachment.name)}>${keyOf(child.scope, child.name)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push({ scope: attachment.scope, name: attachment.name, childScope: child.scope, childName: child.name, child });
    }
  }
  return edges;
}

const distinctKeys = (keys: DidKey[]): DidKey[] => [...new Map(keys.map((k) => [keyOf(k.scope, k.name), k])).values()];

/** Locks the parents (in key order) and checks they exist, are collections and that the issuer may write there. */
async function lockParents(manager: EntityManager, permissions: Permissions, issuer: Issuer, edges: Edge[]): Promise<Map<string, DidRow>> {
  const keys = distinctKeys(edges.map((e) => ({ scope: e.scope, name: e.name })));
  // Permission first, so that a refusal does not reveal whether a DID exists in someone else's scope.
  await permissions.assertCanWriteScopes(manager, issuer, keys.map((k) => k.scope));
  const rows = await findDids(manager, keys, { lock: true });
  const parents = new Map(rows.map((r) => [keyOf(r.scope, r.name), r]));
  const missing = keys.find((k) => !parents.has(keyOf(k.scope, k.name)));
  if (missing) throw NotFound.did(missing.scope, missing.name);
  for (const parent of rows) {
    if (parent.didType === DidType.FILE) {
      throw unsupported(
        `${keyOf(parent.scope, parent.name)} is a file: only datasets and containers have content. Attach to a dataset instead.`,
        { scope: parent.scope, name: parent.name },
      );
    }
  }
  return parents;
}

function checkChild(parent: DidRow, child: DidKindRow, given: AttachChild): void {
  const parentKey = keyOf(parent.scope, parent.name);
  const childKey = keyOf(child.scope, child.name);
  if (parent.didType === DidType.DATASET) {
    if (child.didType !== DidType.FILE) {
      throw unsupported(
        `Cannot attach ${childKey} to dataset ${parentKey}: it is a ${typeWord(child.didType)}, and a dataset holds only files. ` +
          'Put datasets and containers into a container.',
        { scope: child.scope, name: child.name, parent: parentKey },
      );
    }
    if (child.availability === DidAvailability.LOST) {
      throw unsupported(`File ${childKey} is LOST and cannot be attached to ${parentKey}.`, { scope: child.scope, name: child.name });
    }
    const given_ = childChecks(given);
    for (const field of ['bytes', 'adler32', 'md5'] as const) {
      if (given_[field] !== null && child[field] !== null && String(given_[field]) !== String(child[field])) {
        throw new InvalidInput(
          `${field} mismatch for ${childKey}: given ${given_[field]}, registered ${child[field]}. Check the file, or attach it without ${field}.`,
          { rucioClass: 'InvalidValueForKey', details: { scope: child.scope, name: child.name, field } },
        );
      }
    }
  } else if (child.didType === DidType.FILE) {
    throw unsupported(
      `Cannot attach file ${childKey} to container ${parentKey}: a container holds datasets or containers. Attach the file to a dataset in it.`,
      { scope: child.scope, name: child.name, parent: parentKey },
    );
  }
}

/** did.attached / did.detached events, one per parent and chunk of children. */
function childEvents(type: 'did.attached' | 'did.detached', edges: ContentPair[]): TarnEvent[] {
  const byParent = new Map<string, { parent: DidKey; children: DidKey[] }>();
  for (const e of edges) {
    const key = keyOf(e.scope, e.name);
    let entry = byParent.get(key);
    if (!entry) byParent.set(key, (entry = { parent: { scope: e.scope, name: e.name }, children: [] }));
    entry.children.push({ scope: e.childScope, name: e.childName });
  }
  const events: TarnEvent[] = [];
  for (const { parent, children } of byParent.values()) {
    for (let i = 0; i < children.length; i += EVENT_CHILDREN_CHUNK) {
      events.push(tarnEvent(type, { scope: parent.scope, name: parent.name, children: children.slice(i, i + EVENT_CHILDREN_CHUNK) }));
    }
  }
  return events;
}

/**
 * Attaches children to parents inside the caller's transaction: all checks, then one statement for the edges and
 * the dataset counters, one for the rule evaluator's queue and one for the events.
 */
export async function attachInTransaction(
  manager: EntityManager,
  permissions: Permissions,
  issuer: Issuer,
  attachments: Attachment[],
  options: AttachOptions = {},
): Promise<number> {
  let edges = await edgesOf(attachments, 'attach');
  if (edges.length === 0) return 0;
  const parents = await lockParents(manager, permissions, issuer, edges);
  for (const parent of parents.values()) {
    if (parent.isOpen === false) {
      const kind = typeWord(parent.didType);
      throw unsupported(
        `${kind[0].toUpperCase()}${kind.slice(1)} ${keyOf(parent.scope, parent.name)} is closed: ` +
          'it accepts no new content. Attach to an open dataset, or ask an administrator to reopen it.',
        { scope: parent.scope, name: parent.name },
      );
    }
  }

  const childKeys = distinctKeys(edges.map((e) => ({ scope: e.childScope, name: e.childName })));
  await permissions.assertCanReadScopes(manager, issuer, childKeys.map((k) => k.scope));
  const children = new Map((await findDidKinds(manager, childKeys)).map((r) => [keyOf(r.scope, r.name), r]));
  const missing = childKeys.find((k) => !children.has(keyOf(k.scope, k.name)));
  if (missing) throw NotFound.did(missing.scope, missing.name);

  const childTypeOfParent = new Map<string, DidType>();
  for (const edge of edges) {
    const parent = parents.get(keyOf(edge.scope, edge.name))!;
    const child = children.get(keyOf(edge.childScope, edge.childName))!;
    checkChild(parent, child, edge.child);
    const first = childTypeOfParent.get(keyOf(edge.scope, edge.name));
    if (first === undefined) childTypeOfParent.set(keyOf(edge.scope, edge.name), child.didType);
    else if (first !== child.didType) {
      throw unsupported(
        `Mixed content in one call is not allowed: ${keyOf(child.scope, child.name)} is a ${typeWord(child.didType)} while the others ` +
          `attached to ${keyOf(edge.scope, edge.name)} are ${typeWord(first)}s. Attach them in separate calls.`,
        { parent: keyOf(edge.scope, edge.name) },
      );
    }
  }

  const existing = await findContents(manager, edges);
  if (existing.length > 0) {
    if (!options.ignoreDuplicate) {
      const e = existing[0];
      throw new Duplicate(
        `${keyOf(e.childScope, e.childName)} is already attached to ${keyOf(e.scope, e.name)}` +
          `${existing.length > 1 ? ` (and ${existing.length - 1} more of the DIDs given)` : ''}. Attach only new content, or ignore duplicates.`,
        { rucioClass: 'DuplicateContent', details: { scope: e.scope, name: e.name, childScope: e.childScope, childName: e.childName } },
      );
    }
    const attached = new Set(existing.map((e) => `${keyOf(e.scope, e.name)}>${keyOf(e.childScope, e.childName)}`));
    edges = edges.filter((e) => !attached.has(`${keyOf(e.scope, e.name)}>${keyOf(e.childScope, e.childName)}`));
  }

  const gained = await insertContents(manager, edges);
  const containerEdges = edges.filter((e) => children.get(keyOf(e.childScope, e.childName))!.didType === DidType.CONTAINER);
  const cycle = await findContainerCycle(manager, containerEdges);
  if (cycle) {
    throw unsupported(
      `Circular attachment: ${keyOf(cycle.scope, cycle.name)} is already inside ${keyOf(cycle.childScope, cycle.childName)}, ` +
        'so attaching the latter to the former would make a container contain itself.',
      { scope: cycle.scope, name: cycle.name, childScope: cycle.childScope, childName: cycle.childName },
    );
  }
  await updatedDidRepository.enqueue(manager, gained, UpdatedDidAction.ATTACH);
  await appendEvents(manager, childEvents('did.attached', edges));
  return gained.reduce((sum, g) => sum + g.children, 0);
}

/** Detaches children from parents inside the caller's transaction; every edge must exist. */
export async function detachInTransaction(
  manager: EntityManager,
  permissions: Permissions,
  issuer: Issuer,
  attachments: Attachment[],
): Promise<number> {
  const edges = await edgesOf(attachments, 'detach');
  if (edges.length === 0) return 0;
  await lockParents(manager, permissions, issuer, edges);
  const removed = await deleteContents(manager, edges);
  if (removed.length < edges.length) {
    const done = new Set(removed.map((e) => `${keyOf(e.scope, e.name)}>${keyOf(e.childScope, e.childName)}`));
    const e = edges.find((x) => !done.has(`${keyOf(x.scope, x.name)}>${keyOf(x.childScope, x.childName)}`))!;
    throw new NotFound(
      `${keyOf(e.childScope, e.childName)} is not attached to ${keyOf(e.scope, e.name)}, so it cannot be detached. List its content to check.`,
      { rucioClass: 'DataIdentifierNotFound', details: { scope: e.scope, name: e.name, childScope: e.childScope, childName: e.childName } },
    );
  }
  await recordDetach(manager, removed);
  return removed.length;
}

/** Detaches DIDs from every parent they have (before they are deleted); returns the edges removed. */
export async function detachFromAllParents(manager: EntityManager, children: DidKey[]): Promise<ContentPair[]> {
  const removed = await deleteContents(manager, await findParentEdges(manager, children));
  await recordDetach(manager, removed);
  return removed;
}

async function recordDetach(manager: EntityManager, removed: ContentPair[]): Promise<void> {
  const parents = distinctKeys(removed.map((e) => ({ scope: e.scope, name: e.name })));
  await updatedDidRepository.enqueue(manager, parents, UpdatedDidAction.DETACH);
  await appendEvents(manager, childEvents('did.detached', removed));
}

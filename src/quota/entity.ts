// Client quota entities and their rules, as pure functions: which keys an entity may carry and how AlterClientQuotas
// is validated (Kafka's ClientQuotaControlManager), which entities a DescribeClientQuotas filter matches (Kafka's
// ClientQuotasImage.describe), and which quota applies to a connection (the precedence of Kafka's
// ClientQuotaManager: the most specific entity wins).
import { isIP } from 'node:net';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

/** The quota keys of user and client-id entities, with the type Kafka's QuotaConfig gives each. */
export const CLIENT_QUOTA_KEYS: ReadonlyMap<string, 'long' | 'double'> = new Map([
  ['producer_byte_rate', 'long'],
  ['consumer_byte_rate', 'long'],
  ['request_percentage', 'double'],
  ['controller_mutation_rate', 'double'],
]);
/** The quota keys of ip entities. */
export const IP_QUOTA_KEYS: ReadonlyMap<string, 'int'> = new Map([['connection_creation_rate', 'int']]);

/** One entity part: its type and name (null: the default entity of that type). */
export interface EntityPart {
  readonly entityType: string;
  readonly entityName: string | null;
}

/** A stored entity with its quotas (ClientQuotaRecords of one entity folded together). */
export interface ClientQuotaEntry {
  /** Parts sorted by type. */
  readonly entity: readonly EntityPart[];
  readonly values: Readonly<Record<string, number>>;
}

/** The image's key of an entity: parts sorted by type, so the same entity always has one key. */
export function entityKey(parts: readonly EntityPart[]): string {
  return JSON.stringify(sortParts(parts).map((p) => [p.entityType, p.entityName]));
}

export function sortParts(parts: readonly EntityPart[]): EntityPart[] {
  return [...parts].sort((a, b) => (a.entityType < b.entityType ? -1 : a.entityType > b.entityType ? 1 : 0));
}

/** How Kafka prints a ClientQuotaEntity in messages: `ClientQuotaEntity(entries={user=alice, client-id=null})`. */
export function describeEntity(parts: readonly EntityPart[]): string {
  return `ClientQuotaEntity(entries={${parts.map((p) => `${p.entityType}=${p.entityName}`).join(', ')}})`;
}

export interface QuotaAlteration {
  /** As sent; a type given twice keeps its last name (Kafka reads the list into a map). */
  readonly entity: readonly EntityPart[];
  /** value null: remove the key. */
  readonly ops: ReadonlyArray<{ key: string; value: number | null }>;
}

export interface AlterOutcome {
  readonly entity: readonly EntityPart[];
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** A change to store: ClientQuotaRecord's fields (value null: remove). */
export interface QuotaChange {
  readonly entity: readonly EntityPart[];
  readonly key: string;
  readonly value: number | null;
}

/**
 * AlterClientQuotas as Kafka's controller decides it: each entry is validated on its own (entity types and names,
 * the combination, each key and value); a valid entry yields a change per key whose value differs, removals only of
 * keys present. An entity named twice fails ("Ignoring duplicate entity"), as does a key given twice in an entry
 * (and neither occurrence changes anything).
 */
export function decideAlterations(
  current: ReadonlyMap<string, ClientQuotaEntry>,
  alterations: readonly QuotaAlteration[],
): { outcomes: AlterOutcome[]; changes: QuotaChange[] } {
  const outcomes = new Map<string, AlterOutcome>();
  const changes = new Map<string, QuotaChange[]>();
  for (const alt of alterations) {
    const entity = collapse(alt.entity);
    const key = entityKey(entity);
    const fail = (errorMessage: string): void => {
      changes.delete(key);
      outcomes.set(key, { entity, errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
    };
    const ops = new Map<string, number | null>();
    let duplicateKey: string | undefined;
    for (const op of alt.ops) {
      if (ops.has(op.key)) duplicateKey ??= op.key;
      else ops.set(op.key, op.value);
    }
    // Kafka records a duplicate key's error and then finds the entity already answered, so both cases end with
    // this message.
    if (outcomes.has(key) || duplicateKey !== undefined) {
      fail(`Ignoring duplicate entity ${describeEntity(entity)}`);
      continue;
    }
    const bad = invalidEntity(entity);
    if (bad !== null) {
      fail(bad);
      continue;
    }
    const keys = entity.some((p) => p.entityType === IP) ? IP_QUOTA_KEYS : CLIENT_QUOTA_KEYS;
    const existing = current.get(key)?.values ?? {};
    const out: QuotaChange[] = [];
    let error: string | null = null;
    for (const [k, value] of ops) {
      if (value === null) {
        if (k in existing) out.push({ entity, key: k, value: null });
        continue;
      }
      error = invalidValue(keys, k, value);
      if (error !== null) break;
      if (existing[k] !== value) out.push({ entity, key: k, value });
    }
    if (error !== null) {
      fail(error);
      continue;
    }
    outcomes.set(key, { entity, errorCode: ErrorCode.NONE, errorMessage: null });
    changes.set(key, out);
  }
  return { outcomes: [...outcomes.values()], changes: [...changes.values()].flat() };
}

/** The entity as a map of types: a type given twice keeps its last name. */
function collapse(parts: readonly EntityPart[]): EntityPart[] {
  const m = new Map<string, string | null>();
  for (const p of parts) m.set(p.entityType, p.entityName);
  return [...m].map(([entityType, entityName]) => ({ entityType, entityName }));
}

function invalidEntity(entity: readonly EntityPart[]): string | null {
  if (entity.length === 0) return 'Invalid empty client quota entity';
  for (const p of entity) {
    if (p.entityType !== USER && p.entityType !== CLIENT_ID && p.entityType !== IP)
      return `Unhandled client quota entity type: ${p.entityType}`;
    if (p.entityName !== null && p.entityName.length === 0) return `Empty ${p.entityType} not supported`;
  }
  const ip = entity.find((p) => p.entityType === IP);
  if (ip !== undefined) {
    if (entity.length > 1)
      return 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId';
    // Kafka accepts an address or a resolvable host name; resolving names here would make validation depend on
    // DNS, so only addresses are accepted.
    if (ip.entityName !== null && isIP(ip.entityName) === 0)
      return `${ip.entityName} is not a valid IP or resolvable host.`;
  }
  return null;
}

function invalidValue(keys: ReadonlyMap<string, string>, key: string, value: number): string | null {
  const type = keys.get(key);
  if (type === undefined) return `Invalid configuration key ${key}`;
  if (!(value > 0)) return `Quota ${key} must be greater than 0`;
  if (type === 'double') return null;
  if (type === 'int' && value > 2147483647) return `Proposed value for ${key} is too large for an INT.`;
  if (type === 'long' && value > 2 ** 63) return `Proposed value for ${key} is too large for a LONG.`;
  if (Math.abs(value % 1) > 1e-6) return `${key} cannot be a fractional value.`;
  return null;
}

/** A DescribeClientQuotas filter component (match type 0 exact, 1 default, 2 any specified name). */
export interface FilterComponent {
  readonly entityType: string;
  readonly matchType: number;
  readonly match: string | null;
}

/**
 * The stored entries a DescribeClientQuotas filter matches, as Kafka's ClientQuotasImage.describe (its errors are
 * KafkaErrors with Kafka's codes and messages: INVALID_REQUEST, UNSUPPORTED_VERSION for an unknown entity type).
 * `strict`: the entity has exactly the filtered types.
 */
export function describeQuotas(
  entries: Iterable<ClientQuotaEntry>,
  components: readonly FilterComponent[],
  strict: boolean,
): ClientQuotaEntry[] {
  const exact = new Map<string, string | null>();
  const typed = new Set<string>();
  for (const c of components) {
    if (c.entityType === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.');
    if (exact.has(c.entityType) || typed.has(c.entityType))
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Entity type ${c.entityType} cannot appear more than once in the filter.`,
      );
    if (c.entityType !== IP && c.entityType !== USER && c.entityType !== CLIENT_ID)
      throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${c.entityType}`);
    if (c.matchType === 0) {
      if (c.match === null)
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'Request specified MATCH_TYPE_EXACT, but set match string to null.',
        );
      exact.set(c.entityType, c.match);
    } else if (c.matchType === 1) {
      if (c.match !== null)
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.',
        );
      exact.set(c.entityType, null);
    } else if (c.matchType === 2) {
      if (c.match !== null)
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.',
        );
      typed.add(c.entityType);
    } else throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
  }
  const has = (t: string) => exact.has(t) || typed.has(t);
  if (has(IP) && (has(USER) || has(CLIENT_ID)))
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      'Invalid entity filter component combination. IP filter component should not be used with user or clientId ' +
        'filter component.',
    );
  const out: ClientQuotaEntry[] = [];
  for (const e of entries) {
    if (strict && e.entity.length !== exact.size + typed.size) continue;
    const names = new Map(e.entity.map((p) => [p.entityType, p.entityName]));
    let ok = true;
    for (const [t, name] of exact) if (!names.has(t) || names.get(t) !== name) ok = false;
    for (const t of typed) if (!names.has(t)) ok = false;
    if (ok) out.push(e);
  }
  return out;
}

/**
 * The quotas of one key, keyed for the lookups of `resolveQuota`: `userKey(user) + '\0' + clientKey(client)` where a
 * part is '-' when the entity lacks that type, '*' for the default, '=' + name otherwise.
 */
export type QuotaTable = ReadonlyMap<string, number>;

const part = (name: string | null | undefined): string => (name === undefined ? '-' : name === null ? '*' : `=${name}`);

/** Builds the lookup table of one quota key from the stored entries (ip entities are not client quotas). */
export function quotaTable(entries: Iterable<ClientQuotaEntry>, key: string): QuotaTable {
  const t = new Map<string, number>();
  for (const e of entries) {
    const v = e.values[key];
    if (v === undefined || e.entity.some((p) => p.entityType === IP)) continue;
    let user: string | null | undefined;
    let client: string | null | undefined;
    for (const p of e.entity) {
      if (p.entityType === USER) user = p.entityName;
      else if (p.entityType === CLIENT_ID) client = p.entityName;
    }
    t.set(`${part(user)}\0${part(client)}`, v);
  }
  return t;
}

/** Which quota applies to a connection: the sensor it shares (Kafka's metric tags) and the bound, if any. */
export interface ResolvedQuota {
  /** Kafka's quota metric tags: user ('' when the quota is not per user) and client-id ('' likewise). */
  readonly user: string;
  readonly clientId: string;
  readonly bound: number | undefined;
}

/**
 * Kafka's DefaultQuotaCallback: the metric tags pick the level (user+client-id, user, or client-id, in that order of
 * the most specific configured entity) and the bound is the first configured of that level's entities:
 * users/<user>/clients/<client>, users/<user>/clients/<default>, users/<user>, users/<default>/clients/<client>,
 * users/<default>/clients/<default>, users/<default>, clients/<client>, clients/<default>.
 */
export function resolveQuota(table: QuotaTable, user: string, clientId: string): ResolvedQuota {
  const has = (u: string | null | undefined, c: string | null | undefined) => table.has(`${part(u)}\0${part(c)}`);
  let tagUser: string;
  let tagClient: string;
  if (has(user, clientId) || has(user, null)) [tagUser, tagClient] = [user, clientId];
  else if (has(user, undefined)) [tagUser, tagClient] = [user, ''];
  else if (has(null, clientId) || has(null, null)) [tagUser, tagClient] = [user, clientId];
  else if (has(null, undefined)) [tagUser, tagClient] = [user, ''];
  else [tagUser, tagClient] = ['', clientId];
  const get = (u: string | null | undefined, c: string | null | undefined) => table.get(`${part(u)}\0${part(c)}`);
  let bound: number | undefined;
  if (tagUser !== '' && tagClient !== '')
    bound = get(tagUser, tagClient) ?? get(tagUser, null) ?? get(null, tagClient) ?? get(null, null);
  else if (tagUser !== '') bound = get(tagUser, undefined) ?? get(null, undefined);
  else if (tagClient !== '') bound = get(undefined, tagClient) ?? get(undefined, null);
  return { user: tagUser, clientId: tagClient, bound };
}

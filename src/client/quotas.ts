// Client quotas through the Admin client's connections: DescribeClientQuotas and AlterClientQuotas (what
// Admin.describeClientQuotas / alterClientQuotas do in Kafka's Java client).
import { ApiKey } from '../protocol/apis.ts';
import type {
  AlterClientQuotasResponse,
  DescribeClientQuotasRequest,
  DescribeClientQuotasResponse,
} from '../protocol/generated/messages.ts';
import type { Admin } from './admin.ts';
import { check } from './errors.ts';

/** A quota entity: the types it has, each a name or null for the type's default ({ user: null } = default user). */
export interface QuotaEntity {
  user?: string | null;
  clientId?: string | null;
  ip?: string | null;
}

export interface QuotaEntry {
  entity: QuotaEntity;
  values: Record<string, number>;
}

const TYPES = [
  ['user', 'user'],
  ['clientId', 'client-id'],
  ['ip', 'ip'],
] as const;

function parts(e: QuotaEntity): Array<{ entityType: string; entityName: string | null }> {
  const out = [];
  for (const [k, entityType] of TYPES) if (e[k] !== undefined) out.push({ entityType, entityName: e[k] });
  return out;
}

function fromParts(list: ReadonlyArray<{ entityType: string; entityName: string | null }>): QuotaEntity {
  const e: QuotaEntity = {};
  for (const p of list) {
    const k = TYPES.find(([, t]) => t === p.entityType)?.[0];
    if (k !== undefined) e[k] = p.entityName;
  }
  return e;
}

/**
 * The quotas of entities matching `entity` exactly (strict: no other types; a name, or null for the default), or of
 * every entity when none is given; `ofType` lists every entity having that type (with a name or the default).
 */
export async function describeClientQuotas(
  admin: Admin,
  filter: { entity?: QuotaEntity; ofType?: 'user' | 'client-id' | 'ip' } = {},
): Promise<QuotaEntry[]> {
  const components: DescribeClientQuotasRequest['components'] = [];
  if (filter.entity)
    for (const p of parts(filter.entity))
      components.push({ entityType: p.entityType, matchType: p.entityName === null ? 1 : 0, match: p.entityName });
  if (filter.ofType) components.push({ entityType: filter.ofType, matchType: 2, match: null });
  const conn = await admin.cluster.any();
  const res = await conn.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, {
    components,
    strict: filter.entity !== undefined,
  });
  check(res.errorCode, res.errorMessage, 'DescribeClientQuotas');
  return (res.entries ?? []).map((e) => ({
    entity: fromParts(e.entity),
    values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
  }));
}

/** Sets (a number) or removes (null) quota keys of one entity; throws Kafka's error when the broker refuses. */
export async function alterClientQuotas(
  admin: Admin,
  entity: QuotaEntity,
  changes: Record<string, number | null>,
  opts: { validateOnly?: boolean } = {},
): Promise<void> {
  const conn = await admin.cluster.any();
  const res = await conn.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, {
    entries: [
      {
        entity: parts(entity),
        ops: Object.entries(changes).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })),
      },
    ],
    validateOnly: opts.validateOnly ?? false,
  });
  for (const e of res.entries) check(e.errorCode, e.errorMessage, 'AlterClientQuotas');
}

/** How an entity reads in tables and messages: `user=alice, client-id=<default>`. */
export function entityLabel(e: QuotaEntity): string {
  return parts(e)
    .map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`)
    .join(', ');
}

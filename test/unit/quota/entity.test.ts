import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.ts';
import {
  type ClientQuotaEntry,
  decideAlterations,
  describeQuotas,
  type EntityPart,
  entityKey,
  quotaTable,
  resolveQuota,
  sortParts,
} from '../../../src/quota/entity.ts';

const user = (n: string | null): EntityPart => ({ entityType: 'user', entityName: n });
const client = (n: string | null): EntityPart => ({ entityType: 'client-id', entityName: n });
const ip = (n: string | null): EntityPart => ({ entityType: 'ip', entityName: n });

function store(entries: Array<[EntityPart[], Record<string, number>]>): Map<string, ClientQuotaEntry> {
  const m = new Map<string, ClientQuotaEntry>();
  for (const [entity, values] of entries) m.set(entityKey(entity), { entity: sortParts(entity), values });
  return m;
}

test('AlterClientQuotas refuses as Kafka does, entity by entity (table)', () => {
  const cases: Array<[EntityPart[], Array<{ key: string; value: number | null }>, string | null]> = [
    [[user('u')], [{ key: 'producer_byte_rate', value: 1024 }], null],
    [[user(null), client('c')], [{ key: 'request_percentage', value: 12.5 }], null],
    [[user('u')], [{ key: 'producer_bytes_rate', value: 1 }], 'Invalid configuration key producer_bytes_rate'],
    [[user('u')], [{ key: 'consumer_byte_rate', value: -5 }], 'Quota consumer_byte_rate must be greater than 0'],
    [[user('u')], [{ key: 'consumer_byte_rate', value: 0 }], 'Quota consumer_byte_rate must be greater than 0'],
    [[user('u')], [{ key: 'producer_byte_rate', value: 10.5 }], 'producer_byte_rate cannot be a fractional value.'],
    [
      [user('u')],
      [{ key: 'connection_creation_rate', value: 5 }],
      'Invalid configuration key connection_creation_rate',
    ],
    [[ip('10.0.0.1')], [{ key: 'connection_creation_rate', value: 5 }], null],
    [
      [ip(null)],
      [{ key: 'connection_creation_rate', value: 5.5 }],
      'connection_creation_rate cannot be a fractional value.',
    ],
    [[ip('10.0.0.1')], [{ key: 'producer_byte_rate', value: 5 }], 'Invalid configuration key producer_byte_rate'],
    [[ip('not an ip')], [], 'not an ip is not a valid IP or resolvable host.'],
    [
      [ip('1.2.3.4'), user('u')],
      [],
      'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId',
    ],
    [[], [], 'Invalid empty client quota entity'],
    [[{ entityType: 'group', entityName: 'g' }], [], 'Unhandled client quota entity type: group'],
    [[user('')], [], 'Empty user not supported'],
  ];
  for (const [entity, ops, message] of cases) {
    const { outcomes, changes } = decideAlterations(new Map(), [{ entity, ops }]);
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]!.errorMessage, message, JSON.stringify(entity));
    assert.equal(outcomes[0]!.errorCode, message === null ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST);
    if (message !== null) assert.deepEqual(changes, []);
  }
});

test('AlterClientQuotas writes only changes, removes only present keys, and refuses an entity twice', () => {
  const current = store([[[user('u')], { producer_byte_rate: 1024, consumer_byte_rate: 2048 }]]);
  const { outcomes, changes } = decideAlterations(current, [
    {
      entity: [user('u')],
      ops: [
        { key: 'producer_byte_rate', value: 1024 }, // unchanged: no record
        { key: 'consumer_byte_rate', value: null }, // removed
        { key: 'request_percentage', value: null }, // absent: nothing
        { key: 'controller_mutation_rate', value: 10 },
      ],
    },
  ]);
  assert.equal(outcomes[0]!.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    changes.map((c) => [c.key, c.value]),
    [
      ['consumer_byte_rate', null],
      ['controller_mutation_rate', 10],
    ],
  );
  const twice = decideAlterations(current, [
    { entity: [user('v')], ops: [{ key: 'producer_byte_rate', value: 1 }] },
    { entity: [user('v')], ops: [{ key: 'producer_byte_rate', value: 2 }] },
    {
      entity: [user('w')],
      ops: [
        { key: 'producer_byte_rate', value: 1 },
        { key: 'producer_byte_rate', value: 2 },
      ],
    },
  ]);
  assert.deepEqual(
    twice.outcomes.map((o) => [o.entity[0]!.entityName, o.errorCode, o.errorMessage]),
    [
      ['v', ErrorCode.INVALID_REQUEST, 'Ignoring duplicate entity ClientQuotaEntity(entries={user=v})'],
      ['w', ErrorCode.INVALID_REQUEST, 'Ignoring duplicate entity ClientQuotaEntity(entries={user=w})'],
    ],
  );
  assert.deepEqual(twice.changes, []);
});

test('DescribeClientQuotas filters: exact, default, specified, strict, and Kafka errors', () => {
  const entries = [
    ...store([
      [[user('u')], { producer_byte_rate: 1 }],
      [[user(null)], { producer_byte_rate: 2 }],
      [[user('u'), client('c')], { producer_byte_rate: 3 }],
      [[client(null)], { consumer_byte_rate: 4 }],
      [[ip('1.2.3.4')], { connection_creation_rate: 5 }],
    ]).values(),
  ];
  const names = (r: ClientQuotaEntry[]) =>
    r.map((e) => e.entity.map((p) => `${p.entityType}=${p.entityName}`).join(','));
  assert.deepEqual(names(describeQuotas(entries, [{ entityType: 'user', matchType: 0, match: 'u' }], false)), [
    'user=u',
    'client-id=c,user=u',
  ]);
  assert.deepEqual(names(describeQuotas(entries, [{ entityType: 'user', matchType: 0, match: 'u' }], true)), [
    'user=u',
  ]);
  assert.deepEqual(names(describeQuotas(entries, [{ entityType: 'user', matchType: 1, match: null }], true)), [
    'user=null',
  ]);
  assert.deepEqual(names(describeQuotas(entries, [{ entityType: 'client-id', matchType: 2, match: null }], false)), [
    'client-id=c,user=u',
    'client-id=null',
  ]);
  assert.equal(describeQuotas(entries, [], false).length, 5);
  assert.equal(describeQuotas(entries, [], true).length, 0);
  const err = (components: Array<{ entityType: string; matchType: number; match: string | null }>) => {
    try {
      describeQuotas(entries, components, false);
    } catch (e) {
      assert.ok(e instanceof KafkaError);
      return [e.code, e.message];
    }
    return undefined;
  };
  assert.deepEqual(err([{ entityType: '', matchType: 0, match: 'x' }]), [
    ErrorCode.INVALID_REQUEST,
    'Invalid empty entity type.',
  ]);
  assert.deepEqual(err([{ entityType: 'group', matchType: 2, match: null }]), [
    ErrorCode.UNSUPPORTED_VERSION,
    'Unsupported entity type group',
  ]);
  assert.deepEqual(err([{ entityType: 'user', matchType: 0, match: null }]), [
    ErrorCode.INVALID_REQUEST,
    'Request specified MATCH_TYPE_EXACT, but set match string to null.',
  ]);
  assert.deepEqual(err([{ entityType: 'user', matchType: 7, match: null }]), [
    ErrorCode.INVALID_REQUEST,
    'Unknown match type 7',
  ]);
  assert.equal(
    err([
      { entityType: 'user', matchType: 2, match: null },
      { entityType: 'user', matchType: 1, match: null },
    ])?.[1],
    'Entity type user cannot appear more than once in the filter.',
  );
  assert.equal(
    err([
      { entityType: 'ip', matchType: 2, match: null },
      { entityType: 'user', matchType: 2, match: null },
    ])?.[0],
    ErrorCode.INVALID_REQUEST,
  );
});

// Kafka's precedence, most specific first; each level as [user part, client part] (undefined: absent, null: default).
const LEVELS: Array<[string | null | undefined, string | null | undefined]> = [
  ['u', 'c'],
  ['u', null],
  ['u', undefined],
  [null, 'c'],
  [null, null],
  [null, undefined],
  [undefined, 'c'],
  [undefined, null],
];

test('the most specific configured entity gives the bound (Kafka precedence, every subset of levels)', () => {
  fc.assert(
    fc.property(fc.subarray([0, 1, 2, 3, 4, 5, 6, 7]), (configured) => {
      const entity = (u: string | null | undefined, c: string | null | undefined) => [
        ...(u === undefined ? [] : [user(u)]),
        ...(c === undefined ? [] : [client(c)]),
      ];
      const table = quotaTable(
        store(configured.map((i) => [entity(...LEVELS[i]!), { producer_byte_rate: 100 + i }])).values(),
        'producer_byte_rate',
      );
      const q = resolveQuota(table, 'u', 'c');
      const expected = configured.length === 0 ? undefined : 100 + Math.min(...configured);
      assert.equal(q.bound, expected);
      // Another user and client id only get default-level quotas.
      const other = resolveQuota(table, 'x', 'y').bound;
      const defaults = configured.filter((i) => [4, 5, 7].includes(i));
      assert.equal(other, defaults.length === 0 ? undefined : 100 + Math.min(...defaults));
    }),
  );
});

test('clients sharing a user quota share one sensor; a user+client-id quota gives one per client', () => {
  const userOnly = quotaTable(store([[[user('u')], { producer_byte_rate: 10 }]]).values(), 'producer_byte_rate');
  assert.deepEqual(resolveQuota(userOnly, 'u', 'a'), { user: 'u', clientId: '', bound: 10 });
  assert.deepEqual(resolveQuota(userOnly, 'u', 'b'), { user: 'u', clientId: '', bound: 10 });
  const perClient = quotaTable(
    store([[[user(null), client(null)], { producer_byte_rate: 10 }]]).values(),
    'producer_byte_rate',
  );
  assert.deepEqual(resolveQuota(perClient, 'u', 'a'), { user: 'u', clientId: 'a', bound: 10 });
  const ipOnly = quotaTable(store([[[ip(null)], { producer_byte_rate: 10 }]]).values(), 'producer_byte_rate');
  assert.equal(ipOnly.size, 0);
});

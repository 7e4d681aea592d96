// Shared by AlterConfigs and IncrementalAlterConfigs: apply a resource's config operations through the controller
// (TOPIC, BROKER, GROUP), or set log levels at runtime (BROKER_LOGGER, never stored).

import { ResourceType } from '../../broker/config-service.ts';
import { configDef } from '../../config/definitions.ts';
import { groupConfigDef } from '../../config/group-config.ts';
import { parseListenerOverride } from '../../config/listener-config.ts';
import type { ConfigOp, ConfigProblem } from '../../metadata/controller.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { configResourceDenied } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { isKafkaLogLevel, KAFKA_LOG_LEVELS, ROOT_LOGGER } from '../../util/log.ts';
import type { RequestContext } from '../handler.ts';

export interface AlterOutcome {
  errorCode: number;
  errorMessage: string | null;
}

const fail = (errorCode: number, errorMessage: string): AlterOutcome => ({ errorCode, errorMessage });

/** Kafka refuses APPEND and SUBTRACT on keys that are not lists. */
function listOpError(ops: ConfigOp[], isList: (name: string) => boolean | undefined): AlterOutcome | null {
  for (const op of ops) {
    if (op.op !== 'append' && op.op !== 'subtract') continue;
    const list = isList(op.name);
    if (list === undefined) return fail(ErrorCode.INVALID_CONFIG, `Unknown config name: ${op.name}`);
    if (!list) return fail(ErrorCode.INVALID_CONFIG, `Config value ${op.op} is not allowed for config key: ${op.name}`);
  }
  return null;
}

/**
 * APPEND and SUBTRACT as Kafka applies them: on the entity's current value, or when it has none the value in
 * effect below it (a topic's broker default, a broker entity's static value), so appending `compact` to an unset
 * `cleanup.policy` gives `delete,compact`. Returned as plain sets.
 */
function resolveListOps(
  ops: ConfigOp[],
  current: Readonly<Record<string, string>>,
  inherited: (name: string) => string | null | undefined,
): ConfigOp[] {
  const values: Record<string, string> = { ...current };
  return ops.map((op) => {
    if (op.op !== 'append' && op.op !== 'subtract') {
      if (op.op === 'set' && op.value !== null) values[op.name] = op.value;
      else delete values[op.name];
      return op;
    }
    const base = values[op.name] ?? inherited(op.name) ?? '';
    const list = base
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    const items = (op.value ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    const result =
      op.op === 'append'
        ? [...list, ...items.filter((i) => !list.includes(i))]
        : list.filter((i) => !items.includes(i));
    values[op.name] = result.join(',');
    return { name: op.name, op: 'set', value: values[op.name]! };
  });
}

/** Puts the "has no effect" warnings into a successful outcome (the response message) and logs them. */
function withWarnings(
  ctx: RequestContext,
  what: string,
  warnings: Array<{ key: string; reason: string }>,
  validateOnly: boolean,
): AlterOutcome {
  if (warnings.length === 0) return { errorCode: ErrorCode.NONE, errorMessage: null };
  const text = warnings.map((w) => `${w.key} has no effect: ${w.reason}`).join('; ');
  if (!validateOnly) ctx.broker.log.warn({ resource: what, keys: warnings.map((w) => w.key) }, text);
  return { errorCode: ErrorCode.NONE, errorMessage: `Accepted, but ${text}` };
}

export async function alterResource(
  ctx: RequestContext,
  resourceType: number,
  resourceName: string,
  ops: ConfigOp[],
  validateOnly: boolean,
  legacy = false,
): Promise<AlterOutcome> {
  const { controller, configs, nodeId } = ctx.broker;
  // ACLs (when an authorizer is on): ALTER_CONFIGS on the topic, the cluster (broker, logger) or the group.
  const denied = configResourceDenied(ctx, AclOperation.ALTER_CONFIGS, resourceType, resourceName);
  if (denied !== undefined) return fail(denied, 'Authorization failed.');
  if (resourceType === ResourceType.TOPIC) {
    const bad = listOpError(ops, (n) => {
      const d = configDef(n);
      return d && d.scope !== 'broker' ? d.type === 'list' : undefined;
    });
    if (bad) return bad;
    const overrides = ctx.broker.metadata().topics.get(resourceName)?.configs ?? {};
    const resolved = resolveListOps(ops, overrides, (n) => configs.describeTopic({}, [n])[0]?.value);
    const r = await controller.alterConfigs('topic', resourceName, resolved, validateOnly, (next) =>
      configs.validateTopic(next, []),
    );
    if (r.errorCode !== ErrorCode.NONE) return r;
    const noEffect = ops.flatMap((o) => {
      const reason = o.op === 'set' ? configDef(o.name)?.noEffect : undefined;
      return reason === undefined ? [] : [{ key: o.name, reason }];
    });
    return withWarnings(ctx, `topic ${resourceName}`, noEffect, validateOnly);
  }

  if (resourceType === ResourceType.BROKER) {
    if (resourceName !== '') {
      if (!/^-?\d+$/.test(resourceName))
        return fail(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${resourceName}`);
      if (Number(resourceName) !== nodeId)
        return fail(
          ErrorCode.INVALID_REQUEST,
          `Unexpected broker id, expected ${nodeId}, but received ${resourceName}`,
        );
    }
    const bad = listOpError(ops, (n) => {
      const d = configDef(n);
      return d && d.scope !== 'topic' ? d.type === 'list' : undefined;
    });
    if (bad) return bad;
    let warnings: Array<{ key: string; reason: string }> = [];
    const changed = ops.map((o) => o.name);
    const image = ctx.broker.metadata();
    const below = (n: string) =>
      resourceName === ''
        ? ctx.broker.config.getString(n)
        : (image.brokerConfigs.get('')?.[n] ?? ctx.broker.config.getString(n));
    const resolved = resolveListOps(ops, image.brokerConfigs.get(resourceName) ?? {}, below);
    const r = await controller.alterConfigs('broker', resourceName, resolved, validateOnly, (next): ConfigProblem[] => {
      const check = configs.validateBroker(resourceName, next, changed);
      warnings = check.warnings;
      return check.errors;
    });
    if (r.errorCode !== ErrorCode.NONE) return r;
    const what = resourceName === '' ? 'broker default' : `broker ${resourceName}`;
    if (!validateOnly)
      ctx.broker.log.info({ resource: what, changes: describeOps(ops) }, 'dynamic broker configs updated');
    return withWarnings(ctx, what, warnings, validateOnly);
  }

  if (resourceType === ResourceType.GROUP) {
    if (resourceName === '') return fail(ErrorCode.INVALID_REQUEST, 'Group name must not be empty');
    const bad = listOpError(ops, (n) => (groupConfigDef(n) ? false : undefined));
    if (bad) return bad;
    const r = await controller.alterConfigs('group', resourceName, ops, validateOnly, (next) =>
      configs.validateGroup(next),
    );
    if (r.errorCode !== ErrorCode.NONE) return r;
    const setKeys = ops.filter((o) => o.op === 'set').map((o) => o.name);
    return withWarnings(ctx, `group ${resourceName}`, configs.groupNoEffect(setKeys), validateOnly);
  }

  if (resourceType === ResourceType.BROKER_LOGGER) {
    if (legacy)
      return fail(
        ErrorCode.INVALID_REQUEST,
        'AlterConfigs is deprecated and does not support the resource type BROKER_LOGGER; use IncrementalAlterConfigs',
      );
    return alterLoggers(ctx, resourceName, ops, validateOnly);
  }

  return fail(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resourceType}`);
}

/** Kafka's RuntimeLoggerManager: validate every operation, then (unless validate-only) apply them all. */
function alterLoggers(ctx: RequestContext, resourceName: string, ops: ConfigOp[], validateOnly: boolean): AlterOutcome {
  const { nodeId, configs } = ctx.broker;
  const loggers = configs.loggers;
  if (!/^-?\d+$/.test(resourceName))
    return fail(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${resourceName}`);
  if (Number(resourceName) !== nodeId)
    return fail(ErrorCode.INVALID_REQUEST, `Unexpected node id. Expected ${nodeId}, but received ${resourceName}`);
  if (!loggers) return fail(ErrorCode.INVALID_REQUEST, 'Runtime log levels are not available on this broker');
  for (const op of ops) {
    if (op.op === 'append' || op.op === 'subtract')
      return fail(
        ErrorCode.INVALID_REQUEST,
        `${op.op.toUpperCase()} operation is not allowed for the BROKER_LOGGER resource`,
      );
    if (!loggers.has(op.name)) return fail(ErrorCode.INVALID_CONFIG, `Logger ${op.name} does not exist!`);
    if (op.op === 'set' && !isKafkaLogLevel(op.value))
      return fail(
        ErrorCode.INVALID_CONFIG,
        `Cannot set the log level of ${op.name} to ${op.value} as it is not a supported log level. ` +
          `Valid log levels are ${KAFKA_LOG_LEVELS.join(', ')}`,
      );
    if (op.op === 'delete' && op.name === ROOT_LOGGER)
      return fail(ErrorCode.INVALID_REQUEST, `Removing the log level of the ${ROOT_LOGGER} logger is not allowed`);
  }
  if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null };
  for (const op of ops) {
    if (op.op === 'set' && isKafkaLogLevel(op.value)) {
      loggers.setLevel(op.name, op.value);
      ctx.broker.log.warn({ logger: op.name, level: op.value }, `Updated the log level of ${op.name} to ${op.value}`);
    } else {
      loggers.unsetLevel(op.name);
      ctx.broker.log.warn({ logger: op.name }, `Unset the log level of ${op.name}`);
    }
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

function describeOps(ops: ConfigOp[]): string {
  return ops
    .map((o) => {
      const d = configDef(o.name) ?? parseListenerOverride(o.name)?.def;
      const value = d?.type === 'password' ? '[hidden]' : o.value;
      return o.op === 'delete'
        ? `-${o.name}`
        : `${o.name}${o.op === 'set' ? '=' : o.op === 'append' ? '+=' : '-='}${value}`;
    })
    .join(',');
}

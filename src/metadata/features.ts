// Finalized features (KIP-584): the cluster-wide levels of the features this broker implements, stored as
// FeatureLevel metadata records. ApiVersions advertises the supported ranges and the finalized levels; UpdateFeatures
// changes a level through the controller. Only features whose levels are implemented are listed: Tributary keeps its
// own metadata log rather than KRaft's, so it does not claim a metadata.version.

/** Feature name → the levels this broker implements, [min, max]. */
export const SUPPORTED_FEATURES: ReadonlyMap<string, readonly [number, number]> = new Map([
  // 1: the classic transaction protocol with KIP-890 part 1 (the flexible transaction-log value, produce-path
  // verification); 2: KIP-890 part 2 (the epoch bumped at every EndTxn v5+, partitions added by Produce v12+, offsets
  // by TxnOffsetCommit v5+). Clients choose their transaction protocol from the finalized level; the broker follows
  // each request's version, so a client that asks for the old versions still gets the old protocol.
  ['transaction.version', [0, 2]],
  // 1: the consumer group protocol (KIP-848, ConsumerGroupHeartbeat).
  ['group.version', [0, 1]],
  // 1: share groups (KIP-932): the share-group APIs answer UNSUPPORTED_VERSION below it, as Kafka 4.4's do.
  ['share.version', [0, 1]],
  // 1: eligible leader replicas (KIP-966): the controller keeps, per partition, the replicas that left the ISR while
  // it was below min.insync.replicas (so they hold everything committed) and elects one of them when the ISR is
  // empty (controller/partition-change.ts).
  ['eligible.leader.replicas.version', [0, 1]],
]);

/** The levels a new cluster starts with (Kafka 4.4's defaults for these features). */
export const BOOTSTRAP_FEATURE_LEVELS: ReadonlyArray<readonly [string, number]> = [
  ['transaction.version', 2],
  ['group.version', 1],
  ['share.version', 1],
  // Kafka enables ELR on new clusters since 4.1 (an upgraded cluster keeps it off until UpdateFeatures sets 1).
  ['eligible.leader.replicas.version', 1],
];

/** UpdateFeatures' UpgradeType (v1+; v0's AllowDowngrade maps to SAFE_DOWNGRADE). */
export const UpgradeType = { UPGRADE: 1, SAFE_DOWNGRADE: 2, UNSAFE_DOWNGRADE: 3 } as const;

export interface FeatureUpdate {
  feature: string;
  level: number;
  upgradeType: number;
}

/**
 * Why `update` may not be applied to a cluster whose finalized level of the feature is `current` (0 when none),
 * or null. The message follows Kafka's: "Invalid update version <level> for feature <name>. <reason>".
 */
export function rejectFeatureUpdate(update: FeatureUpdate, current: number): string | null {
  const { feature, level, upgradeType } = update;
  const invalid = (why: string): string => `Invalid update version ${level} for feature ${feature}. ${why}`;
  if (upgradeType < UpgradeType.UPGRADE || upgradeType > UpgradeType.UNSAFE_DOWNGRADE)
    return invalid('The controller does not support the given upgrade type.');
  if (level < 0) return invalid('A feature version cannot be less than 0.');
  const range = SUPPORTED_FEATURES.get(feature);
  if (range === undefined) return invalid('The controller does not support the given feature.');
  if (level < range[0] || level > range[1])
    return invalid(`The controller only supports versions ${range[0]}-${range[1]} of this feature.`);
  if (level < current && upgradeType === UpgradeType.UPGRADE)
    return invalid(
      "Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.",
    );
  return null;
}

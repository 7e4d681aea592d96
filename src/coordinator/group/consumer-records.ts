// Consumer-protocol groups as stored records: the values written for a member (ConsumerGroupMemberMetadata,
// ConsumerGroupCurrentMemberAssignment), and replaying the stored records of a __consumer_offsets partition back
// into groups on load (last value per key wins; a tombstone of the group's metadata deletes the group).
import type { ConsumerGroupMemberMetadataValue } from '../../protocol/generated/internal.ts';
import { fromList, toList } from './assignment.ts';
import { readEpochs, withEpochs } from './assignment-epochs.ts';
import { type ConsumerGroup, type ConsumerMember, newConsumerGroup, newConsumerMember } from './consumer-model.ts';
import type { ConsumerRecordDecoded } from './records.ts';

export function memberValue(m: ConsumerMember): ConsumerGroupMemberMetadataValue {
  return {
    instanceId: m.instanceId,
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: m.subscribedTopicNames,
    subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    serverAssignor: m.serverAssignor,
    classicMemberMetadata: null,
  };
}

export function currentValue(m: ConsumerMember) {
  return {
    memberEpoch: m.memberEpoch,
    previousMemberEpoch: m.previousMemberEpoch,
    state: m.state,
    assignedPartitions: withEpochs(toList(m.assigned), m.assignmentEpochs),
    partitionsPendingRevocation: withEpochs(toList(m.pendingRevocation), m.assignmentEpochs),
  };
}

/** Applies one stored consumer-group record (load).  */
export function replayConsumerRecord(groups: Map<string, ConsumerGroup>, r: ConsumerRecordDecoded, now: number): void {
  let g = groups.get(r.group);
  if (r.type === 'cg-metadata' && r.value === null) {
    groups.delete(r.group);
    return;
  }
  if (!g) {
    if (r.value === null) return;
    g = newConsumerGroup(r.group, now);
    groups.set(r.group, g);
  }
  const member = (id: string): ConsumerMember => {
    let m = g!.members.get(id);
    if (!m) {
      m = newConsumerMember(id, {
        instanceId: null,
        rackId: null,
        clientId: '',
        clientHost: '',
        rebalanceTimeoutMs: -1,
      });
      g!.members.set(id, m);
    }
    return m;
  };
  switch (r.type) {
    case 'cg-metadata':
      g.groupEpoch = r.value!.epoch;
      break;
    case 'cg-partition-metadata':
      g.subscribed = new Map(
        (r.value?.topics ?? []).map((t) => [t.topicName, { id: t.topicId, numPartitions: t.numPartitions }]),
      );
      break;
    case 'cg-target-metadata':
      g.assignmentEpoch = r.value?.assignmentEpoch ?? 0;
      break;
    case 'cg-target-member':
      if (r.value === null) g.target.delete(r.memberId);
      else g.target.set(r.memberId, fromList(r.value));
      break;
    case 'cg-member': {
      if (r.value === null) {
        const m = g.members.get(r.memberId);
        if (m?.instanceId && g.staticMembers.get(m.instanceId) === r.memberId) g.staticMembers.delete(m.instanceId);
        g.members.delete(r.memberId);
        break;
      }
      const m = member(r.memberId);
      const v = r.value;
      Object.assign(m, {
        instanceId: v.instanceId,
        rackId: v.rackId,
        clientId: v.clientId,
        clientHost: v.clientHost,
        subscribedTopicNames: [...v.subscribedTopicNames],
        subscribedTopicRegex: v.subscribedTopicRegex,
        serverAssignor: v.serverAssignor,
        rebalanceTimeoutMs: v.rebalanceTimeoutMs,
      });
      if (v.instanceId !== null) g.staticMembers.set(v.instanceId, r.memberId);
      break;
    }
    case 'cg-current': {
      if (r.value === null) {
        const m = g.members.get(r.memberId);
        if (m) {
          m.assigned = new Map();
          m.pendingRevocation = new Map();
          m.assignmentEpochs = new Map();
        }
        break;
      }
      const m = member(r.memberId);
      m.memberEpoch = r.value.memberEpoch;
      m.previousMemberEpoch = r.value.previousMemberEpoch;
      m.state = r.value.state;
      m.assigned = fromList(r.value.assignedPartitions);
      m.pendingRevocation = fromList(r.value.partitionsPendingRevocation);
      m.assignmentEpochs = readEpochs(
        [r.value.assignedPartitions, r.value.partitionsPendingRevocation],
        r.value.memberEpoch,
      );
      break;
    }
  }
}

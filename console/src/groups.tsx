// Consumer groups: the list with total lag, and one group's members, assignments and lag per partition.
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import { ErrorBox, fmtNumber, useLoad } from './util.tsx';

export function Groups() {
  const { data, error, reload } = useLoad(api.groups, []);
  return (
    <section>
      <h2>Consumer groups</h2>
      <button type="button" onClick={reload}>
        Refresh
      </button>
      <ErrorBox error={error} />
      {data && data.length === 0 && <p class="muted">No consumer groups yet.</p>}
      {data && data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Group</th>
              <th>Type</th>
              <th>State</th>
              <th>Partitions</th>
              <th>Lag</th>
            </tr>
          </thead>
          <tbody>
            {data.map((g) => (
              <tr key={g.groupId} data-group={g.groupId}>
                <td>
                  <a href={`#/groups/${encodeURIComponent(g.groupId)}`}>{g.groupId}</a>
                </td>
                <td>{g.type}</td>
                <td>{g.state}</td>
                <td>{g.partitions}</td>
                <td class="lag">{fmtNumber(g.lag)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function GroupView({ id }: { id: string }) {
  const { data, error, reload } = useLoad(() => api.group(id), [id]);
  const maxLag = Math.max(1, ...(data?.offsets.map((o) => o.lag ?? 0) ?? []));
  return (
    <section>
      <h2>
        Group <code>{id}</code>
      </h2>
      <button type="button" onClick={reload}>
        Refresh
      </button>
      <ErrorBox error={error} />
      {data && (
        <>
          <p>
            State <strong>{data.state}</strong>
            {data.protocol && (
              <>
                , assignor <code>{data.protocol}</code>
              </>
            )}
            , {data.members.length} member(s)
          </p>
          <h3>Lag per partition</h3>
          <table class="lag-table">
            <thead>
              <tr>
                <th>Topic</th>
                <th>Partition</th>
                <th>Committed</th>
                <th>End offset</th>
                <th>Lag</th>
                <th>Owner</th>
              </tr>
            </thead>
            <tbody>
              {data.offsets.map((o) => (
                <tr key={`${o.topic}-${o.partition}`} data-partition={`${o.topic}-${o.partition}`}>
                  <td>{o.topic}</td>
                  <td>{o.partition}</td>
                  <td>{o.offset < 0 ? '—' : fmtNumber(o.offset)}</td>
                  <td>{fmtNumber(o.logEndOffset)}</td>
                  <td class="lag">
                    <span class="bar" style={{ width: `${Math.round(((o.lag ?? 0) / maxLag) * 120)}px` }} />
                    {o.lag === null ? '—' : fmtNumber(o.lag)}
                  </td>
                  <td>{o.clientId ? `${o.clientId} (${o.host})` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <ResetOffsets id={id} topics={[...new Set(data.offsets.map((o) => o.topic))]} onDone={reload} />
          {data.members.length > 0 && (
            <>
              <h3>Members</h3>
              <table>
                <thead>
                  <tr>
                    <th>Member</th>
                    <th>Client</th>
                    <th>Host</th>
                    <th>Assignment</th>
                  </tr>
                </thead>
                <tbody>
                  {data.members.map((m) => (
                    <tr key={m.memberId}>
                      <td>
                        <code>{m.groupInstanceId ?? m.memberId}</code>
                      </td>
                      <td>{m.clientId}</td>
                      <td>{m.clientHost}</td>
                      <td>{m.assignment.map((a) => `${a.topic} [${a.partitions.join(', ')}]`).join('; ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
    </section>
  );
}

function ResetOffsets({ id, topics, onDone }: { id: string; topics: string[]; onDone: () => void }) {
  const [topic, setTopic] = useState('');
  const [to, setTo] = useState('earliest');
  const [offset, setOffset] = useState('0');
  const [error, setError] = useState<string>();
  const chosen = topic || topics[0] || '';
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!confirm(`Reset the offsets of group ${id} on ${chosen}?`)) return;
    try {
      await api.resetOffsets(id, chosen, to === 'offset' ? Number(offset) : (to as 'earliest' | 'latest'));
      setError(undefined);
      onDone();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  if (topics.length === 0) return null;
  return (
    <>
      <h3>Reset offsets</h3>
      <form class="inline" onSubmit={submit} aria-label="reset offsets">
        <select name="topic" value={chosen} onChange={(e) => setTopic(e.currentTarget.value)}>
          {topics.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <select name="to" value={to} onChange={(e) => setTo(e.currentTarget.value)}>
          <option value="earliest">to earliest</option>
          <option value="latest">to latest</option>
          <option value="offset">to offset</option>
        </select>
        {to === 'offset' && (
          <input name="offset" type="number" min="0" value={offset} onInput={(e) => setOffset(e.currentTarget.value)} />
        )}
        <button type="submit">Reset (group must be empty)</button>
      </form>
      <ErrorBox error={error} />
    </>
  );
}

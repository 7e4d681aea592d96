// The topic list, with create and delete.
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import { ErrorBox, fmtBytes, fmtNumber, useLoad } from './util.tsx';

export function Topics() {
  const { data, error, reload } = useLoad(api.topics, []);
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('1');
  const [configs, setConfigs] = useState('');
  const [actionError, setActionError] = useState<string>();

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const cfg: Record<string, string> = {};
      for (const line of configs.split(/[\n,]/)) {
        const t = line.trim();
        if (t === '') continue;
        const i = t.indexOf('=');
        if (i <= 0) throw new Error(`config "${t}": expected key=value`);
        cfg[t.slice(0, i).trim()] = t.slice(i + 1).trim();
      }
      await api.createTopic(name.trim(), Number(partitions), cfg);
      setName('');
      setConfigs('');
      setActionError(undefined);
      reload();
    } catch (err) {
      setActionError((err as Error).message);
    }
  };
  const remove = async (topic: string) => {
    if (!confirm(`Delete topic ${topic} and all its data?`)) return;
    try {
      await api.deleteTopic(topic);
      setActionError(undefined);
      reload();
    } catch (err) {
      setActionError((err as Error).message);
    }
  };

  return (
    <section>
      <h2>Topics</h2>
      <form class="inline" onSubmit={create} aria-label="create topic">
        <input
          name="topic"
          placeholder="new topic name"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          required
        />
        <label>
          partitions{' '}
          <input
            name="partitions"
            type="number"
            min="1"
            value={partitions}
            onInput={(e) => setPartitions(e.currentTarget.value)}
          />
        </label>
        <input
          name="configs"
          placeholder="configs: retention.ms=86400000, ..."
          value={configs}
          onInput={(e) => setConfigs(e.currentTarget.value)}
        />
        <button type="submit">Create topic</button>
      </form>
      <ErrorBox error={actionError ?? error} />
      {data && (
        <table>
          <thead>
            <tr>
              <th>Topic</th>
              <th>Partitions</th>
              <th>Messages (end − start offsets)</th>
              <th>Size</th>
              <th>Under-replicated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((t) => (
              <tr key={t.name} data-topic={t.name}>
                <td>
                  <a href={`#/topics/${encodeURIComponent(t.name)}`}>{t.name}</a>
                  {t.internal && <span class="tag">internal</span>}
                </td>
                <td>{t.partitions.length}</td>
                <td>
                  {fmtNumber(t.partitions.reduce((n, p) => n + Math.max(0, p.latestOffset - p.earliestOffset), 0))}
                </td>
                <td>{fmtBytes(t.partitions.reduce((n, p) => n + (p.sizeBytes ?? 0), 0))}</td>
                <td>{t.partitions.filter((p) => p.isr.length < p.replicas.length).length}</td>
                <td>
                  {!t.internal && (
                    <button type="button" class="danger" onClick={() => remove(t.name)}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

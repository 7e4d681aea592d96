// One topic: partitions (leader, replicas, ISR, offsets), configs (edit), a message browser and a produce form.
import { useState } from 'preact/hooks';
import { api, type Browse } from './api.ts';
import { ErrorBox, fmtBytes, fmtNumber, useLoad, Value } from './util.tsx';

export function TopicView({ name }: { name: string }) {
  const topics = useLoad(api.topics, [name]);
  const topic = topics.data?.find((t) => t.name === name);
  return (
    <section>
      <h2>
        Topic <code>{name}</code>
      </h2>
      <ErrorBox error={topics.error} />
      {topics.data && !topic && <p class="error">No topic named {name}.</p>}
      {topic && (
        <>
          <h3>Partitions</h3>
          <table>
            <thead>
              <tr>
                <th>Partition</th>
                <th>Leader</th>
                <th>Replicas</th>
                <th>In-sync replicas</th>
                <th>Start offset</th>
                <th>End offset</th>
                <th>Size</th>
              </tr>
            </thead>
            <tbody>
              {topic.partitions.map((p) => (
                <tr key={p.partition}>
                  <td>{p.partition}</td>
                  <td>{p.leader}</td>
                  <td>{p.replicas.join(', ')}</td>
                  <td class={p.isr.length < p.replicas.length ? 'warn' : ''}>{p.isr.join(', ')}</td>
                  <td>{fmtNumber(p.earliestOffset)}</td>
                  <td>{fmtNumber(p.latestOffset)}</td>
                  <td>{fmtBytes(p.sizeBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Messages topic={name} partitions={topic.partitions.length} onProduced={topics.reload} />
          <Configs topic={name} />
        </>
      )}
    </section>
  );
}

function Messages({ topic, partitions, onProduced }: { topic: string; partitions: number; onProduced: () => void }) {
  const [partition, setPartition] = useState('0');
  const [mode, setMode] = useState<'offset' | 'timestamp'>('offset');
  const [from, setFrom] = useState('0');
  const [result, setResult] = useState<Browse>();
  const [error, setError] = useState<string>();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [headers, setHeaders] = useState('');
  const [sent, setSent] = useState<string>();

  const browse = async (e?: Event) => {
    e?.preventDefault();
    try {
      const f =
        mode === 'offset' ? { offset: Number(from) } : { timestamp: from === '' ? 0 : new Date(from).getTime() };
      setResult(await api.browse(topic, Number(partition), f, 50));
      setError(undefined);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const produce = async (e: Event) => {
    e.preventDefault();
    try {
      const h: Record<string, string> = {};
      for (const part of headers.split(',')) {
        const t = part.trim();
        if (t === '') continue;
        const i = t.indexOf('=');
        if (i <= 0) throw new Error(`header "${t}": expected name=value`);
        h[t.slice(0, i).trim()] = t.slice(i + 1).trim();
      }
      const r = await api.produce(topic, {
        key: key === '' ? null : key,
        value,
        partition: Number(partition),
        headers: h,
      });
      setSent(`Written to partition ${r.partition} at offset ${r.offset}`);
      setError(undefined);
      onProduced();
      await browse();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <>
      <h3>Messages</h3>
      <form class="inline" onSubmit={browse} aria-label="browse messages">
        <label>
          partition{' '}
          <select name="partition" value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
            {Array.from({ length: partitions }, (_, i) => (
              <option key={i} value={String(i)}>
                {i}
              </option>
            ))}
          </select>
        </label>
        <select
          name="mode"
          value={mode}
          onChange={(e) => {
            const m = e.currentTarget.value as 'offset' | 'timestamp';
            setMode(m);
            setFrom(m === 'offset' ? '0' : '');
          }}
        >
          <option value="offset">from offset</option>
          <option value="timestamp">from time</option>
        </select>
        <input
          name="from"
          type={mode === 'offset' ? 'number' : 'datetime-local'}
          min={mode === 'offset' ? '0' : undefined}
          value={from}
          onInput={(e) => setFrom(e.currentTarget.value)}
        />
        <button type="submit">Show messages</button>
      </form>
      <form class="inline" onSubmit={produce} aria-label="produce message">
        <input name="key" placeholder="key (optional)" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <input name="value" placeholder="value" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        <input
          name="headers"
          placeholder="headers: name=value, ..."
          value={headers}
          onInput={(e) => setHeaders(e.currentTarget.value)}
        />
        <button type="submit">Produce to partition {partition}</button>
      </form>
      {sent && <p class="ok">{sent}</p>}
      <ErrorBox error={error} />
      {result && (
        <table class="messages">
          <caption>
            Partition {result.partition}: {result.messages.length} message(s), end offset {fmtNumber(result.endOffset)}
          </caption>
          <thead>
            <tr>
              <th>Offset</th>
              <th>Time</th>
              <th>Key</th>
              <th>Value</th>
              <th>Headers</th>
            </tr>
          </thead>
          <tbody>
            {result.messages.map((m) => (
              <tr key={m.offset} data-offset={m.offset}>
                <td>{m.offset}</td>
                <td title={m.timestampType}>{new Date(m.timestamp).toISOString()}</td>
                <td>
                  <Value text={m.key} />
                </td>
                <td>
                  <Value text={m.value} />
                </td>
                <td>
                  {m.headers.map((h) => (
                    <div key={h.key}>
                      {h.key}: {h.value ?? 'null'}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Configs({ topic }: { topic: string }) {
  const { data, error, reload } = useLoad(() => api.configs(topic), [topic]);
  const [edit, setEdit] = useState<Record<string, string>>({});
  const [saveError, setSaveError] = useState<string>();
  const save = async (name: string, value: string | null) => {
    try {
      await api.alterConfigs(topic, value === null ? {} : { [name]: value }, value === null ? [name] : []);
      setEdit(({ [name]: _, ...rest }) => rest);
      setSaveError(undefined);
      reload();
    } catch (err) {
      setSaveError((err as Error).message);
    }
  };
  return (
    <>
      <h3>Configs</h3>
      <ErrorBox error={saveError ?? error} />
      {data && (
        <table class="configs">
          <thead>
            <tr>
              <th>Name</th>
              <th>Value</th>
              <th>Source</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((c) => (
              <tr key={c.name} class={c.isDefault ? 'muted' : ''}>
                <td>{c.name}</td>
                <td>
                  {edit[c.name] !== undefined ? (
                    <input
                      value={edit[c.name]}
                      onInput={(e) => setEdit({ ...edit, [c.name]: e.currentTarget.value })}
                      aria-label={`value of ${c.name}`}
                    />
                  ) : c.isSensitive ? (
                    '••••'
                  ) : (
                    (c.value ?? 'null')
                  )}
                </td>
                <td>{c.source}</td>
                <td>
                  {c.readOnly ? null : edit[c.name] !== undefined ? (
                    <button type="button" onClick={() => save(c.name, edit[c.name]!)}>
                      Save
                    </button>
                  ) : (
                    <>
                      <button type="button" onClick={() => setEdit({ ...edit, [c.name]: c.value ?? '' })}>
                        Edit
                      </button>
                      {!c.isDefault && (
                        <button type="button" onClick={() => save(c.name, null)}>
                          Reset
                        </button>
                      )}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

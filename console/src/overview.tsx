// Brokers and the controller.
import { api } from './api.ts';
import { ErrorBox, useLoad } from './util.tsx';

export function Overview() {
  const { data, error } = useLoad(api.cluster, []);
  return (
    <section>
      <h2>Cluster</h2>
      <ErrorBox error={error} />
      {data && (
        <>
          <p>
            Cluster id <code>{data.clusterId}</code>, controller <strong>broker {data.controllerId}</strong>
          </p>
          <table>
            <thead>
              <tr>
                <th>Broker</th>
                <th>Host</th>
                <th>Port</th>
                <th>Rack</th>
                <th>Role</th>
              </tr>
            </thead>
            <tbody>
              {data.brokers.map((b) => (
                <tr key={b.nodeId}>
                  <td>{b.nodeId}</td>
                  <td>{b.host}</td>
                  <td>{b.port}</td>
                  <td>{b.rack ?? '—'}</td>
                  <td>{b.nodeId === data.controllerId ? 'controller' : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

// The Tributary web console: a hash-routed Preact app over the broker's JSON layer (/api/...).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Groups, GroupView } from './groups.tsx';
import { Overview } from './overview.tsx';
import { TopicView } from './topic.tsx';
import { Topics } from './topics.tsx';
import './style.css';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function App() {
  const parts = useHash().replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [page, arg] = parts;
  let view = <Overview />;
  if (page === 'topics' && arg) view = <TopicView name={arg} />;
  else if (page === 'topics') view = <Topics />;
  else if (page === 'groups' && arg) view = <GroupView id={arg} />;
  else if (page === 'groups') view = <Groups />;
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} class={active ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <>
      <header>
        <h1>Tributary</h1>
        <nav>
          {link('#/', 'Cluster', page === '' || page === undefined)}
          {link('#/topics', 'Topics', page === 'topics')}
          {link('#/groups', 'Consumer groups', page === 'groups')}
          <a href="metrics">Metrics</a>
        </nav>
      </header>
      <main>{view}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

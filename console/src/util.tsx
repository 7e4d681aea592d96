// Small shared pieces: loading state for a request, error banner, JSON-aware value display.
import { useCallback, useEffect, useState } from 'preact/hooks';

export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
} {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (live) {
          setData(d);
          setError(undefined);
        }
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

export function ErrorBox({ error }: { error: string | undefined }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

/** A value as text, or pretty-printed when it is JSON. */
export function Value({ text }: { text: string | null }) {
  if (text === null) return <span class="muted">null</span>;
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return <pre class="json">{JSON.stringify(JSON.parse(t), null, 2)}</pre>;
    } catch {
      // not JSON: shown as text
    }
  }
  return <span class="text">{text}</span>;
}

export const fmtNumber = (n: number) => n.toLocaleString('en-US');

export function fmtBytes(n: number | null): string {
  if (n === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

// Which requests reached a broker, read from its log: with TRIBUTARY_LOG_LEVEL=debug and TRIBUTARY_LOG_FORMAT=json
// the dispatcher logs every request as {"msg":"request","api":...,"version":...}.

/** The requests in `logs`: "<api> v<version>" → count. */
export function requestsSeen(logs: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"request"')) continue;
    try {
      const o = JSON.parse(line) as { msg?: string; api?: string; version?: number };
      if (o.msg !== 'request') continue;
      const k = `${o.api} v${o.version}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    } catch {
      // not one of the broker's JSON log lines
    }
  }
  return seen;
}
